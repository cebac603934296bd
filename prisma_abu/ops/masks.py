"""The original's masks: Otsu, mean +/- std, Harris-corner regions, their sums.

Every mask function returns a new ``(M, N)`` uint8 array with values 0..255
(0 or 255 for the binary ones) and never writes to its inputs.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import threshold_otsu
from skimage.segmentation import clear_border

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import as_uint8, check_grey, check_mask, check_number, check_rgb

__all__ = [
    "MASKS",
    "MASK_COMBINATIONS",
    "MASK_NAMES",
    "apply_spots",
    "dilation_count",
    "feature_region",
    "find_corners",
    "make_mask",
    "mask_features",
    "mask_otsu",
    "mask_stdmean",
    "parse_mask_spec",
]

Spot = tuple[int, int, int]


def _to_uint8_mask(mask: np.ndarray, *, cb: bool) -> np.ndarray:
    """A boolean mask, optionally without border-touching regions, as 0/255 uint8."""
    if cb:
        mask = clear_border(mask)
    return mask.astype(np.uint8) * np.uint8(255)


def mask_otsu(grey: np.ndarray, *, dd: bool = True, cb: bool = False) -> np.ndarray:
    """Otsu mask: the pixels brighter (`dd`) or darker than Otsu's threshold.

    A constant picture has no threshold to speak of; its mask is all 0
    (neither brighter nor darker than its only value).

    Parameters
    ----------
    grey : (M, N) ndarray
        Grey picture in [0, 1].
    dd : bool
        ``grey > threshold`` when True, ``grey < threshold`` when False.
    cb : bool
        Remove the regions touching the border (``clear_border``).

    Returns
    -------
    (M, N) ndarray of uint8
        0 or 255.

    Raises
    ------
    InvalidImageError
        If `grey` is not a finite ``(M, N)`` array in [0, 1].
    """
    grey = check_grey(grey)
    if grey.min() == grey.max():
        return np.zeros(grey.shape, dtype=np.uint8)
    threshold = threshold_otsu(grey)
    selected = grey > threshold if dd else grey < threshold
    return _to_uint8_mask(selected, cb=cb)


def mask_stdmean(grey: np.ndarray, *, std_factor: float = 1.0, cb: bool = False) -> np.ndarray:
    """Mask of the pixels further than ``std_factor`` standard deviations from the mean.

    ``grey > mean + k * std`` and ``grey < mean - k * std`` are each made a
    0/255 mask (each cleared of border regions when `cb`), summed and
    clipped to 255. Mean and standard deviation are numpy's, in the dtype
    of `grey` (float32 for :func:`~prisma_abu.ops.color.to_grey`), as the
    original computed them.

    Parameters
    ----------
    grey : (M, N) ndarray
        Grey picture in [0, 1].
    std_factor : float
        ``k``, any finite number (a negative one makes both halves overlap).
    cb : bool
        Remove the regions touching the border from each half.

    Returns
    -------
    (M, N) ndarray of uint8
        0 or 255.

    Raises
    ------
    InvalidImageError
        If `grey` is not a finite ``(M, N)`` array in [0, 1].
    InvalidParameterError
        If `std_factor` is not a finite number.
    """
    grey = check_grey(grey)
    k = check_number(std_factor, name="std_factor", minimum=None)
    mean, std = grey.mean(), grey.std()
    above = _to_uint8_mask(grey > mean + k * std, cb=cb)
    below = _to_uint8_mask(grey < mean - k * std, cb=cb)
    return np.uint8(np.clip(above.astype(np.int16) + below, 0, 255))


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


def _otsu_entry(image: np.ndarray, grey: np.ndarray, **knobs: float) -> np.ndarray:
    return mask_otsu(grey, dd=bool(knobs["dd"]), cb=bool(knobs["cb"]))


def _stdmean_entry(image: np.ndarray, grey: np.ndarray, **knobs: float) -> np.ndarray:
    return mask_stdmean(grey, std_factor=knobs["std_factor"], cb=bool(knobs["cb"]))


def _features_entry(image: np.ndarray, grey: np.ndarray, **knobs: float) -> np.ndarray:
    return mask_features(image, grey, loop_factor=knobs["loop_factor"])


MASKS: Mapping[str, Callable[..., np.ndarray]] = MappingProxyType(
    {"otsu": _otsu_entry, "stdmean": _stdmean_entry, "features": _features_entry}
)
"""Canonical mask name -> ``f(image, grey, *, dd, cb, std_factor, loop_factor)``."""

MASK_NAMES: tuple[str, ...] = tuple(MASKS)
"""The canonical mask names, ``("otsu", "stdmean", "features")``."""

MASK_COMBINATIONS: tuple[tuple[str, ...], ...] = (
    ("otsu",),
    ("stdmean",),
    ("features",),
    ("otsu", "stdmean"),
    ("otsu", "features"),
    ("stdmean", "features"),
    ("otsu", "stdmean", "features"),
)
"""The seven combinations the original offered, as canonical names."""


def _canonical_name(name: object) -> str:
    """``"otsu_func"`` / ``" Otsu "`` -> ``"otsu"``; raise on anything unknown."""
    valid = ", ".join(repr(n) for n in MASK_NAMES)
    if not isinstance(name, str):
        raise InvalidParameterError(f"expected a mask name (one of {valid}), got {name!r}")
    key = name.strip().lower()
    key = key[: -len("_func")] if key.endswith("_func") else key
    if key not in MASKS:
        raise InvalidParameterError(
            f"expected mask names among {valid} (optionally with '_func'), got {name!r}"
        )
    return key


def parse_mask_spec(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Canonical mask names from a spec such as ``"otsu_func + stdmean_func"``.

    A string is split on ``+``; each part (or each item of a list or tuple)
    is a name from :data:`MASK_NAMES`, optionally with the original's
    ``_func`` suffix, case and surrounding spaces ignored. Order and
    repetitions are kept.

    Parameters
    ----------
    spec : str or sequence of str
        The masks to add up.

    Returns
    -------
    tuple of str
        Canonical names, at least one.

    Raises
    ------
    InvalidParameterError
        On an empty spec, an empty part or an unknown name.
    """
    if isinstance(spec, str):
        parts: list[object] = spec.split("+")
    elif isinstance(spec, (list, tuple)):
        parts = list(spec)
    else:
        raise InvalidParameterError(
            f"expected a mask spec as a string or a list of names, got {type(spec).__name__}"
        )
    if not parts or (isinstance(spec, str) and not spec.strip()):
        raise InvalidParameterError(f"expected at least one mask name, got {spec!r}")
    return tuple(_canonical_name(part) for part in parts)


def make_mask(
    image: np.ndarray,
    grey: np.ndarray,
    spec: str | Iterable[str],
    *,
    dd: bool = True,
    cb: bool = False,
    std_factor: float = 1.0,
    loop_factor: float = 1.0,
) -> np.ndarray:
    """The sum of the masks named by `spec`, clipped to 255.

    Each mask gets its own knobs: ``otsu`` uses `dd` and `cb`, ``stdmean``
    uses `std_factor` and `cb`, ``features`` uses `loop_factor` (and ignores
    `cb`, like the original).

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB picture in 0..255.
    grey : (M, N) ndarray
        Its grey picture in [0, 1].
    spec : str or sequence of str
        See :func:`parse_mask_spec`.
    dd, cb, std_factor, loop_factor
        See :func:`mask_otsu`, :func:`mask_stdmean`, :func:`mask_features`.

    Returns
    -------
    (M, N) ndarray of uint8
        0..255.

    Raises
    ------
    InvalidImageError
        On bad arrays or shapes that disagree.
    InvalidParameterError
        On a bad spec or knob.
    """
    names = parse_mask_spec(spec)
    image, grey = check_rgb(image), check_grey(grey)
    if image.shape[:2] != grey.shape:
        raise InvalidImageError(
            f"expected grey of shape {image.shape[:2]} (the image's), got {grey.shape}"
        )
    knobs = {"dd": dd, "cb": cb, "std_factor": std_factor, "loop_factor": loop_factor}
    total = np.zeros(grey.shape, dtype=np.int32)
    for name in names:
        total += MASKS[name](image, grey, **knobs)
    return np.uint8(np.clip(total, 0, 255))


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
