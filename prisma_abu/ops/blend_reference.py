"""The original's convolved blend, literally (three float ``convolve2d`` per channel): the slow oracle that
:func:`prisma_abu.ops.blend.blend_convolved` is tested against, and the benchmark's reference."""

from __future__ import annotations

import numpy as np

from prisma_abu.ops.blend import _check_blend_arrays, _check_blend_options, _check_rng, _draw_keep, keep_rates

__all__ = ["blend_convolved_reference"]


def blend_convolved_reference(
    source: np.ndarray,
    guide: np.ndarray | None,
    mask: np.ndarray,
    *,
    n1: int = 5,
    n2: int = 25,
    n3: int = 120,
    rb_rate: float = 1.0,
    convd_median_factor: float = 5.0,
    convd_big_factor: float = 1.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """The original's blend, literally: three float ``convolve2d`` per channel (slow).

    The reference :func:`blend_convolved` is tested against; it costs
    O(n**2) per pixel and channel (seconds at 480x480 with ``n3=120``), like
    the original, which recomputed the three convolutions for every channel.
    Same parameters, validation, random draws and result as
    :func:`blend_convolved`.
    """
    from scipy.signal import convolve2d  # only here: importing scipy.signal costs 0.6 s

    source, guide, mask = _check_blend_arrays(source, guide, mask)
    rates = keep_rates(rb_rate)
    (n1, n2, n3), (f_median, f_big) = _check_blend_options(
        source.shape, (n1, n2, n3), (convd_median_factor, convd_big_factor)
    )
    rng = _check_rng(rng)
    out = np.empty(source.shape, dtype=np.uint8)
    for d, rate in enumerate(rates):
        small = convolve2d(mask, np.ones((n1, n1)) / n1**2, mode="same", boundary="fill")
        median = convolve2d(mask, np.ones((n2, n2)) / n2**2, mode="same", boundary="fill")
        big = convolve2d(mask, np.ones((n3, n3)) / n3**2, mode="same", boundary="fill")
        w = _draw_keep(rng, mask.shape, rate)
        w = np.ones(mask.shape, dtype=bool) if w is None else w
        keep = (median > f_median * big.mean()) & w | (small > 0) & w & (big > f_big * big.mean())
        out[..., d] = np.where(keep, source[..., d], guide[..., d]).astype("uint8")
    return out
