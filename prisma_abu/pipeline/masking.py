"""The mask ``mix`` uses: the original's classical masks (:mod:`prisma_abu.ops.masks`) and
``saliency``, the subject the embedded classifier finds (:func:`subject_mask`), summed.

A mask spec is names joined by ``+`` (``"saliency+otsu"``, ``"otsu_func + stdmean_func"``);
each part's mask is 0..255 and the sum is clipped to 255, as the original's
``together_mask_func``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np

from ..errors import InvalidParameterError
from ..params import MixParams

__all__ = ["SALIENCY", "SALIENCY_BACKBONE", "NO_MASK", "mix_mask", "check_mask_spec", "uses_saliency",
           "subject_mask", "face_boxes"]

#: the classifier ``saliency`` asks (embedded, with its ImageNet head)
SALIENCY_BACKBONE = "efficientnet_lite0"

_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_CACHE_SIZE = 8


def _digest(photo: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(photo).tobytes(), digest_size=16).hexdigest()


def subject_mask(photo: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Where the photo's subject is, as a (M, N) = ``shape`` uint8 mask (0 or 255).

    Computed once per photo at a fixed working size
    (:data:`~prisma_abu.ops.regions.WORK_SIDE`, from the photo as given, so
    a preview and the full picture see the same subject), then zoomed to
    ``shape``; the last few are remembered. The classifier runs from its
    stored ONNX graph (:mod:`prisma_abu.neural.saliency_graph`: no torch import
    after the first run; every run takes that path, so every run gives the same
    mask), or in torch where onnxruntime is missing.

    Parameters
    ----------
    photo : (P, Q, 3) ndarray
        The photo, RGB 0..255, any size.
    shape : (int, int)
        The mask's size (the resized photo ``mix`` works on; a square stretches it alike).
    """
    from ..neural import saliency_graph
    from ..ops.regions import WORK_SIDE, saliency_mask
    from ..ops.resize import resize_longer_side, resize_mask

    key = (_digest(photo), photo.shape)
    mask = _CACHE.get(key)
    if mask is None:
        work = resize_longer_side(photo, WORK_SIDE)
        if saliency_graph.available():
            smap = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo, shape=work.shape[:2]).map
        else:
            from ..neural.backbones import load_backbone
            from ..neural.saliency import class_saliency

            smap = class_saliency(load_backbone(SALIENCY_BACKBONE), photo, shape=work.shape[:2]).map
        mask = saliency_mask(smap, work)
        mask.setflags(write=False)
        _CACHE[key] = mask
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return resize_mask(mask, shape)


#: the mask computed from the classifier (in pipeline: it needs a network); the others are ops.masks'
SALIENCY = "saliency"
#: the empty mask: nothing is subject (``auto``'s choice for a photo without one, with ``compose="paint"``)
NO_MASK = "none"

_FACES: OrderedDict[tuple, tuple[tuple[float, float, float, float], ...]] = OrderedDict()


def face_boxes(photo: np.ndarray, shape: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The faces (frontal and profile) of ``photo`` (as given) as ``(row, col, height, width)`` boxes
    in a picture of ``shape`` (the photo resized as ``mix`` does), largest first.

    Found once per photo (:func:`prisma_abu.ops.faces.detect_faces`, at its working size, so a
    preview and the full picture see the same faces); the last few are remembered.
    """
    from ..ops.faces import detect_faces

    key = (_digest(photo), photo.shape)
    found = _FACES.get(key)
    if found is None:
        wh, ww = photo.shape[:2]
        found = tuple((r / wh, c / ww, h / wh, w / ww) for r, c, h, w in detect_faces(photo))
        _FACES[key] = found
        while len(_FACES) > _CACHE_SIZE:
            _FACES.popitem(last=False)
    else:
        _FACES.move_to_end(key)
    m, n = shape
    return [(round(r * m), round(c * n), max(1, round(h * m)), max(1, round(w * n))) for r, c, h, w in found]


def _split_spec(spec: str) -> tuple[int, tuple[str, ...]]:
    """``(how many "saliency" parts, the classical names)`` of a mask spec (validated)."""
    from ..ops.masks import parse_mask_spec

    if not isinstance(spec, str) or not spec.strip():
        raise InvalidParameterError(f"mask: expected a mask name such as 'saliency+otsu', got {spec!r}")
    if spec.strip().lower() == NO_MASK:
        return 0, ()
    parts = [part.strip().lower() for part in spec.split("+")]
    salient = sum(1 for part in parts if part in (SALIENCY, SALIENCY + "_func"))
    classical = [part for part in spec.split("+") if part.strip().lower() not in (SALIENCY, SALIENCY + "_func")]
    try:
        names = parse_mask_spec(classical) if classical else ()
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{exc} (or {SALIENCY!r})") from None
    return salient, names


def uses_saliency(params: MixParams) -> bool:
    """Whether rendering ``params`` runs the classifier (a ``saliency`` mask, or ``auto``)."""
    return params.auto or (not params.all_mask and _split_spec(params.mask)[0] > 0)


def mix_mask(source: np.ndarray, params: MixParams, *, mask: np.ndarray | None = None,
             photo: np.ndarray | None = None) -> np.ndarray:
    """The mask ``mix`` uses for an already resized ``source``: (M, N) uint8 0..255.

    A given ``mask`` (same size as ``source``) replaces the computed one; the
    spot masks still apply. ``saliency`` parts are found on ``photo`` (the
    photo before resizing; default ``source``) and zoomed to ``source``.
    """
    from ..ops.color import to_grey
    from ..ops.masks import make_mask
    from ..ops.spots import apply_spots

    if params.all_mask:
        mask = np.full(source.shape[:2], 255, np.uint8)
    elif mask is not None:
        if mask.shape != source.shape[:2]:
            raise InvalidParameterError(
                f"mask: expected the picture's size {source.shape[:2]}, got {mask.shape}")
        mask = np.uint8(np.clip(mask, 0, 255))
    else:
        salient, names = _split_spec(params.mask)
        total = np.zeros(source.shape[:2], np.int32)
        if names:
            total += make_mask(source, to_grey(source), names, dd=params.dd, cb=params.cb,
                               std_factor=params.std_factor, loop_factor=params.loop_factor)
        if salient:
            total += salient * subject_mask(source if photo is None else photo, source.shape[:2]).astype(np.int32)
        mask = np.uint8(np.clip(total, 0, 255))
    return apply_spots(mask, keep=params.spots_keep, drop=params.spots_drop)


def check_mask_spec(spec: str) -> tuple[str, ...]:
    """The canonical mask names of ``spec`` (``"otsu_func + stdmean_func"``, ``"saliency+otsu"``;
    ``"none"``: no part, the empty mask).

    Unknown names list the valid ones.
    """
    salient, names = _split_spec(spec)
    return (SALIENCY,) * salient + names
