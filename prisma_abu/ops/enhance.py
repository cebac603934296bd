"""The original's enhancement presets (Pillow ``ImageEnhance`` and ``ImageFilter``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.color import as_uint8, check_number, check_rgb

__all__ = ["ENHANCE_FACTORS", "ENHANCE_PRESETS", "enhance_image"]

ENHANCE_PRESETS: tuple[str | None, ...] = (
    None,
    "Sharpness",
    "Brightness",
    "Contrast",
    "Color",
    "CONTOUR",
    "EDGES",
    "EMBOSS",
    "EEM",
    "EE",
)
"""The preset names; None (or ``"None"``) leaves the picture as it is."""

ENHANCE_FACTORS: Mapping[str, float] = MappingProxyType(
    {"Sharpness": 8.8, "Brightness": 1.8, "Contrast": 2.6, "Color": 7.6, "CONTOUR": 2.6}
)
"""The original's default factor of each preset that has one (CONTOUR: its contrast step)."""

_ENHANCERS = MappingProxyType(
    {
        "Sharpness": ImageEnhance.Sharpness,
        "Brightness": ImageEnhance.Brightness,
        "Contrast": ImageEnhance.Contrast,
        "Color": ImageEnhance.Color,
    }
)

_FILTERS = MappingProxyType(
    {
        "CONTOUR": ImageFilter.CONTOUR,
        "EDGES": ImageFilter.FIND_EDGES,
        "EMBOSS": ImageFilter.EMBOSS,
        "EEM": ImageFilter.EDGE_ENHANCE_MORE,
        "EE": ImageFilter.EDGE_ENHANCE,
    }
)


def _apply(picture: Image.Image, preset: str, factor: float | None) -> Image.Image:
    """Run `preset` on a Pillow RGB picture."""
    if preset in ENHANCE_FACTORS:
        amount = ENHANCE_FACTORS[preset] if factor is None else factor
        enhancer = _ENHANCERS.get(preset, ImageEnhance.Contrast)
        picture = enhancer(picture).enhance(amount)
    if preset in _FILTERS:
        picture = picture.filter(_FILTERS[preset])
    return picture


def enhance_image(
    image: np.ndarray, preset: str | None, *, factor: float | None = None
) -> np.ndarray:
    """Apply one of the original's enhancement presets.

    ``"Sharpness"``, ``"Brightness"``, ``"Contrast"`` and ``"Color"`` are
    Pillow's ``ImageEnhance`` classes with the factors of
    :data:`ENHANCE_FACTORS` (8.8, 1.8, 2.6, 7.6). ``"CONTOUR"`` is Contrast
    2.6 followed by ``ImageFilter.CONTOUR``; ``"EDGES"``, ``"EMBOSS"``,
    ``"EEM"`` and ``"EE"`` are ``ImageFilter.FIND_EDGES``, ``EMBOSS``,
    ``EDGE_ENHANCE_MORE`` and ``EDGE_ENHANCE``. None or ``"None"`` returns a
    copy. A float `image` is converted with ``np.uint8(np.clip(image, 0,
    255))`` first.

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB picture in 0..255.
    preset : str or None
        One of :data:`ENHANCE_PRESETS` (or ``"None"``).
    factor : float or None
        Replaces the preset's factor: the enhancement of the four enhancers
        and the contrast step of ``"CONTOUR"``. The pure filters have no
        factor and ignore it. Must be finite and >= 0.

    Returns
    -------
    (M, N, 3) ndarray of float32
        The enhanced picture, 0..255 (a new array).

    Raises
    ------
    InvalidImageError
        If `image` is not a finite ``(M, N, 3)`` numeric array.
    InvalidParameterError
        On an unknown preset or a negative or non-finite factor.
    """
    array = check_rgb(image)
    if preset is not None and preset != "None" and preset not in ENHANCE_PRESETS:
        valid = ", ".join(repr(p) for p in ENHANCE_PRESETS)
        raise InvalidParameterError(f"expected an enhance preset among {valid}, got {preset!r}")
    if factor is not None:
        factor = check_number(factor, name="factor")
    if preset is None or preset == "None":
        return array.astype(np.float32, copy=True)
    picture = _apply(Image.fromarray(as_uint8(array)), preset, factor)
    return np.asarray(picture, dtype=np.float32)
