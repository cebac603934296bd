"""Write docs/gui.png: the prisma_abu window at 1366x768 after a full Render, every knob at its default
(auto finds the subject, the default texture).

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python tools/gui_screenshot.py [OUT.png]   # a real X server
    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/gui_screenshot.py [OUT.png]             # no display at all
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
os.environ.setdefault("ETS_TOOLKIT", "qt")

ROOT = Path(__file__).resolve().parent.parent


def _shrink(path: Path) -> None:
    """256 colours: a third of the bytes, the same look (a picture for the docs, not a result)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.FLOYDSTEINBERG)
    small.save(path, optimize=True)


def main(argv: list[str]) -> int:
    from pyface.api import GUI

    from prisma_abu.data import guide_path, sample_path
    from prisma_abu_gui.app import create_controller
    from prisma_abu_gui.screenshot import grab

    out = Path(argv[0]) if argv else ROOT / "docs" / "gui.png"
    GUI()
    controller = create_controller(str(sample_path("chelsea")), str(guide_path("swirl")))
    controller.live_preview = False
    ui = controller.edit_traits()
    ui.control.resize(1366, 768)
    controller.start_render("full")
    end = time.perf_counter() + 600
    while (controller.model.busy or controller.model.result_kind != "full") and time.perf_counter() < end:
        GUI.process_events()
        time.sleep(0.02)
    if controller.model.error:
        print(f"render failed: {controller.model.error}", file=sys.stderr)
        return 1
    controller.live_preview = True  # as the window starts (it was off so no preview replaced the render)
    ui.control.resize(1366, 768)
    for _ in range(20):
        GUI.process_events()
        time.sleep(0.01)
    path = grab(ui, out)
    _shrink(path)
    print(path)
    controller.shutdown()
    ui.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
