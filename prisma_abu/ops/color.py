"""Colour conversions and the argument checks shared by :mod:`prisma_abu.ops`.

Images are ``(M, N, 3)`` RGB arrays in 0..255 (float32 unless stated), grey
pictures are ``(M, N)`` float arrays in [0, 1] and masks are ``(M, N)``
integer arrays (uint8, 0..255).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from PIL import Image

from prisma_abu.errors import InvalidImageError, InvalidParameterError

__all__ = [
    "as_uint8",
    "check_grey",
    "check_mask",
    "check_number",
    "check_rgb",
    "to_grey",
]


def _check_real(array: np.ndarray, *, name: str) -> None:
    """Reject bool, complex and non-numeric arrays and non-finite values."""
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise InvalidImageError(
            f"expected {name} with an integer or float dtype, got {array.dtype}"
        )
    if array.size == 0:
        raise InvalidImageError(f"expected a non-empty {name}, got shape {array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise InvalidImageError(f"expected finite values in {name}, got NaN or infinity")


def check_rgb(image: np.ndarray, *, name: str = "image") -> np.ndarray:
    """Check that `image` is a finite ``(M, N, 3)`` RGB array.

    Parameters
    ----------
    image : (M, N, 3) array_like
        Integer or float RGB picture; the values are not range-checked.
    name : str
        What to call the array in error messages.

    Returns
    -------
    (M, N, 3) ndarray
        `image` as an ndarray (not copied when it already is one).

    Raises
    ------
    InvalidImageError
        On a wrong shape, dtype, an empty array or a non-finite value.
    """
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3:
        raise InvalidImageError(f"expected {name} of shape (M, N, 3), got {array.shape}")
    _check_real(array, name=name)
    return array


def check_grey(grey: np.ndarray, *, name: str = "grey") -> np.ndarray:
    """Check that `grey` is a finite ``(M, N)`` array with values in [0, 1].

    Parameters
    ----------
    grey : (M, N) array_like
        Grey picture, as :func:`to_grey` returns.
    name : str
        What to call the array in error messages.

    Returns
    -------
    (M, N) ndarray
        `grey` as an ndarray (not copied when it already is one).

    Raises
    ------
    InvalidImageError
        On a wrong shape or dtype, an empty array, a non-finite value or a
        value outside [0, 1].
    """
    array = np.asarray(grey)
    if array.ndim != 2:
        raise InvalidImageError(f"expected {name} of shape (M, N), got {array.shape}")
    _check_real(array, name=name)
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise InvalidImageError(
            f"expected {name} with values in [0, 1], got values in [{low:g}, {high:g}]"
        )
    return array


def check_mask(mask: np.ndarray, *, name: str = "mask") -> np.ndarray:
    """Check that `mask` is an ``(M, N)`` integer (or bool) array.

    Parameters
    ----------
    mask : (M, N) array_like
        Integer or bool mask; uint8 0..255 in this package.
    name : str
        What to call the array in error messages.

    Returns
    -------
    (M, N) ndarray
        `mask` as an ndarray (not copied when it already is one).

    Raises
    ------
    InvalidImageError
        On a wrong shape, a non-integer dtype or an empty array.
    """
    array = np.asarray(mask)
    if array.ndim != 2:
        raise InvalidImageError(f"expected {name} of shape (M, N), got {array.shape}")
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.integer)):
        raise InvalidImageError(
            f"expected {name} with an integer or bool dtype, got {array.dtype}"
        )
    if array.size == 0:
        raise InvalidImageError(f"expected a non-empty {name}, got shape {array.shape}")
    return array


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


def as_uint8(image: np.ndarray) -> np.ndarray:
    """Clip to 0..255 and cast to uint8, as the original's ``np.uint8(np.clip(x, 0, 255))``.

    Parameters
    ----------
    image : (...) array_like
        Integer or float array of any shape; float values are truncated
        toward zero after clipping (``np.uint8`` casting).

    Returns
    -------
    (...) ndarray of uint8
        A new array.

    Raises
    ------
    InvalidImageError
        On a non-numeric dtype, an empty array or a non-finite value.
    """
    array = np.asarray(image)
    _check_real(array, name="image")
    return np.uint8(np.clip(array, 0, 255))


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
