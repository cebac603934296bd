"""The Gatys style-transfer objective: content, style (Gram) and total-variation losses of a picture, one scale.

:class:`StyleCriterion` is what :func:`prisma_abu.neural.gatys.style_transfer` minimises at each scale, with
neural-style's options (gradient normalisation, a mask, blended styles).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from .device import autocast
from .losses import content_loss, gram_loss, gram_matrix, total_variation

__all__ = ["StyleLosses", "StyleCriterion"]


@dataclass(frozen=True)
class StyleLosses:
    """One evaluation's weighted losses."""

    content: float
    style: float
    tv: float

    @property
    def total(self) -> float:
        return self.content + self.style + self.tv



class _NormalizeGrad(torch.autograd.Function):
    """Identity forward; backward scales the gradient to L1 norm ``strength`` (neural-style)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, strength: float) -> torch.Tensor:  # type: ignore[override]
        ctx.strength = strength
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        return grad * (ctx.strength / (grad.abs().sum() + 1e-8)), None


class StyleCriterion(torch.nn.Module):
    """Content + style + total-variation loss of a picture, for one scale.

    Parameters
    ----------
    backbone : Backbone
        ``backbone(image, layers) -> {layer: activation}`` (preprocessing inside).
    content : (1, 3, H, W) tensor
        RGB 0..255; the optimised picture has this size.
    styles : sequence of (1, 3, h, w) tensors
        RGB 0..255, each at the size its features should be taken at.
    blend_weights : sequence of float
        One weight >= 0 per style (normalised to sum 1): the target Gram
        matrix is the weighted mean of the styles'.
    content_layers, style_layers : sequence of str
    content_weight, style_weight, tv_weight : float
        Each content (style) layer's loss is weighted by ``content_weight``
        (``style_weight``).
    mask : (1, 1, H, W) tensor, optional
        0..1: where the style goes (see the module's docstring).
    normalize_gradients : bool
        neural-style's ``-normalize_gradients``: each content and style
        term's gradient is scaled to L1 norm equal to its weight.
    precision : {'fp32', 'bf16'}
        The network runs under bf16 autocast with 'bf16'; losses are float32.

    Attributes
    ----------
    last : StyleLosses or None
        The parts of the last evaluation.
    """

    def __init__(self, backbone, content: torch.Tensor, styles: Sequence[torch.Tensor], *,
                 blend_weights: Sequence[float], content_layers: Sequence[str],
                 style_layers: Sequence[str], content_weight: float, style_weight: float,
                 tv_weight: float, mask: torch.Tensor | None = None,
                 normalize_gradients: bool = False, precision: str = "fp32") -> None:
        super().__init__()
        self.backbone = backbone
        self.content_layers = tuple(content_layers)
        self.style_layers = tuple(style_layers)
        self.layers = tuple(dict.fromkeys(self.content_layers + self.style_layers))
        self.weights = (float(content_weight), float(style_weight), float(tv_weight))
        self.normalize_gradients = normalize_gradients
        self.precision = precision
        self.register_buffer("content", content.detach().float())
        self.register_buffer("mask", None if mask is None else mask.detach().float())
        with torch.no_grad():
            self.content_targets = self._features(self.content, self.content_layers)
            self.style_targets = _blended_grams(self._features, styles, blend_weights, self.style_layers)
        self.last: StyleLosses | None = None

    def _features(self, x: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        if not layers:
            return {}
        with autocast(x.device, self.precision):
            return self.backbone(x, list(layers))

    def composite(self, x: torch.Tensor) -> torch.Tensor:
        """The picture the network sees: ``x``, or the content outside the mask."""
        if self.mask is None:
            return x
        return self.content + self.mask * (x - self.content)

    def _term(self, act: torch.Tensor, weight: float) -> torch.Tensor:
        return _NormalizeGrad.apply(act, weight) if self.normalize_gradients else act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The objective: its value is the weighted total loss."""
        cw, sw, tw = self.weights
        x = self.composite(x)
        feats = self._features(x, self.layers)
        c_raw = [content_loss(self._term(feats[n], cw), self.content_targets[n]) for n in self.content_layers]
        s_raw = [gram_loss(self._term(feats[n], sw), self.style_targets[n], mask=self._layer_mask(feats[n]))
                 for n in self.style_layers]
        tv = tw * total_variation(x) if tw else x.new_zeros(())
        c_val = cw * sum((v.detach() for v in c_raw), x.new_zeros(()))
        s_val = sw * sum((v.detach() for v in s_raw), x.new_zeros(()))
        self.last = StyleLosses(float(c_val), float(s_val), float(tv.detach()))
        if self.normalize_gradients:  # gradients already weighted inside _NormalizeGrad
            graph = sum(c_raw, x.new_zeros(())) + sum(s_raw, x.new_zeros(())) + tv
        else:
            graph = cw * sum(c_raw, x.new_zeros(())) + sw * sum(s_raw, x.new_zeros(())) + tv
        return graph + (c_val + s_val + tv.detach() - graph).detach()

    def _layer_mask(self, act: torch.Tensor) -> torch.Tensor | None:
        if self.mask is None:
            return None
        return F.adaptive_avg_pool2d(self.mask, act.shape[-2:])


def _blended_grams(features, styles: Sequence[torch.Tensor], blend_weights: Sequence[float],
                   layers: Sequence[str]) -> dict[str, torch.Tensor]:
    total = float(sum(blend_weights))
    grams: dict[str, torch.Tensor] = {}
    for style, weight in zip(styles, blend_weights):
        if weight == 0:
            continue
        feats = features(style, layers)
        for name in layers:
            g = gram_matrix(feats[name]) * (weight / total)
            grams[name] = g if name not in grams else grams[name] + g
    return grams
