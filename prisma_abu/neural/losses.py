"""The losses of neural style transfer: a functional core and thin modules.

Every loss is a plain function on tensors (``gram_matrix``, ``gram_loss``,
``content_loss``, ``total_variation``) with a small :class:`torch.nn.Module`
beside it whose ``forward`` calls the function (kornia / pystiche style).

Normalisation follows Gatys et al. as neural-style and the original
TensorPrisma implemented it, so neural-style's default weights (content 5,
style 100, tv 1e-3) mean what they meant there:

* Gram matrix: ``F Fᵀ / (C·H·W)`` for a layer's ``C x (H·W)`` features ``F``;
* style loss: mean squared difference of Gram matrices;
* content loss: mean squared difference of the activations;
* total variation: ``½ Σ (Δx² + Δy²)`` over the 0..255 pixels (neural-style's
  TVLoss gradient; a sum, so it grows with the picture's area).

Losses are computed in float32 whatever the features' dtype.

Examples
--------
>>> import torch
>>> x = torch.ones(1, 2, 3, 3)
>>> gram_matrix(x)
tensor([[[0.5000, 0.5000],
         [0.5000, 0.5000]]])
>>> float(total_variation(torch.zeros(1, 3, 4, 4)))
0.0
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..errors import InvalidImageError

__all__ = [
    "gram_matrix",
    "gram_loss",
    "content_loss",
    "total_variation",
    "GramLoss",
    "ContentLoss",
    "TVLoss",
]


def _check_4d(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = "x".join(map(str, x.shape)) if isinstance(x, torch.Tensor) else type(x).__name__
        raise InvalidImageError(f"{name}: expected a BxCxHxW tensor, got {shape}")


def gram_matrix(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Channel correlations of feature maps, normalised by ``C·H·W``.

    Parameters
    ----------
    x : (B, C, H, W) tensor
        Activations of one layer.
    mask : (B or 1, 1, H, W) tensor, optional
        Weights in 0..1 of each position. The Gram matrix is then the
        weighted ``F diag(m) Fᵀ / (C·Σm)``: the statistics of the masked
        region only, on the same scale as an unmasked Gram matrix.

    Returns
    -------
    gram : (B, C, C) tensor of float32
    """
    _check_4d(x, "x")
    b, c, h, w = x.shape
    feats = x.float().reshape(b, c, h * w)
    if mask is None:
        return feats @ feats.transpose(1, 2) / (c * h * w)
    _check_4d(mask, "mask")
    m = mask.float().reshape(mask.shape[0], 1, h * w)
    weight = m.sum(dim=2, keepdim=True).clamp_min(1e-8)
    return (feats * m) @ feats.transpose(1, 2) / (c * weight)


def gram_loss(x: torch.Tensor, target: torch.Tensor, *, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared difference between ``x``'s Gram matrix and ``target``.

    Parameters
    ----------
    x : (B, C, H, W) tensor
    target : (B or 1, C, C) tensor
        A Gram matrix (see :func:`gram_matrix`), e.g. a blend of several styles'.
    mask : (B or 1, 1, H, W) tensor, optional
        Only the masked region's statistics are compared.
    """
    return F.mse_loss(gram_matrix(x, mask), target.float().expand(x.shape[0], -1, -1))


def content_loss(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of two layers' activations."""
    _check_4d(x, "x")
    return F.mse_loss(x.float(), target.float().expand_as(x))


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """``½ Σ (x[i+1, j] - x[i, j])² + (x[i, j+1] - x[i, j])²`` over all channels.

    Parameters
    ----------
    x : (B, C, H, W) tensor
        Pixels (0..255 for the weights neural-style uses).

    Returns
    -------
    tv : 0-d tensor of float32
    """
    _check_4d(x, "x")
    x = x.float()
    dy = x[..., 1:, :] - x[..., :-1, :]
    dx = x[..., :, 1:] - x[..., :, :-1]
    return 0.5 * (dy.pow(2).sum() + dx.pow(2).sum())


class GramLoss(torch.nn.Module):
    """:func:`gram_loss` against a fixed target Gram matrix (and optional mask)."""

    def __init__(self, target: torch.Tensor, mask: torch.Tensor | None = None) -> None:
        super().__init__()
        self.register_buffer("target", target.detach().float())
        self.register_buffer("mask", None if mask is None else mask.detach().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gram_loss(x, self.target, mask=self.mask)


class ContentLoss(torch.nn.Module):
    """:func:`content_loss` against fixed target activations."""

    def __init__(self, target: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("target", target.detach().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return content_loss(x, self.target)


class TVLoss(torch.nn.Module):
    """:func:`total_variation` as a module."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return total_variation(x)
