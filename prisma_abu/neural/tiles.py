"""Overlapping tiles for the feed-forward style networks, in numpy (no torch): where they start, how they blend.

One picture too big for memory runs as ``tile x tile`` pieces that overlap by
``overlap`` pixels; each piece's result is weighted by linear ramps over its
overlaps and the weighted sum is divided by the summed weights. The torch
path (:func:`prisma_abu.neural.stylenets.stylize_tensor`) and the stored-graph
path (:mod:`prisma_abu.neural.ortcache`) take their tiles and weights from
here, so both give the same bytes.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from ..errors import InvalidParameterError

__all__ = ["starts", "ramp", "pieces", "check_tile", "blend"]


def starts(size: int, tile: int, overlap: int) -> list[int]:
    """Where the tiles along one side of ``size`` pixels start (the last one ends at the border)."""
    if size <= tile:
        return [0]
    step = tile - overlap
    return sorted(set(list(range(0, size - tile, step)) + [size - tile]))


def ramp(length: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    """1-D float32 blending weights of one tile: linear ramps over the overlaps (none at the picture's border)."""
    weight = np.ones(length, np.float32)
    if overlap:
        up = np.linspace(0.0, 1.0, overlap + 2)[1:-1].astype(np.float32)
        if not first:
            weight[:overlap] = up
        if not last:
            weight[-overlap:] = up[::-1]
    return weight


def check_tile(tile: int, overlap: int, min_size: int) -> None:
    """Refuse a tile smaller than the network takes or than two overlaps."""
    if tile < max(min_size, 2 * overlap + 1) or overlap < 0:
        raise InvalidParameterError(f"tile: expected tile >= {max(min_size, 2 * overlap + 1)} and overlap >= 0, "
                                    f"got tile={tile}, overlap={overlap}")


def pieces(height: int, width: int, tile: int, overlap: int) -> Iterator[tuple[int, int, np.ndarray]]:
    """``(y, x, weight)`` of each tile: its corner and its (th, tw) float32 weights."""
    ys, xs = starts(height, tile, overlap), starts(width, tile, overlap)
    for i, y in enumerate(ys):
        th = min(tile, height - y)
        rows = ramp(th, overlap, i == 0, i == len(ys) - 1)
        for j, x in enumerate(xs):
            tw = min(tile, width - x)
            yield y, x, rows[:, None] * ramp(tw, overlap, j == 0, j == len(xs) - 1)[None, :]


def blend(photo: np.ndarray, tile: int, overlap: int, run: Callable[[np.ndarray], np.ndarray | None]) \
        -> np.ndarray | None:
    """``run`` over the tiles of an (M, N, C) float32 picture, blended: (M, N, C) float32, not clamped.

    None as soon as ``run`` gives None (the caller takes another path).
    """
    height, width = photo.shape[:2]
    out = np.zeros(photo.shape, np.float32)
    total = np.zeros((height, width, 1), np.float32)
    for y, x, weight in pieces(height, width, tile, overlap):
        result = run(photo[y:y + weight.shape[0], x:x + weight.shape[1]])
        if result is None:
            return None
        out[y:y + weight.shape[0], x:x + weight.shape[1]] += result * weight[:, :, None]
        total[y:y + weight.shape[0], x:x + weight.shape[1]] += weight[:, :, None]
    return out / total
