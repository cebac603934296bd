"""A backbone by name, loaded once per process and device (:func:`load_backbone`), and the cache's release."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.modelfiles import first_line
from prisma_abu.neural.names import backbone_module

if TYPE_CHECKING:
    from prisma_abu.neural.backbones import Backbone

__all__ = ["load_backbone", "clear_backbone_cache", "POOLINGS"]

#: what ``pooling`` takes
POOLINGS = ("max", "avg")


def load_backbone(
    name: str,
    *,
    weights: str | os.PathLike[str] | None = None,
    pooling: str = "max",
    device: str | torch.device = "cpu",
) -> Backbone:
    """Load a pretrained backbone, once per process and device.

    Parameters
    ----------
    name : str
        One of :func:`backbone_names`.
    weights : path-like, optional
        A weights file to use instead of the default one.
    pooling : {"max", "avg"}
        ``"avg"`` replaces max pooling by average pooling of the same
        geometry (vgg16 and vgg19 only).
    device : str or torch.device
        Where its weights go (see :mod:`prisma_abu.neural.device`).

    Returns
    -------
    Backbone
        In eval mode, parameters frozen.  The same object is returned for the
        same arguments: do not modify it.

    Raises
    ------
    InvalidParameterError
        Unknown backbone or pooling.
    ModelError
        Weights missing, corrupt or not fitting the network.
    """
    backbone_module(name)
    if pooling not in POOLINGS:
        raise InvalidParameterError(f"expected pooling 'max' or 'avg', got {pooling!r}")
    try:
        key = None if weights is None else str(Path(weights).expanduser().resolve())
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a name too long
        raise ModelError(f"{name} weights {str(weights)[:300]}: cannot be read ({first_line(exc)})") from None
    return _load_cached(name, key, pooling, str(torch.device(device)))


@functools.lru_cache(maxsize=None)
def _load_cached(name: str, weights: str | None, pooling: str, device: str = "cpu") -> Backbone:
    if device != "cpu":
        import copy  # a module's .to() moves it in place: the CPU one stays cached as it is

        return copy.deepcopy(_load_cached(name, weights, pooling, "cpu")).to(torch.device(device))
    net = backbone_module(name).build(name, None if weights is None else Path(weights), pooling)
    net.eval()
    net.requires_grad_(False)
    return net.to(memory_format=torch.channels_last)


def clear_backbone_cache() -> None:
    """Forget the networks :func:`load_backbone` loaded (frees their memory)."""
    _load_cached.cache_clear()
