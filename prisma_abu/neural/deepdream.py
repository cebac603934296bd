"""DeepDream, as the original Prisma code ran it, on any backbone.

An octave pyramid with the detail carried from octave to octave, ``iter_n``
gradient steps per octave, a random jitter roll, the step normalised by the
mean absolute gradient, on 0..255 RGB pixels. Two objectives: L2 (amplify the
layer) and guided (each position pulled toward the best-matching guide
feature). Large pictures are processed in overlapping tiles at randomly shifted
positions so memory stays bounded.

The engine never prints: progress goes to an optional callback. It takes and
returns numpy arrays; tensors live only inside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..images import check_rgb
from .backbones import Backbone
from .device import autocast, device_of, to_array, to_device, to_tensor

__all__ = [
    "DreamObjective",
    "l2_objective",
    "guide_objective",
    "guide_features",
    "deep_dream",
]

#: ``callback(octave, step, objective_value)`` after every gradient step.
Callback = Callable[[int, int, float], None]
#: smallest side (px) of the smallest octave; fewer octaves are used below it.
MIN_OCTAVE_SIDE = 32
#: tile borders and context sit on multiples of this (the networks' largest stride)
TILE_ALIGN = 32


@dataclass(frozen=True)
class DreamObjective:
    """What a dream maximises: layers with weights, a channel subset, a guide.

    ``guides`` maps a layer to the guide image's features at that layer
    (C x K); where given, that layer uses the guided objective.
    """

    layers: tuple[str, ...]
    weights: tuple[float, ...]
    channels: tuple[int, ...] = ()
    guides: Mapping[str, torch.Tensor] | None = None

    def __call__(self, features: Mapping[str, torch.Tensor]) -> torch.Tensor:
        total = None
        for layer, weight in zip(self.layers, self.weights):
            act = features[layer]
            if self.channels:
                act = act[:, list(self.channels)]
            guide = None if self.guides is None else self.guides.get(layer)
            value = l2_objective(act) if guide is None else guide_objective(act, guide)
            total = weight * value if total is None else total + weight * value
        return total


def l2_objective(act: torch.Tensor) -> torch.Tensor:
    """0.5·Σ act²: its gradient w.r.t. the layer is the layer itself (the original's)."""
    return 0.5 * act.float().pow(2).sum()


def guide_objective(act: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
    """Σ act·y[:, argmax(actᵀ y)]: each position pulled toward its best-matching guide feature.

    Parameters
    ----------
    act : (1, C, H, W) tensor
    guide : (C, K) tensor
        The guide's features at the same layer, flattened over positions.
    """
    x = act.float().reshape(act.shape[1], -1)
    with torch.no_grad():
        xt = x.t()
        # in chunks, so the positions x guide-positions product stays small (< ~64 MB)
        chunk = max(1, (1 << 24) // max(1, guide.shape[1]))
        best = torch.cat([(xt[i:i + chunk] @ guide).argmax(dim=1) for i in range(0, xt.shape[0], chunk)])
        target = guide[:, best]
    return (x * target).sum()


def guide_features(backbone: Backbone, guide: np.ndarray, layers: Sequence[str], *,
                   channels: Sequence[int] = (), precision: str = "fp32") -> dict[str, torch.Tensor]:
    """The guide image's features at each layer, as (C, K) tensors (on the backbone's device)."""
    device = device_of(backbone)
    x = to_device(to_tensor(guide), device)
    with torch.no_grad(), autocast(device, precision):
        feats = backbone(x, list(layers))
    out = {}
    for layer in layers:
        f = feats[layer].float()
        if channels:
            f = f[:, list(channels)]
        out[layer] = f[0].reshape(f.shape[1], -1).contiguous()
    return out


def _zoom(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Linear zoom mapping corners to corners (scipy.ndimage.zoom, order=1)."""
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=True)


def _pyramid(base: torch.Tensor, octave_n: int, octave_scale: float) -> list[torch.Tensor]:
    octaves = [base]
    for _ in range(octave_n - 1):
        h, w = octaves[-1].shape[-2:]
        size = (round(h / octave_scale), round(w / octave_scale))
        if min(size) < MIN_OCTAVE_SIDE:
            break
        octaves.append(_zoom(octaves[-1], size))
    return octaves


def _tile_spans(length: int, tile: int, overlap: int, offset: int = 0) -> list[tuple[int, int, int, int]]:
    """(start, stop) of each tile's core and (lo, hi) of its input with context.

    The grid starts ``offset`` px before 0, so the tile borders move with it.
    """
    cuts = [0] + list(range(offset % tile or tile, length, tile)) + [length]
    cuts = sorted(set(cuts))
    return [(a, b, max(0, a - overlap), min(length, b + overlap)) for a, b in zip(cuts[:-1], cuts[1:])]


class _Seeded(torch.autograd.Function):
    """A scalar whose gradient with respect to ``act`` is ``seed``: ``grad(_Seeded.apply(act, seed), x)`` is
    ``grad(act, x, grad_outputs=seed)``, bit for bit, without the 0.5-0.8 s import (sympy, through
    ``torch.fx``) that a tensor ``grad_outputs`` costs the first time, on every fresh process."""

    @staticmethod
    def forward(ctx, act, seed):
        ctx.save_for_backward(seed)
        return act.new_zeros(())

    @staticmethod
    def backward(ctx, grad):
        (seed,) = ctx.saved_tensors
        return seed, None


def _gradient(backbone: Backbone, x: torch.Tensor, objective: DreamObjective,
              precision: str) -> tuple[torch.Tensor, float]:
    x = x.detach().requires_grad_(True)
    with autocast(x.device, precision):
        # a Backbone leaves the activations channels-last (one layout through the backward pass)
        feats = backbone(x, list(objective.layers), contiguous=False) if isinstance(backbone, Backbone) \
            else backbone(x, list(objective.layers))
    if len(objective.layers) == 1 and not objective.channels and not objective.guides:
        # w * 0.5 * sum(act**2): its gradient with respect to the layer is w * act, handed to the
        # backward pass directly (the same bytes as autograd's w * 0.5 * 2 * act, two passes over
        # the activation fewer)
        act, weight = feats[objective.layers[0]], objective.weights[0]
        seed = act.detach() if weight == 1 else (weight * act.detach().float()).to(act.dtype)
        (grad,) = torch.autograd.grad(_Seeded.apply(act, seed), x)
        return grad, weight * float(l2_objective(act.detach()))
    value = objective(feats)
    (grad,) = torch.autograd.grad(value, x)
    return grad, float(value.detach())


def _tiled_gradient(backbone: Backbone, x: torch.Tensor, objective: DreamObjective, precision: str,
                    tile: int, overlap: int, offsets: tuple[int, int]) -> tuple[torch.Tensor, float]:
    h, w = x.shape[-2:]
    if h <= tile and w <= tile:
        return _gradient(backbone, x, objective, precision)
    grad = torch.zeros_like(x)
    total = 0.0
    for y0, y1, ylo, yhi in _tile_spans(h, tile, overlap, offsets[0]):
        for x0, x1, xlo, xhi in _tile_spans(w, tile, overlap, offsets[1]):
            g, value = _gradient(backbone, x[..., ylo:yhi, xlo:xhi], objective, precision)
            grad[..., y0:y1, x0:x1] = g[..., y0 - ylo:y1 - ylo, x0 - xlo:x1 - xlo]
            total += value
    return grad, total


def _step(backbone: Backbone, x: torch.Tensor, objective: DreamObjective, rng: np.random.Generator, *,
          step_size: float, jitter: int, precision: str, tile: int, overlap: int) -> tuple[torch.Tensor, float]:
    ox, oy = (int(v) for v in rng.integers(-jitter, jitter + 1, 2))
    h, w = x.shape[-2:]
    tiled = h > tile or w > tile
    # tile borders move by whole multiples of TILE_ALIGN so strided layers keep their phase
    offsets = tuple(TILE_ALIGN * int(v) for v in rng.integers(0, max(1, tile // TILE_ALIGN), 2)) \
        if tiled else (0, 0)
    rolled = torch.roll(x, shifts=(oy, ox), dims=(-2, -1))
    grad, value = _tiled_gradient(backbone, rolled, objective, precision, tile, overlap, offsets)
    scale = step_size / (grad.abs().mean().item() + 1e-8)
    rolled = rolled + scale * grad
    return torch.roll(rolled, shifts=(-oy, -ox), dims=(-2, -1)), value


def deep_dream(backbone: Backbone, image: np.ndarray, objective: DreamObjective, *,
               iter_n: int = 10, octave_n: int = 4, octave_scale: float = 1.4,
               step_size: float = 1.5, jitter: int = 32, seed: int = 0,
               precision: str = "fp32", tile_size: int = 512, tile_overlap: int = 32,
               callback: Callback | None = None) -> np.ndarray:
    """Dream ``image`` on ``backbone`` toward ``objective``.

    Parameters
    ----------
    backbone : Backbone
    image : (M, N, 3) ndarray
        RGB, 0..255.
    objective : DreamObjective
        Layers (already resolved), weights, channels and optional guides.
    iter_n, octave_n, octave_scale, step_size, jitter
        The original's pyramid and step (see :class:`prisma_abu.params.DreamParams`).
    seed : int
        Jitter and tile shifts come from ``numpy.random.default_rng(seed)``.
    precision : {'fp32', 'bf16'}
    tile_size, tile_overlap : int
        Pictures larger than ``tile_size`` go through the network tile by tile,
        each with ``tile_overlap`` px of context (both rounded to multiples of 32,
        so strided layers see the same sampling grid as untiled).
    callback : callable, optional
        ``callback(octave, step, objective_value)``.

    Returns
    -------
    dreamed : (M, N, 3) ndarray of float32
        Clipped to 0..255.
    """
    image = check_rgb(image)
    tile_size = max(TILE_ALIGN, tile_size // TILE_ALIGN * TILE_ALIGN)
    tile_overlap = -(-tile_overlap // TILE_ALIGN) * TILE_ALIGN
    rng = np.random.default_rng(seed)
    octaves = _pyramid(to_device(to_tensor(image), device_of(backbone)), octave_n, octave_scale)
    detail = torch.zeros_like(octaves[-1])
    x = octaves[-1]
    for index, base in enumerate(reversed(octaves)):
        detail = _zoom(detail, tuple(base.shape[-2:]))
        x = base + detail
        for i in range(iter_n):
            x, value = _step(backbone, x, objective, rng, step_size=step_size, jitter=jitter,
                             precision=precision, tile=tile_size, overlap=tile_overlap)
            if callback is not None:
                callback(index, i, value)
        detail = x - base
    return np.clip(to_array(x), 0, 255)
