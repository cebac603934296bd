"""The original's "convolved" blend of a source picture into a guide picture.

The original smoothed the mask with three box filters (``convolve2d`` with
``ones((n, n)) / n**2``, ``mode="same"``, ``boundary="fill"``) and kept a
source pixel where the medium-scale average was high, or where the small
window touched the mask inside a dense large-scale area. Its cost grew with
``n**2`` per pixel (seconds for ``n3=120`` at 480x480).

:func:`blend_convolved` gives exactly the same bytes in O(1) per pixel: the
window sums are integers read off an integral image (:func:`box_sum`) and
each threshold is turned, once, into an exact integer bound with
:class:`fractions.Fraction`, so no floating-point residue can put a pixel on
the wrong side. :func:`prisma_abu.ops.blend_reference.blend_convolved_reference`
is the literal slow formulation, kept for the tests and the benchmark.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import check_mask, check_number, check_rgb

__all__ = [
    "blend_convolved",
    "box_sum",
    "convolved_keep",
    "keep_rates",
]

_INT64 = np.iinfo(np.int64)


def _check_window(n: object, *, name: str, limit: int | None = None) -> int:
    """`n` as an int in [1, limit] (no upper bound when `limit` is None), else raise."""
    valid = isinstance(n, numbers.Integral) and not isinstance(n, bool)
    if valid and n >= 1 and (limit is None or n <= limit):
        return int(n)
    if limit is None:
        raise InvalidParameterError(f"expected a window of at least 1, got {name}={n!r}")
    raise InvalidParameterError(f"expected a window between 1 and {limit}, got {name}={n!r}")


def _window_bounds(length: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Half-open ``[lo, hi)`` of the input rows ``convolve2d(..., "same")`` sums at each output row.

    For a length-``n`` kernel, output ``i`` of the "same" mode sums the
    inputs ``i - n // 2`` to ``i - n // 2 + n - 1`` (for an even ``n`` the
    window reaches one further back than forward), clipped to the array.
    """
    start = np.arange(length, dtype=np.intp) - n // 2
    return np.clip(start, 0, length), np.clip(start + n, 0, length)


def box_sum(mask: np.ndarray, n: int) -> np.ndarray:
    """Sum of `mask` over the ``n x n`` window, placed as ``convolve2d(..., "same")`` places it.

    Equals ``convolve2d(mask, np.ones((n, n)), mode="same", boundary="fill")``
    (zero padding, the input's size, any ``n`` including even ones) but is
    computed exactly in integers from an integral image, in O(1) per pixel
    whatever ``n``.

    Parameters
    ----------
    mask : (M, N) ndarray
        Integer or bool mask.
    n : int
        Window side, >= 1 (it may exceed the mask).

    Returns
    -------
    (M, N) ndarray of int64
        The window sums.

    Raises
    ------
    InvalidImageError
        If `mask` is not an ``(M, N)`` integer or bool array.
    InvalidParameterError
        If `n` is not an integer >= 1.
    """
    mask = check_mask(mask)
    n = _check_window(n, name="n")
    return _box_from_integral(_integral(mask), n)


def _integral(mask: np.ndarray) -> np.ndarray:
    """The (M+1, N+1) int64 integral image of `mask` (zero first row and column)."""
    rows, cols = mask.shape
    integral = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    integral[1:, 1:] = mask
    integral.cumsum(axis=0, out=integral)
    integral.cumsum(axis=1, out=integral)
    return integral


def _box_from_integral(integral: np.ndarray, n: int) -> np.ndarray:
    """Window sums from an integral image: rows first, then columns (two 1-D gathers each)."""
    r_lo, r_hi = _window_bounds(integral.shape[0] - 1, n)
    c_lo, c_hi = _window_bounds(integral.shape[1] - 1, n)
    band = integral[r_hi] - integral[r_lo]
    return band[:, c_hi] - band[:, c_lo]


def keep_rates(rb_rate: float) -> tuple[float, float, float]:
    """The keep probability of the R, G and B channels for a given `rb_rate`.

    As the original: the rate drops by 0.1 after each channel unless it is
    exactly 1; here a dropped rate stops at 0 (0.88 gives 0.88, 0.78, 0.68).

    Parameters
    ----------
    rb_rate : float
        Keep probability of the red channel, in (0, 1].

    Returns
    -------
    (float, float, float)
        The rates, computed with the original's float subtraction.

    Raises
    ------
    InvalidParameterError
        If `rb_rate` is not in (0, 1].
    """
    rate = check_number(rb_rate, name="rb_rate", minimum=None)
    if not 0.0 < rate <= 1.0:
        raise InvalidParameterError(f"expected rb_rate in (0, 1], got {rb_rate!r}")
    rates = []
    for _ in range(3):
        rates.append(rate)
        if rate != 1:
            rate = max(rate - 0.1, 0.0)
    return rates[0], rates[1], rates[2]


def _bound(value: Fraction) -> int:
    """``floor(value)`` clamped to int64, so ``S > _bound(v)`` <=> ``S > v`` for int64 ``S``."""
    return min(max(math.floor(value), _INT64.min), _INT64.max)


def _keep_from_sums(
    sums: tuple[np.ndarray, np.ndarray, np.ndarray],
    windows: tuple[int, int, int],
    median_factor: float,
    big_factor: float,
) -> np.ndarray:
    """Where the original kept the source when ``w`` is True, from exact window sums.

    With ``S_k`` the window sums and ``T = S3.sum()``: ``big.mean() = T / (n3**2 M N)``,
    so ``median > f * big.mean()`` <=> ``S2 > f T n2**2 / (n3**2 M N)`` and
    ``big > g * big.mean()`` <=> ``S3 > g T / (M N)``; for an integer ``S``,
    ``S > q`` <=> ``S > floor(q)``. Floats are exact binary rationals, so
    ``Fraction(f)`` keeps the comparison exact.
    """
    small, median, big = sums
    _, n2, n3 = windows
    pixels = big.size
    total = int(big.sum(dtype=np.int64))
    median_bound = _bound(Fraction(median_factor) * total * n2**2 / (n3**2 * pixels))
    big_bound = _bound(Fraction(big_factor) * total / pixels)
    return (median > median_bound) | ((small > 0) & (big > big_bound))


def _check_range(image: np.ndarray, *, name: str) -> None:
    """Raise unless every value of `image` is in 0..255."""
    low, high = float(image.min()), float(image.max())
    if low < 0 or high > 255:
        raise InvalidImageError(
            f"expected {name} values in 0..255, got values in [{low:g}, {high:g}]"
        )


def _check_blend_arrays(
    source: np.ndarray, guide: np.ndarray | None, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated ``(source, guide, mask)``; a None guide becomes black."""
    source = check_rgb(source, name="source")
    _check_range(source, name="source")
    if guide is None:
        guide = np.zeros(source.shape, dtype=np.float32)
    guide = check_rgb(guide, name="guide")
    _check_range(guide, name="guide")
    mask = check_mask(mask)
    if guide.shape != source.shape:
        raise InvalidImageError(
            f"expected guide of shape {source.shape} (the source's), got {guide.shape}"
        )
    if mask.shape != source.shape[:2]:
        raise InvalidImageError(
            f"expected mask of shape {source.shape[:2]} (the source's), got {mask.shape}"
        )
    if mask.min() < 0:
        raise InvalidImageError(f"expected mask values >= 0, got a minimum of {mask.min()}")
    return source, guide, mask


def _check_blend_options(
    shape: tuple[int, ...],
    windows: tuple[object, object, object],
    factors: tuple[object, object],
) -> tuple[tuple[int, int, int], tuple[float, float]]:
    """Validated windows (between 1 and ``max(M, N)``) and factors (finite, >= 0)."""
    limit = max(shape[0], shape[1])
    n1, n2, n3 = (
        _check_window(n, name=name, limit=limit) for n, name in zip(windows, ("n1", "n2", "n3"))
    )
    median_factor = check_number(factors[0], name="convd_median_factor")
    big_factor = check_number(factors[1], name="convd_big_factor")
    return (n1, n2, n3), (median_factor, big_factor)


def _check_rng(rng: np.random.Generator | None) -> np.random.Generator:
    """`rng`, or a fresh ``np.random.default_rng()`` when None."""
    if rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise InvalidParameterError(
            f"expected rng to be a numpy.random.Generator, got {type(rng).__name__}"
        )
    return rng


def _draw_keep(rng: np.random.Generator, shape: tuple[int, int], rate: float) -> np.ndarray | None:
    """The Bernoulli(`rate`) keep-mask ``rng.random(shape) < rate``.

    None (meaning all True) at rate 1, without drawing.
    """
    if rate == 1:
        return None
    return rng.random(shape) < rate


def convolved_keep(
    mask: np.ndarray,
    *,
    n1: int = 5,
    n2: int = 25,
    n3: int = 120,
    convd_median_factor: float = 5.0,
    convd_big_factor: float = 1.0,
) -> np.ndarray:
    """Where :func:`blend_convolved` keeps the source before the random thinning.

    ``(median > convd_median_factor * big.mean()) | ((small > 0) &
    (big > convd_big_factor * big.mean()))`` with ``small``, ``median`` and
    ``big`` the ``n1``, ``n2`` and ``n3`` box averages of `mask`, evaluated
    exactly (see the module docstring).

    Parameters
    ----------
    mask : (M, N) ndarray
        Integer mask, values >= 0.
    n1, n2, n3 : int
        Window sides, between 1 and ``max(M, N)``.
    convd_median_factor, convd_big_factor : float
        Finite factors >= 0.

    Returns
    -------
    (M, N) ndarray of bool

    Raises
    ------
    InvalidImageError
        If `mask` is not an ``(M, N)`` integer array with values >= 0.
    InvalidParameterError
        On a bad window or factor.
    """
    mask = check_mask(mask)
    if mask.min() < 0:
        raise InvalidImageError(f"expected mask values >= 0, got a minimum of {mask.min()}")
    windows, factors = _check_blend_options(
        mask.shape, (n1, n2, n3), (convd_median_factor, convd_big_factor)
    )
    return _keep_from_mask(mask, windows, factors)


def _keep_from_mask(mask: np.ndarray, windows: tuple[int, int, int], factors: tuple[float, float]) -> np.ndarray:
    """The three window sums from one integral image, then the exact keep rule."""
    integral = _integral(mask)
    sums = tuple(_box_from_integral(integral, n) for n in windows)
    return _keep_from_sums(sums, windows, *factors)


def blend_convolved(
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
    """Put the source into the guide where the smoothed mask says so (the original's blend).

    Per channel ``d`` in R, G, B, with ``small``, ``median``, ``big`` the
    ``n1``, ``n2``, ``n3`` box averages of `mask` and ``w`` a Bernoulli keep
    mask of rate ``keep_rates(rb_rate)[d]``::

        keep = (median > convd_median_factor * big.mean()) & w
               | (small > 0) & w & (big > convd_big_factor * big.mean())
        out[..., d] = where(keep, source[..., d], guide[..., d]).astype(uint8)

    Byte for byte the result of :func:`~prisma_abu.ops.blend_reference.blend_convolved_reference` (same
    `rng` state), but exact integer arithmetic in O(1) per pixel.

    ``w`` is drawn as ``rng.random((M, N)) < rate`` once per channel, in
    R, G, B order. When `rb_rate` is exactly 1 nothing is drawn (``w`` is all
    True) and `rng` is left untouched; otherwise exactly three draws are made.

    Parameters
    ----------
    source : (M, N, 3) ndarray
        RGB picture in 0..255, kept where the mask is dense.
    guide : (M, N, 3) ndarray or None
        RGB picture in 0..255 shown elsewhere; None for black (the original's
        default).
    mask : (M, N) ndarray
        Integer mask, values >= 0 (uint8 0..255 from :mod:`prisma_abu.ops.masks`).
    n1, n2, n3 : int
        Sides of the small, median and big windows, between 1 and ``max(M, N)``.
    rb_rate : float
        Keep probability of the red channel, in (0, 1]; see :func:`keep_rates`.
    convd_median_factor, convd_big_factor : float
        Finite factors >= 0 on the mean of the big average.
    rng : numpy.random.Generator or None
        Source of ``w``; a fresh ``np.random.default_rng()`` when None.

    Returns
    -------
    (M, N, 3) ndarray of uint8
        The blend (float values truncated toward zero, as the original's
        ``astype("uint8")``).

    Raises
    ------
    InvalidImageError
        On arrays of the wrong shape, dtype or range, or shapes that disagree.
    InvalidParameterError
        On a window, rate, factor or generator out of range.
    """
    source, guide, mask = _check_blend_arrays(source, guide, mask)
    rates = keep_rates(rb_rate)
    windows, factors = _check_blend_options(
        source.shape, (n1, n2, n3), (convd_median_factor, convd_big_factor)
    )
    rng = _check_rng(rng)
    either = _keep_from_mask(mask, windows, factors)
    if rates == (1.0, 1.0, 1.0):  # nothing drawn: all channels at once
        return np.where(either[..., None], source, guide).astype("uint8")
    out = np.empty(source.shape, dtype=np.uint8)
    for d, rate in enumerate(rates):
        w = _draw_keep(rng, mask.shape, rate)
        keep = either if w is None else either & w
        out[..., d] = np.where(keep, source[..., d], guide[..., d]).astype("uint8")
    return out
