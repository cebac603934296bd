"""Write docs/viewer.png: the model viewer on the bundled photos, after a few arrow keys.

    xvfb-run -s "-screen 0 1366x768x24" .venv/bin/python tools/viewer_screenshot.py [OUT.png]
    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/viewer_screenshot.py [OUT.png]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
os.environ.setdefault("ETS_TOOLKIT", "qt")

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    from pyface.api import GUI

    from prisma_abu.data import guide_images, sample_images
    from prisma_abu_gui.screenshot import grab
    from prisma_abu_gui.viewer import ViewerController, ViewerModel, default_models, viewer_view

    out = Path(argv[0]) if argv else ROOT / "docs" / "viewer.png"
    GUI()
    models = default_models(guides=[str(p) for p in guide_images()])
    controller = ViewerController(model=ViewerModel(photos=[str(p) for p in sample_images()], models=models,
                                                    size=512))
    ui = controller.edit_traits(view=viewer_view)
    ui.control.resize(1100, 720)
    for key in ("next_model",) * 7 + ("next_photo",):  # multistyle26:7 on the second photo
        getattr(controller, key)()
        end = time.perf_counter() + 300
        while controller.model.busy and time.perf_counter() < end:
            GUI.process_events()
            time.sleep(0.02)
    for _ in range(30):
        GUI.process_events()
        time.sleep(0.01)
    path = grab(ui, out)
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    print(path)
    controller.shutdown()
    ui.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
