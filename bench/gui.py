"""The window keeps up: knob change -> 160 px preview shown, offscreen, median of ``--repeats``.

Opens the real window (traitsui on Qt, ``QT_QPA_PLATFORM=offscreen``), moves a
knob (the seed) and waits, processing Qt events, until the preview made
with the new value is in the window; the time includes the debounce delay.
Two set-ups in one process:

* now: the window's defaults (``auto`` finds the subject, the default texture,
  the preview with one torch thread, 120 ms debounce);
* before: the 0.1.0 window (the book's square at 480 px with the old default
  dream, EfficientNet-Lite0 blocks.1 10 steps x 4 octaves, every core's
  thread, 300 ms debounce).

Goal: now <= 0.5 s on a 2-core machine.

    QT_QPA_PLATFORM=offscreen python bench/gui.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
os.environ.setdefault("ETS_TOOLKIT", "qt")

ROOT = Path(__file__).resolve().parent.parent


def _wait(condition, timeout: float = 300.0) -> None:
    from pyface.api import GUI

    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise SystemExit(f"bench/gui.py: still waiting after {timeout} s")
        GUI.process_events()
        time.sleep(0.002)
    GUI.process_events()


def _measure(params, *, threads: int | None, debounce_ms: int, repeats: int) -> list[float]:
    from prisma_abu.data import guide_path, sample_path
    from prisma_abu_gui.controller import PrismaController, new_model

    controller = PrismaController(model=new_model(str(sample_path("chelsea")), str(guide_path("swirl")), params))
    controller.debounce_ms = debounce_ms
    if threads is not None:
        controller.preview_threads = threads
    ui = controller.edit_traits()
    try:
        _wait(lambda: controller.renders_started >= 1 and not controller.model.busy)  # first preview: warm-up
        times = []
        for i in range(repeats):
            seed = 1000 + i
            started = time.perf_counter()
            controller.model.knobs.seed = seed
            _wait(lambda: controller.model.result_kind == "preview" and controller.model.result_params is not None
                  and controller.model.result_params.seed == seed and not controller.model.busy)
            times.append(time.perf_counter() - started)
            if controller.model.error:
                raise SystemExit(f"bench/gui.py: the preview failed: {controller.model.error}")
        return times
    finally:
        controller.shutdown()
        ui.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-before", action="store_true", help="only the window as it is now")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from pyface.api import GUI

    from prisma_abu.params import MixParams
    from prisma_abu_gui.render import render_threads

    GUI()
    now = _measure(MixParams(), threads=None, debounce_ms=120, repeats=args.repeats)
    print(f"knob change -> 160 px preview shown (offscreen), medians of {args.repeats}, "
          f"{os.cpu_count()} cores, full renders with {render_threads()} threads")
    print(f"  now: auto + default texture, 1 thread, 120 ms debounce   {statistics.median(now):7.3f} s   "
          f"goal <= 0.5 s   (all: {', '.join(f'{t:.2f}' for t in now)})")
    if not args.skip_before:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        before = _measure(MixParams.book(), threads=cores, debounce_ms=300, repeats=max(1, min(3, args.repeats)))
        print(f"  before: 0.1.0 defaults, {cores} threads, 300 ms debounce   {statistics.median(before):7.3f} s   "
              f"ratio {statistics.median(before) / statistics.median(now):5.1f}x slower")


if __name__ == "__main__":
    main()
