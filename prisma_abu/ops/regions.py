"""Subject regions: a saliency map made a clean mask, and what a mask's regions measure.

:func:`saliency_mask` turns a class activation map (where the classifier
sees the subject, coarse) into the subject's mask: the map is multiplied by
the picture's centre-surround colour contrast (:func:`colour_distinctness`,
which puts the map's edge on the subject's), thresholded, and cleaned
(small specks opened away, the main region kept, gaps closed, holes filled).
:func:`region_measures` says how a mask (or a blend's keep map) is shaped:
how much of the picture, in how many regions, how much of the border it
touches; ``mix``'s ``auto`` chooses its parameters by these.

numpy / scipy / scikit-image only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.color import rgb2lab
from skimage.morphology import disk

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import check_rgb

__all__ = ["colour_distinctness", "saliency_mask", "clean_region", "RegionMeasures", "region_measures",
           "SALIENCY_THRESHOLD", "WORK_SIDE"]

#: the share of the combined map's peak above which a pixel is the subject's
SALIENCY_THRESHOLD = 0.39


#: the longer side (px) colour contrast is measured at, whatever the picture's size
WORK_SIDE = 240
#: cleaning radii (px) at a 480 px picture; they scale with the picture
_OPENING, _CLOSING, _REFERENCE = 2, 5, 480


def _grow(small: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear zoom of ``small`` to ``shape``."""
    if small.shape == shape:
        return small
    factors = (shape[0] / small.shape[0], shape[1] / small.shape[1])
    out = ndimage.zoom(small, factors, order=1, mode="nearest", grid_mode=True)
    return out[: shape[0], : shape[1]]


def colour_distinctness(image: np.ndarray, *, surround: float = 0.125) -> np.ndarray:
    """How much each place's colour differs from its wide surroundings (centre-surround, CIELAB).

    ``|blur(lab, 2 px) - blur(lab, surround * longer side)|`` with the
    picture at a longer side of :data:`WORK_SIDE` px (so the answer does not
    depend on the picture's size), over its 99th percentile, clipped to 1 and
    zoomed back. Smooth gradients (a dusk sky) score low, an object standing
    out from what is around it high.

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB, 0..255.
    surround : float
        The surround's Gaussian sigma as a share of the longer side, in (0, 1].

    Returns
    -------
    (M, N) ndarray of float32
        0..1.
    """
    from prisma_abu.ops.resize import resize_longer_side

    image = check_rgb(image)
    if not 0 < surround <= 1:
        raise InvalidParameterError(f"surround: expected a share in (0, 1], got {surround!r}")
    small = resize_longer_side(image, WORK_SIDE)
    lab = rgb2lab(np.clip(small / 255.0, 0, 1)).astype(np.float32)
    wide = max(1.0, surround * max(small.shape[:2]))
    near = ndimage.gaussian_filter(lab, (2.0, 2.0, 0))
    # the wide surround at a quarter of the size (a blur that wide loses nothing there), zoomed back
    h, w = (lab.shape[0] // 4) * 4, (lab.shape[1] // 4) * 4
    if h and w:
        quarter = lab[:h, :w].reshape(h // 4, 4, w // 4, 4, 3).mean(axis=(1, 3))
        far = ndimage.gaussian_filter(quarter, (wide / 4, wide / 4, 0), truncate=3.0, mode="reflect")
        far = np.stack([_grow(far[..., c], lab.shape[:2]) for c in range(3)], axis=-1)
    else:  # a side under 4 pixels (a strip): no quarter size to blur at, blur at full size
        far = ndimage.gaussian_filter(lab, (wide, wide, 0), truncate=3.0, mode="reflect")
    d = np.sqrt(((near - far) ** 2).sum(axis=-1))
    top = float(np.percentile(d, 99))
    d = np.clip(d / top, 0, 1) if top > 0 else np.zeros_like(d)
    return _grow(d.astype(np.float32), image.shape[:2]).astype(np.float32)


def clean_region(selected: np.ndarray, weight: np.ndarray, *, opening: int = 2, closing: int = 5) -> np.ndarray:
    """The main region of a binary mask, without specks, gaps or holes.

    Opened with a disk of radius ``opening`` (specks go), the region with
    the largest ``area * mean weight`` kept, closed with a disk of radius
    ``closing`` and its holes filled.

    Parameters
    ----------
    selected : (M, N) ndarray of bool
    weight : (M, N) ndarray
        What ranks the regions (the saliency).

    Returns
    -------
    (M, N) ndarray of bool
        Empty when nothing survives the opening.
    """
    selected = np.asarray(selected, dtype=bool)
    if selected.ndim != 2 or np.shape(weight) != selected.shape:
        raise InvalidImageError(f"expected a 2-D mask and a weight of its shape, got {selected.shape} and "
                                f"{np.shape(weight)}")
    if opening > 0:
        selected = ndimage.binary_opening(selected, structure=disk(opening))
    labels, count = ndimage.label(selected)
    if count == 0:
        return selected
    index = np.arange(1, count + 1)
    score = ndimage.sum_labels(weight, labels, index)  # area * mean weight
    main = labels == index[int(np.argmax(score))]
    if closing > 0:
        pad = closing + 1  # closing near the border must not eat the region's edge
        main = np.pad(main, pad, mode="edge")
        main = ndimage.binary_closing(main, structure=disk(closing))[pad:-pad, pad:-pad]
    return ndimage.binary_fill_holes(main)


def saliency_mask(saliency: np.ndarray, image: np.ndarray, *, threshold: float = SALIENCY_THRESHOLD,
                  surround: float = 0.125) -> np.ndarray:
    """The subject's mask from a saliency map (a class activation map) and the picture.

    ``sqrt(saliency * colour_distinctness(image))``, over its peak, above
    ``threshold``, cleaned by :func:`clean_region`.

    Parameters
    ----------
    saliency : (M, N) ndarray
        0..1, where the subject is (coarse is fine).
    image : (M, N, 3) ndarray
        RGB, 0..255.
    threshold : float
        In (0, 1).

    Returns
    -------
    (M, N) ndarray of uint8
        0 or 255.
    """
    image = check_rgb(image)
    saliency = np.asarray(saliency, dtype=np.float32)
    if saliency.shape != image.shape[:2]:
        raise InvalidImageError(f"expected a saliency map of the picture's size {image.shape[:2]}, "
                                f"got {saliency.shape}")
    if not 0 < threshold < 1:
        raise InvalidParameterError(f"threshold: expected a value in (0, 1), got {threshold!r}")
    combined = np.sqrt(np.clip(saliency, 0, 1) * colour_distinctness(image, surround=surround))
    peak = float(combined.max())
    if peak <= 0:
        return np.zeros(saliency.shape, np.uint8)
    combined /= peak
    scale = max(combined.shape) / _REFERENCE
    region = clean_region(combined > threshold, combined, opening=max(1, round(_OPENING * scale)),
                          closing=max(1, round(_CLOSING * scale)))
    return region.astype(np.uint8) * np.uint8(255)


@dataclass(frozen=True)
class RegionMeasures:
    """How a mask is shaped.

    Attributes
    ----------
    share : float
        Its share of the picture, 0..1.
    regions : int
        How many 8-connected regions.
    main_share : float
        The largest region's share of the mask (1: one region).
    border : float
        The share of the picture's border pixels inside the mask.
    """

    share: float
    regions: int
    main_share: float
    border: float


def region_measures(mask: np.ndarray) -> RegionMeasures:
    """:class:`RegionMeasures` of a mask (nonzero: inside).

    Parameters
    ----------
    mask : (M, N) ndarray
    """
    inside = np.asarray(mask) != 0
    if inside.ndim != 2 or min(inside.shape) < 1:
        raise InvalidImageError(f"expected a 2-D mask, got shape {inside.shape}")
    total = int(inside.sum())
    edge = np.concatenate([inside[0], inside[-1], inside[1:-1, 0], inside[1:-1, -1]])
    border = float(edge.mean()) if edge.size else 0.0
    if total == 0:
        return RegionMeasures(0.0, 0, 0.0, border)
    labels, count = ndimage.label(inside, structure=np.ones((3, 3), bool))
    largest = int(np.bincount(labels.ravel())[1:].max())
    return RegionMeasures(share=total / inside.size, regions=int(count), main_share=largest / total, border=border)
