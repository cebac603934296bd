"""Resizing the source picture the way the original did (Pillow LANCZOS)."""

from __future__ import annotations

import numbers

import numpy as np
from PIL import Image

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.color import as_uint8, check_rgb

__all__ = ["resize_image", "resize_longer_side", "resize_cover", "target_size", "longer_side_size", "cover_box",
           "resize_mask", "zoom_detail"]


def _check_size(value: object, *, name: str) -> int:
    """Return `value` as an int when it is an integer >= 1, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(f"expected {name} to be an integer >= 1, got {value!r}")
    return int(value)


def target_size(
    shape: tuple[int, ...],
    *,
    base_width: int = 480,
    keep_size: bool = False,
    height: int | None = None,
) -> tuple[int, int]:
    """The ``(width, height)`` :func:`resize_image` resizes to.

    Parameters
    ----------
    shape : tuple of int
        Shape of the picture, ``(h, w, ...)``.
    base_width : int
        Width of the result, >= 1.
    keep_size : bool
        Keep the aspect ratio when `height` is not given; otherwise the
        result is a ``base_width`` square.
    height : int or None
        Height of the result, >= 1; overrides `keep_size`.

    Returns
    -------
    (int, int)
        ``(width, height)``, each at least 1.

    Raises
    ------
    InvalidParameterError
        If `base_width` or `height` is not an integer >= 1.
    """
    width = _check_size(base_width, name="base_width")
    if height is not None:
        return width, _check_size(height, name="height")
    if not keep_size:
        return width, width
    h, w = shape[0], shape[1]
    return width, max(1, int(float(h) * float(width / float(w))))


def resize_image(
    image: np.ndarray,
    *,
    base_width: int = 480,
    keep_size: bool = False,
    height: int | None = None,
) -> np.ndarray:
    """Resize an RGB picture with Pillow's LANCZOS filter, as the original did.

    The width is always `base_width`. The height is `height` when given,
    else ``int(float(h) * float(base_width / float(w)))`` when `keep_size`
    (at least 1 pixel), else `base_width` (a square, the original's default).
    A float `image` is converted with ``np.uint8(np.clip(image, 0, 255))``
    before resizing.

    Parameters
    ----------
    image : (h, w, 3) array_like
        RGB picture, uint8 or float in 0..255.
    base_width : int
        Width of the result, >= 1.
    keep_size : bool
        Keep the aspect ratio (when `height` is None).
    height : int or None
        Height of the result, >= 1.

    Returns
    -------
    (H, W, 3) ndarray of float32
        The resized picture in 0..255 (a new array).

    Raises
    ------
    InvalidImageError
        If `image` is not a finite ``(h, w, 3)`` numeric array.
    InvalidParameterError
        If `base_width` or `height` is not an integer >= 1.
    """
    array = check_rgb(image)
    size = target_size(array.shape, base_width=base_width, keep_size=keep_size, height=height)
    picture = Image.fromarray(as_uint8(array))
    resized = picture.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.float32)


def longer_side_size(shape: tuple[int, ...], size: int) -> tuple[int, int]:
    """The ``(width, height)`` that gives ``shape`` a longer side of ``size``, aspect kept.

    The shorter side is truncated as the original's ``keep_size`` rule does
    (``int(h * size / w)`` for a landscape picture), at least 1 pixel.
    """
    size = _check_size(size, name="size")
    h, w = shape[0], shape[1]
    if w >= h:
        return size, max(1, int(float(h) * float(size / float(w))))
    return max(1, int(float(w) * float(size / float(h)))), size


def resize_longer_side(image: np.ndarray, size: int) -> np.ndarray:
    """``image`` resized (LANCZOS) so that its longer side is ``size``, aspect kept.

    Parameters
    ----------
    image : (h, w, 3) array_like
        RGB picture, uint8 or float in 0..255.
    size : int
        The longer side of the result, >= 1.

    Returns
    -------
    (H, W, 3) ndarray of float32
        ``max(H, W) == size``; a landscape picture gets exactly what
        ``resize_image(image, base_width=size, keep_size=True)`` gives.
    """
    array = check_rgb(image)
    width, height = longer_side_size(array.shape, size)
    return resize_image(array, base_width=width, height=height)


def cover_box(shape: tuple[int, ...], size: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """How :func:`resize_cover` fits ``shape`` to ``size``: the scaled size and the centred crop box.

    Parameters
    ----------
    shape : tuple of int
        ``(h, w, ...)`` of the picture to fit.
    size : (int, int)
        ``(width, height)`` of the result, each >= 1.

    Returns
    -------
    scaled : (int, int)
        ``(width, height)`` the picture is resized to, aspect kept (rounded),
        each at least the target's side.
    box : (int, int, int, int)
        ``(left, top, right, bottom)`` of the centred crop out of ``scaled``.
    """
    width, height = (_check_size(v, name=n) for v, n in zip(size, ("width", "height")))
    h, w = int(shape[0]), int(shape[1])
    scale = max(width / w, height / h)
    sw, sh = max(width, round(w * scale)), max(height, round(h * scale))
    left, top = (sw - width) // 2, (sh - height) // 2
    return (sw, sh), (left, top, left + width, top + height)


def resize_cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` scaled (LANCZOS, aspect kept) to cover ``size``, then centre-cropped to it.

    How a guide is fitted to a photo whose aspect is kept: nothing is
    stretched; the guide's excess along one side is cut off evenly.

    Parameters
    ----------
    image : (h, w, 3) array_like
        RGB picture, uint8 or float in 0..255.
    size : (int, int)
        ``(width, height)`` of the result, each >= 1.

    Returns
    -------
    (height, width, 3) ndarray of float32
        A new array in 0..255.

    Raises
    ------
    InvalidImageError
        If `image` is not a finite ``(h, w, 3)`` numeric array.
    InvalidParameterError
        If a side is not an integer >= 1.
    """
    array = check_rgb(image)
    scaled, box = cover_box(array.shape, size)
    picture = Image.fromarray(as_uint8(array))
    if scaled != (array.shape[1], array.shape[0]):
        picture = picture.resize(scaled, Image.Resampling.LANCZOS)
    return np.asarray(picture.crop(box), dtype=np.float32)


def resize_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A 0/255 mask zoomed (bilinear, then halved at 128) to ``shape`` ``(M, N)``.

    Returns
    -------
    (M, N) ndarray of uint8
        0 or 255.
    """
    array = np.asarray(mask)
    if array.ndim != 2:
        raise InvalidParameterError(f"expected a 2-D mask, got shape {array.shape}")
    height, width = (_check_size(v, name=n) for v, n in zip(shape, ("height", "width")))
    if array.shape == (height, width):
        return np.where(array >= 128, 255, 0).astype(np.uint8)
    picture = Image.fromarray(np.uint8(np.clip(array, 0, 255))).resize((width, height), Image.Resampling.BILINEAR)
    return np.where(np.asarray(picture) >= 128, 255, 0).astype(np.uint8)


def zoom_detail(detail: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A signed (M', N', C) float picture zoomed (bilinear) to ``shape`` ``(M, N)``.

    For a dream's detail (dreamed minus its input) made on a smaller copy of
    a picture and added back at full size.

    Returns
    -------
    (M, N, C) ndarray of float32
    """
    from scipy import ndimage

    array = np.asarray(detail, dtype=np.float32)
    if array.ndim != 3:
        raise InvalidParameterError(f"expected an (M, N, C) array, got shape {array.shape}")
    height, width = (_check_size(v, name=n) for v, n in zip(shape, ("height", "width")))
    if array.shape[:2] == (height, width):
        return array.copy()
    factors = (height / array.shape[0], width / array.shape[1])
    out = np.stack([ndimage.zoom(array[..., c], factors, order=1, mode="nearest", grid_mode=True)
                    for c in range(array.shape[2])], axis=-1)
    return np.ascontiguousarray(out[:height, :width], dtype=np.float32)
