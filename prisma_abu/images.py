"""The picture arrays every layer passes around, checked in one place.

A picture is an ``(M, N, 3)`` RGB array in 0..255 (float32 unless stated), a
grey picture an ``(M, N)`` float array in [0, 1] and a mask an ``(M, N)``
integer array (uint8, 0..255). ``ops``, ``neural``, ``pipeline`` and ``io``
all check what they are given here, so a bad array gets the same one-line
:class:`~prisma_abu.errors.InvalidImageError` whichever door it came in by.
(Torch tensors are checked by :func:`prisma_abu.neural.device.check_image_tensor`.)

Examples
--------
>>> import numpy as np
>>> check_rgb(np.zeros((2, 3, 3))).shape
(2, 3, 3)
>>> as_uint8(np.array([-1.0, 254.9, 300.0]))
array([  0, 254, 255], dtype=uint8)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidImageError

__all__ = ["check_rgb", "check_grey", "check_mask", "as_uint8"]


def _array(image: Any, name: str, expected: str) -> np.ndarray:
    try:
        return np.asarray(image)
    except (ValueError, TypeError):
        raise InvalidImageError(f"{name}: expected {expected}, got {type(image).__name__}") from None


def _check_real(array: np.ndarray, *, name: str) -> None:
    """Reject bool, complex and non-numeric arrays, empty ones and non-finite values."""
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


def check_rgb(image: Any, name: str = "image") -> np.ndarray:
    """Check that `image` is a finite, non-empty ``(M, N, 3)`` RGB array.

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
        On something that is no array, a wrong shape, dtype, an empty array or a non-finite value.
    """
    expected = "an (M, N, 3) RGB array"
    array = _array(image, name, expected)
    if array.ndim != 3 or array.shape[2] != 3:
        raise InvalidImageError(f"{name}: expected {expected}, got shape {array.shape}")
    _check_real(array, name=name)
    return array


def check_grey(grey: Any, *, name: str = "grey") -> np.ndarray:
    """Check that `grey` is a finite ``(M, N)`` array with values in [0, 1].

    Returns `grey` as an ndarray (not copied when it already is one).

    Raises
    ------
    InvalidImageError
        On a wrong shape or dtype, an empty array, a non-finite value or a value outside [0, 1].
    """
    array = _array(grey, name, "an (M, N) array")
    if array.ndim != 2:
        raise InvalidImageError(f"expected {name} of shape (M, N), got {array.shape}")
    _check_real(array, name=name)
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise InvalidImageError(
            f"expected {name} with values in [0, 1], got values in [{low:g}, {high:g}]"
        )
    return array


def check_mask(mask: Any, *, name: str = "mask") -> np.ndarray:
    """Check that `mask` is a non-empty ``(M, N)`` integer (or bool) array (uint8 0..255 in this package).

    Returns `mask` as an ndarray (not copied when it already is one).

    Raises
    ------
    InvalidImageError
        On a wrong shape, a non-integer dtype or an empty array.
    """
    array = _array(mask, name, "an (M, N) array")
    if array.ndim != 2:
        raise InvalidImageError(f"expected {name} of shape (M, N), got {array.shape}")
    if not (array.dtype == bool or np.issubdtype(array.dtype, np.integer)):
        raise InvalidImageError(
            f"expected {name} with an integer or bool dtype, got {array.dtype}"
        )
    if array.size == 0:
        raise InvalidImageError(f"expected a non-empty {name}, got shape {array.shape}")
    return array


def as_uint8(image: Any) -> np.ndarray:
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
    array = _array(image, "image", "a numeric array")
    _check_real(array, name="image")
    return np.uint8(np.clip(array, 0, 255))
