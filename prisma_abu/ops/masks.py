"""The original's masks: Otsu, mean +/- std, Harris-corner regions (:mod:`prisma_abu.ops.features`), their sums;
the spots that force a square either way are :mod:`prisma_abu.ops.spots`'.

Every mask function returns a new ``(M, N)`` uint8 array with values 0..255
(0 or 255 for the binary ones) and never writes to its inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import numpy as np
from skimage.filters import threshold_otsu
from skimage.segmentation import clear_border

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import check_grey, check_number, check_rgb

__all__ = [
    "MASKS",
    "MASK_COMBINATIONS",
    "MASK_NAMES",
    "make_mask",
    "mask_otsu",
    "mask_stdmean",
    "parse_mask_spec",
]


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


def _otsu_entry(image: np.ndarray, grey: np.ndarray, **knobs: float) -> np.ndarray:
    return mask_otsu(grey, dd=bool(knobs["dd"]), cb=bool(knobs["cb"]))


def _stdmean_entry(image: np.ndarray, grey: np.ndarray, **knobs: float) -> np.ndarray:
    return mask_stdmean(grey, std_factor=knobs["std_factor"], cb=bool(knobs["cb"]))


def _features_entry(image: np.ndarray, grey: np.ndarray, **knobs: float) -> np.ndarray:
    from prisma_abu.ops.features import mask_features  # skimage.feature only for this mask

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
