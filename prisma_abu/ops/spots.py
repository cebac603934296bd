"""The original's spots: squares of a mask forced to keep (255) or drop (0) the photo."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.color import check_mask

__all__ = ["Spot", "apply_spots"]

#: ``(y, x, size)``: a square's top-left corner and side
Spot = tuple[int, int, int]


def _check_spot(spot: object) -> Spot:
    """`spot` as ``(y, x, size)`` ints with size >= 0, else raise."""
    values = tuple(spot) if isinstance(spot, (list, tuple, np.ndarray)) else None
    if values is None or len(values) != 3 or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values
    ):
        raise InvalidParameterError(f"expected a spot as 3 integers (y, x, size), got {spot!r}")
    if values[2] < 0:
        raise InvalidParameterError(f"expected a spot size >= 0, got {values[2]!r}")
    return int(values[0]), int(values[1]), int(values[2])


def _square(shape: tuple[int, int], spot: Spot) -> tuple[slice, slice]:
    """``[y-size, y+size) x [x-size, x+size)`` clipped to `shape`."""
    y, x, size = spot
    rows = slice(min(max(y - size, 0), shape[0]), min(max(y + size, 0), shape[0]))
    cols = slice(min(max(x - size, 0), shape[1]), min(max(x + size, 0), shape[1]))
    return rows, cols


def apply_spots(
    mask: np.ndarray,
    *,
    keep: Iterable[Spot] = (),
    drop: Iterable[Spot] = (),
) -> np.ndarray:
    """Force squares of a mask on (`keep`) and then off (`drop`).

    Each spot ``(y, x, size)`` is the square ``[y - size, y + size) x
    [x - size, x + size)`` clipped to the mask (a size of 0 is empty). The
    original's version built the square with a transposed meshgrid and lost
    the row or column 0; this one is the clean square.

    Parameters
    ----------
    mask : (M, N) ndarray
        Integer mask, 0..255 (other values are clipped); a bool mask is
        read as 0/255.
    keep : sequence of (int, int, int)
        Squares set to 255.
    drop : sequence of (int, int, int)
        Squares set to 0, after the `keep` ones.

    Returns
    -------
    (M, N) ndarray of uint8
        A new mask.

    Raises
    ------
    InvalidImageError
        If `mask` is not an ``(M, N)`` integer array.
    InvalidParameterError
        On a spot that is not 3 integers with a size >= 0.
    """
    mask = check_mask(mask)
    keep_spots = [_check_spot(s) for s in keep]
    drop_spots = [_check_spot(s) for s in drop]
    if mask.dtype == bool:
        result = mask.astype(np.uint8) * np.uint8(255)
    else:
        result = np.clip(mask, 0, 255).astype(np.uint8)
    for spot in keep_spots:
        result[_square(result.shape, spot)] = 255
    for spot in drop_spots:
        result[_square(result.shape, spot)] = 0
    return result
