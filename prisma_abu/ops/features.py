"""The original's Harris-corner regions: corners, their sub-pixel refinements, the dilated region around
them, and the ``features`` mask made of it (:mod:`prisma_abu.ops.masks` registers it).

Every function returns new arrays and never writes to its inputs.
"""

from __future__ import annotations

import numbers

import numpy as np
from PIL import Image
from scipy import ndimage

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import as_uint8, check_grey, check_number, check_rgb

__all__ = ["dilation_count", "feature_region", "find_corners", "mask_features"]


def _harris_peaks(grey: np.ndarray) -> np.ndarray:
    """``corner_peaks(corner_harris(grey), min_distance=5)`` as a (K, 2) int array."""
    from skimage.feature import corner_harris, corner_peaks  # only the features mask (scipy.stats: ~0.4 s)

    coords = corner_peaks(corner_harris(grey), min_distance=5)
    return np.asarray(coords, dtype=np.intp).reshape(-1, 2)


def find_corners(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Harris corners and their sub-pixel refinements, as the original found them.

    ``corner_peaks(corner_harris(grey), min_distance=5)`` and
    ``corner_subpix(grey, coords, window_size=25)``.

    Parameters
    ----------
    grey : (M, N) ndarray
        Grey picture in [0, 1].

    Returns
    -------
    coords : (K, 2) ndarray of int
        ``(row, column)`` of each corner; ``K`` may be 0.
    coords_subpix : (K, 2) ndarray of float
        Refined ``(row, column)``; NaN where no refinement was found.

    Raises
    ------
    InvalidImageError
        If `grey` is not a finite ``(M, N)`` array in [0, 1].
    """
    grey = check_grey(grey)
    coords = _harris_peaks(grey)
    if len(coords) == 0:
        return coords, np.zeros((0, 2), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        from skimage.feature import corner_subpix

        subpix = corner_subpix(grey, coords, window_size=25)
    return coords, np.asarray(subpix, dtype=np.float64).reshape(-1, 2)


def _region_shape(grey_shape_or_grey: np.ndarray | tuple[int, ...]) -> tuple[int, int]:
    """``(M, N)`` from a shape tuple or a 2-D array."""
    if isinstance(grey_shape_or_grey, tuple):
        shape = grey_shape_or_grey
    else:
        shape = np.shape(grey_shape_or_grey)
    if len(shape) != 2 or any(
        isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1 for s in shape
    ):
        raise InvalidImageError(f"expected a shape (M, N) with M, N >= 1, got {shape!r}")
    return int(shape[0]), int(shape[1])


def _check_coords(coords: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`coords` as a (K, 2) int array of in-bounds ``(row, column)``, else raise."""
    array = np.asarray(coords)
    if array.size == 0:
        return np.zeros((0, 2), dtype=np.intp)
    if array.ndim != 2 or array.shape[1] != 2 or not np.issubdtype(array.dtype, np.integer):
        raise InvalidParameterError(
            f"expected coords as a (K, 2) integer array, got {array.dtype} {array.shape}"
        )
    inside = (array >= 0).all() and (array < np.array(shape)).all()
    if not inside:
        raise InvalidParameterError(
            f"expected coords inside an image of shape {shape}, got {array.tolist()}"
        )
    return array


def dilation_count(width: int, loop_factor: float) -> int:
    """The original's number of cross dilations, ``int(width / 10 * loop_factor)``.

    The original ran under Python 2 with an integer width, so ``width / 10``
    was a floor division: this computes ``int((width // 10) * loop_factor)``.
    """
    return int((width // 10) * loop_factor)


def feature_region(
    grey_shape_or_grey: np.ndarray | tuple[int, ...],
    coords: np.ndarray,
    *,
    loop_factor: float = 1.0,
    width: int | None = None,
) -> np.ndarray:
    """The pixels within ``f_loop`` city-block steps of a corner.

    The original set each corner to 1 and ran ``ndimage.binary_dilation``
    (3x3 cross) ``f_loop = int(width / 10 * loop_factor)`` times (see
    :func:`dilation_count`). That is exactly the set of pixels at taxicab
    distance <= ``f_loop`` from a corner, computed here in one distance
    transform instead of ``f_loop`` dilations.

    Parameters
    ----------
    grey_shape_or_grey : (M, N) ndarray or tuple of int
        The grey picture or its shape.
    coords : (K, 2) ndarray of int
        ``(row, column)`` of the corners, inside the picture; K may be 0.
    loop_factor : float
        Scales the number of dilations, finite and >= 0.
    width : int or None
        Width used for ``f_loop``; the picture's width ``N`` when None.

    Returns
    -------
    (M, N) ndarray of bool
        True near a corner; all False when there is no corner.

    Raises
    ------
    InvalidImageError
        If the shape is not 2-D with sides >= 1.
    InvalidParameterError
        On bad `coords`, `loop_factor` or `width`.
    """
    shape = _region_shape(grey_shape_or_grey)
    points = _check_coords(coords, shape)
    factor = check_number(loop_factor, name="loop_factor")
    if width is None:
        width = shape[1]
    elif isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
        raise InvalidParameterError(f"expected width to be an integer >= 1, got {width!r}")
    if len(points) == 0:
        return np.zeros(shape, dtype=bool)
    background = np.ones(shape, dtype=bool)
    background[points[:, 0], points[:, 1]] = False
    distance = ndimage.distance_transform_cdt(background, metric="taxicab")
    return distance <= dilation_count(int(width), factor)


def mask_features(image: np.ndarray, grey: np.ndarray, *, loop_factor: float = 1.0) -> np.ndarray:
    """The picture's luma around its Harris corners, black elsewhere (not binary).

    As the original: ``region * rgb`` per channel (float32), then
    ``Image.fromarray(np.uint8(that)).convert('L')``, where ``region`` is
    :func:`feature_region` of the corners of :func:`find_corners` (their
    sub-pixel refinement is not needed here). The product is clipped
    to 0..255 before the cast (a no-op for pictures in 0..255).

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB picture in 0..255.
    grey : (M, N) ndarray
        Its grey picture in [0, 1] (:func:`~prisma_abu.ops.color.to_grey`).
    loop_factor : float
        Scales the size of the regions, finite and >= 0.

    Returns
    -------
    (M, N) ndarray of uint8
        0..255.

    Raises
    ------
    InvalidImageError
        On bad arrays or shapes that disagree.
    InvalidParameterError
        If `loop_factor` is negative or not finite.
    """
    image = check_rgb(image)
    grey = check_grey(grey)
    if image.shape[:2] != grey.shape:
        raise InvalidImageError(
            f"expected grey of shape {image.shape[:2]} (the image's), got {grey.shape}"
        )
    region = feature_region(grey, _harris_peaks(grey), loop_factor=loop_factor)
    product = region[..., np.newaxis].astype(np.float32) * image.astype(np.float32)
    luma = Image.fromarray(as_uint8(product)).convert("L")
    return np.array(luma, dtype=np.uint8)
