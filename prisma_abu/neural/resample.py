"""torch's ``F.interpolate`` resampling (bilinear and bicubic, plain or antialiased) in numpy.

The paths that run a stored ONNX graph without importing torch
(:mod:`prisma_abu.neural.saliency_graph`, the arbitrary style network's vector in
:mod:`prisma_abu.neural.ortcache`) shrink and zoom pictures as their torch
forms do; these are the same weights, as matrices applied along each axis
(equal to torch's up to float rounding), with ``align_corners=False``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["axis_weights", "resize_planes"]


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def axis_weights(n_in: int, n_out: int, mode: str = "bilinear", antialias: bool = False) -> np.ndarray:
    """The (n_out, n_in) float64 matrix of ``F.interpolate(mode, align_corners=False, antialias)`` along one axis."""
    scale = n_in / n_out
    out = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    if antialias and scale > 1:  # torch's separable antialiased filter (PIL's): the kernel widened by the scale
        half = 1.0 if mode == "bilinear" else 2.0
        support = half * scale
        for i in rows:
            center = scale * (i + 0.5)
            lo = max(int(center - support + 0.5), 0)
            hi = min(int(center + support + 0.5), n_in)
            x = (np.arange(lo, hi) - center + 0.5) / scale
            w = np.maximum(0.0, 1.0 - np.abs(x)) if mode == "bilinear" else _cubic(x, -0.5)
            total = w.sum()
            out[i, lo:hi] = w / total if total != 0 else w
        return out
    src = (rows + 0.5) * scale - 0.5
    if mode == "bilinear":
        src = np.maximum(src, 0.0)
        i0 = np.floor(src).astype(int)
        i0 = np.minimum(i0, n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        frac = src - i0
        np.add.at(out, (rows, i0), 1.0 - frac)
        np.add.at(out, (rows, i1), frac)
        return out
    i0 = np.floor(src).astype(int)
    t = src - i0
    for k in range(-1, 3):
        np.add.at(out, (rows, np.clip(i0 + k, 0, n_in - 1)), _cubic(t - k, -0.75))
    return out


def resize_planes(planes: np.ndarray, size: tuple[int, int], mode: str = "bilinear",
                  antialias: bool = False) -> np.ndarray:
    """(C, H, W) or (H, W) float32 resized to ``size`` = (H', W'), float32."""
    h, w = planes.shape[-2:]
    if (h, w) == tuple(size):
        return np.asarray(planes, np.float32)
    rows = axis_weights(h, size[0], mode, antialias).astype(np.float32)
    cols = axis_weights(w, size[1], mode, antialias).astype(np.float32)
    return np.ascontiguousarray(rows @ np.asarray(planes, np.float32) @ cols.T, np.float32)
