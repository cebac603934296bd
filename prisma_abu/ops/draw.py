"""The original's ``show_features`` picture, drawn into an array (no matplotlib)."""

from __future__ import annotations

import numbers

import numpy as np
from skimage.draw import disk, line

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.color import as_uint8, check_rgb

__all__ = ["draw_features"]

_BLUE = np.array([0, 0, 255], dtype=np.uint8)
_RED = np.array([255, 0, 0], dtype=np.uint8)


def _check_points(points: np.ndarray, *, name: str, allow_nan: bool) -> np.ndarray:
    """`points` as a float (K, 2) array (finite unless `allow_nan`), else raise."""
    array = np.asarray(points)
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2 or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise InvalidParameterError(
            f"expected {name} as a (K, 2) numeric array, got {array.dtype} {array.shape}"
        )
    array = array.astype(np.float64)
    finite = np.isfinite(array) | (allow_nan & np.isnan(array))
    if not finite.all():
        raise InvalidParameterError(f"expected finite values in {name}, got {array.tolist()}")
    return array


def _check_length(value: object, *, name: str) -> int:
    """`value` as an int >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise InvalidParameterError(f"expected {name} to be an integer >= 0, got {value!r}")
    return int(value)


def _draw_plus(canvas: np.ndarray, row: int, col: int, arm: int) -> None:
    """A red ``+`` with arms of `arm` pixels centred on (row, col), clipped to `canvas`."""
    shape = canvas.shape[:2]
    for r0, c0, r1, c1 in ((row - arm, col, row + arm, col), (row, col - arm, row, col + arm)):
        rr, cc = line(r0, c0, r1, c1)
        inside = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
        canvas[rr[inside], cc[inside]] = _RED


def draw_features(
    image: np.ndarray,
    coords: np.ndarray,
    coords_subpix: np.ndarray,
    *,
    dot_radius: int = 1,
    plus_arm: int = 7,
) -> np.ndarray:
    """The picture with its Harris corners marked, as the original's ``show_features``.

    The original plotted blue dots (``'.b'``) at `coords` and red crosses
    (``'+r'``, marker size 15) at `coords_subpix` with matplotlib. Here the
    red ``+`` (arms of `plus_arm` pixels, at the rounded sub-pixel position)
    are drawn first and the blue dots (disks of radius `dot_radius`) on top,
    so that each corner stays visible; sub-pixel rows with a NaN are
    skipped; marks are clipped to the picture.

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB picture, uint8 or float in 0..255 (converted with
        ``np.uint8(np.clip(image, 0, 255))``).
    coords : (K, 2) ndarray
        ``(row, column)`` of the corners (:func:`~prisma_abu.ops.features.find_corners`).
    coords_subpix : (L, 2) ndarray
        Refined ``(row, column)``, NaN where unknown (such rows are skipped).
    dot_radius : int
        Radius of the blue dots, >= 0 (0 is a single pixel).
    plus_arm : int
        Length of each arm of the red crosses, >= 0.

    Returns
    -------
    (M, N, 3) ndarray of uint8
        A new picture.

    Raises
    ------
    InvalidImageError
        If `image` is not a finite ``(M, N, 3)`` numeric array.
    InvalidParameterError
        On badly shaped points or a negative size.
    """
    canvas = as_uint8(check_rgb(image))
    corners = _check_points(coords, name="coords", allow_nan=False)
    refined = _check_points(coords_subpix, name="coords_subpix", allow_nan=True)
    radius = _check_length(dot_radius, name="dot_radius")
    arm = _check_length(plus_arm, name="plus_arm")
    for row, col in np.rint(refined[~np.isnan(refined).any(axis=1)]).astype(np.intp):
        _draw_plus(canvas, int(row), int(col), arm)
    for row, col in np.rint(corners).astype(np.intp):
        rr, cc = disk((row, col), radius + 0.5, shape=canvas.shape[:2])
        canvas[rr, cc] = _BLUE
    return canvas
