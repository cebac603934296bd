"""Where an ImageNet classifier sees the picture's subject: class activation maps.

The classifier's head is a global average pool and one linear layer, so what
each position of the last convolutional map adds to a class's logit is exact:
the gradient of the logit with respect to that map, averaged per channel,
times the map (Grad-CAM; on the head it is the class activation map of Zhou
et al. 2016). :func:`class_saliency` runs the backbone's own classifier
(:meth:`~prisma_abu.neural.backbones.Backbone.classify_with`) on the picture
shrunk to a few sizes, weighs the maps of the top classes by their
probabilities, and returns one map at the picture's size, 0..1.

Thresholding and cleaning the map is numpy work (:mod:`prisma_abu.ops.regions`);
this module imports torch where it computes (:class:`SaliencyMap` and the
argument checks are torch-free, for :mod:`prisma_abu.neural.saliency_graph`,
which runs the same map from a stored ONNX graph) and never prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InvalidParameterError
from ..images import check_rgb

if TYPE_CHECKING:
    import torch

    from .backbones import Backbone

__all__ = ["SaliencyMap", "class_saliency", "check_saliency_args", "SALIENCY_SIDES"]

#: the longer side(s) (px) the picture is classified at: about ImageNet's training size (several: their maps averaged)
SALIENCY_SIDES = (240,)


@dataclass(frozen=True)
class SaliencyMap:
    """A class activation map and the classes it is made of.

    Attributes
    ----------
    map : (M, N) ndarray of float32
        0..1 (1 at the strongest position), at the picture's size (or the size asked for).
    classes : tuple of int
        The ImageNet class indices weighed in, most probable first (at the first side).
    probabilities : tuple of float
        Their softmax probabilities.
    """

    map: np.ndarray
    classes: tuple[int, ...]
    probabilities: tuple[float, ...]


def _shrunk(image: np.ndarray, side: int) -> torch.Tensor:
    import torch.nn.functional as F

    from .device import to_tensor

    h, w = image.shape[:2]
    scale = side / max(h, w)
    x = to_tensor(image)
    if scale == 1:
        return x
    size = (max(32, round(h * scale)), max(32, round(w * scale)))
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=scale < 1)


def _cam(backbone: Backbone, x: torch.Tensor, top_k: int, layer: str) -> tuple[torch.Tensor, tuple, tuple]:
    """Grad-CAM of the ``top_k`` classes weighed by probability, at ``x``'s size (0..1)."""
    import torch
    import torch.nn.functional as F

    logits, activation = backbone.classify_with(x, layer)
    probs = torch.softmax(logits.detach().float()[0], dim=0)
    top = torch.topk(probs, top_k)
    weights = torch.zeros_like(probs)
    weights[top.indices] = top.values
    (grad,) = torch.autograd.grad((logits[0].float() * weights).sum(), activation)
    with torch.no_grad():
        alpha = grad.float().mean(dim=(2, 3), keepdim=True)
        cam = torch.relu((alpha * activation.float()).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)[0, 0]
        peak = float(cam.max())
    return (cam / peak if peak > 0 else cam), tuple(int(c) for c in top.indices), \
        tuple(float(p) for p in top.values)


def class_saliency(backbone: Backbone, image: np.ndarray, *, sides: tuple[int, ...] = SALIENCY_SIDES,
                   top_k: int = 5, layer: str = "head", shape: tuple[int, int] | None = None) -> SaliencyMap:
    """Where ``backbone``'s classifier sees its top classes in ``image``.

    Parameters
    ----------
    backbone : Backbone
        One with an ImageNet classifier head (``efficientnet_lite0``...).
    image : (M, N, 3) ndarray
        RGB, 0..255.
    sides : tuple of int
        The picture's longer side for each classification (each at least
        32); their maps are averaged (one coarse, one finer grid).
    top_k : int
        How many of the most probable classes are weighed in (1..1000).
    layer : str
        The stage-ending layer of the maps (``head``: the exact class
        activation map).
    shape : (int, int), optional
        ``(M', N')`` of the map returned (default the picture's): classify
        the photo as it is, get the map at the size you work at.

    Returns
    -------
    SaliencyMap

    Raises
    ------
    InvalidImageError
        If ``image`` is not (M, N, 3).
    InvalidParameterError
        On a bad side or ``top_k``.
    ModelError
        If the backbone has no classifier head.
    """
    import torch
    import torch.nn.functional as F

    image = check_rgb(image)
    check_saliency_args(sides, top_k)
    shape = tuple(image.shape[:2]) if shape is None else (int(shape[0]), int(shape[1]))
    total = torch.zeros(shape)
    classes: tuple[int, ...] = ()
    probabilities: tuple[float, ...] = ()
    for index, side in enumerate(sides):
        cam, top, probs = _cam(backbone, _shrunk(image, side), top_k, layer)
        if index == 0:
            classes, probabilities = top, probs
        with torch.no_grad():
            total += F.interpolate(cam[None, None], size=shape, mode="bilinear",
                                   align_corners=False)[0, 0]
    peak = float(total.max())
    out = (total / peak if peak > 0 else total).clamp(0, 1).numpy().astype(np.float32)
    return SaliencyMap(out, classes, probabilities)


def check_saliency_args(sides: tuple[int, ...], top_k: int) -> None:
    """Refuse a side under 32 or a ``top_k`` outside 1..1000 (:class:`InvalidParameterError`)."""
    if not sides or any(isinstance(s, bool) or not isinstance(s, int) or s < 32 for s in sides):
        raise InvalidParameterError(f"sides: expected integers >= 32, got {sides!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 1000:
        raise InvalidParameterError(f"top_k: expected an integer in 1..1000, got {top_k!r}")
