"""What the window's worker thread runs: read the pictures, call ``pipeline.mix``.

No Qt and no traits here, so every function can run off the UI thread; the
controller hands the results back to the UI thread. The pictures are
rendered by the library only (:func:`prisma_abu.pipeline.mix`): this module
chooses parameters and files, it holds no image algorithm.
"""

from __future__ import annotations

import functools
import os
from typing import Callable

import numpy as np

from prisma_abu.io import read_image
from prisma_abu.params import MixParams
from prisma_abu.pipeline import MixResult, mix

__all__ = ["Superseded", "load_picture", "render_mix", "preview_params", "PREVIEW_WIDTH", "render_threads",
           "use_threads"]

#: the width of the quick previews that follow the knobs
PREVIEW_WIDTH = 160

Callback = Callable[[int, int, float], None]


class Superseded(Exception):
    """Raised inside a render that newer knobs made useless (it stops at its next dream step)."""


@functools.lru_cache(maxsize=16)
def _read(path: str, mtime_ns: int, size: int) -> np.ndarray:
    image = read_image(path)
    image.setflags(write=False)  # shared between renders: nobody may change it
    return image


def load_picture(path: str | os.PathLike) -> np.ndarray:
    """``read_image(path)``, remembered while the file is unchanged (same mtime and size)."""
    path = os.fspath(path)
    try:
        stat = os.stat(path)
    except OSError:
        return read_image(path)  # raises the library's one-line error
    return _read(path, stat.st_mtime_ns, stat.st_size)


def render_mix(source: str | os.PathLike, guide: str | os.PathLike | None, params: MixParams, *,
               callback: Callback | None = None) -> MixResult:
    """``pipeline.mix`` on the pictures in these files (what ``prisma-abu mix`` renders)."""
    src = load_picture(source)
    gd = None if guide is None else load_picture(guide)
    return mix(src, gd, params, callback=callback)


def _scaled(value: int, ratio: float, low: int) -> int:
    return max(low, int(round(value * ratio)))


def preview_params(params: MixParams, width: int = PREVIEW_WIDTH) -> MixParams:
    """``params`` at most ``width`` pixels wide, with its pixel sizes scaled alike.

    The convolution windows ``n1 n2 n3``, the spots and the dream's jitter are
    sizes in pixels of the resized picture; they shrink with it so that the
    preview looks like the full picture and fails (a window larger than the
    picture) when the full picture would.
    """
    if params.size <= width:
        return params
    ratio = width / params.size
    spots = {name: tuple((_scaled(y, ratio, 0), _scaled(x, ratio, 0), _scaled(s, ratio, 0))
                         for y, x, s in getattr(params, name)) for name in ("spots_keep", "spots_drop")}
    return params.replace(size=width, n1=_scaled(params.n1, ratio, 1), n2=_scaled(params.n2, ratio, 1),
                          n3=_scaled(params.n3, ratio, 1), jitter=_scaled(params.jitter, ratio, 0), **spots)


def render_threads() -> int:
    """Torch threads for the window's full renders: every core but one (left to the window)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def use_threads(threads: int) -> None:
    """Run the next renders with ``threads`` torch threads (a picture records how many it used)."""
    from prisma_abu.pipeline.models import set_threads

    set_threads(max(1, int(threads)))
