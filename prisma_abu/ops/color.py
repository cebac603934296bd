"""Colour conversions and the number check shared by :mod:`prisma_abu.ops`.

Images are ``(M, N, 3)`` RGB arrays in 0..255 (float32 unless stated), grey
pictures are ``(M, N)`` float arrays in [0, 1] and masks are ``(M, N)``
integer arrays (uint8, 0..255). The picture checks live in
:mod:`prisma_abu.images` (every layer uses them); they are ops' names too.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from PIL import Image

from prisma_abu.errors import InvalidParameterError
from prisma_abu.images import as_uint8, check_grey, check_mask, check_rgb  # noqa: F401 (ops' names)

__all__ = [
    "as_uint8",
    "check_grey",
    "check_mask",
    "check_number",
    "check_rgb",
    "to_grey",
]


def check_number(value: object, *, name: str, minimum: float | None = 0.0) -> float:
    """Check that `value` is a finite real number, at least `minimum`.

    Parameters
    ----------
    value : object
        The number to check (bool is refused).
    name : str
        What to call it in error messages.
    minimum : float or None
        Smallest accepted value; None for no bound.

    Returns
    -------
    float
        `value` as a float.

    Raises
    ------
    InvalidParameterError
        If `value` is not a real number, not finite or below `minimum`.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"expected {name} to be a real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        expected = "a finite number" if minimum is None else f"a finite number >= {minimum:g}"
        raise InvalidParameterError(f"expected {name} to be {expected}, got {value!r}")
    return number


def to_grey(image: np.ndarray) -> np.ndarray:
    """Luma of an RGB picture, exactly as Pillow's ``convert('L')`` gives it.

    Computes ``np.float32(Image.fromarray(uint8_image).convert('L')) / 255``,
    the original's ``l_img``. A float `image` is first converted with
    ``np.uint8(np.clip(image, 0, 255))`` (clipped, then truncated toward zero);
    a uint8 `image` is used as it is.

    Parameters
    ----------
    image : (M, N, 3) array_like
        RGB picture, uint8 or float in 0..255.

    Returns
    -------
    (M, N) ndarray of float32
        Grey picture in [0, 1].

    Raises
    ------
    InvalidImageError
        If `image` is not a finite ``(M, N, 3)`` numeric array.
    """
    array = check_rgb(image)
    pixels = array if array.dtype == np.uint8 else as_uint8(array)
    luma = Image.fromarray(np.ascontiguousarray(pixels)).convert("L")
    return np.asarray(luma, dtype=np.float32) / 255
