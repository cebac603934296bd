"""The backbones by name: which exist, their layers, their weights' status, and the refusal of a layer one
lacks. Torch-free: importing this module imports no network (each backbone's module is imported when asked)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import Any

from prisma_abu.errors import InvalidParameterError

__all__ = ["backbone_names", "backbone_module", "layer_names", "backbone_status", "unknown_layer"]

# Backbone name -> module implementing it.  Each module provides
# ``layer_names(name)``, ``describe(name)``, ``status(name)`` and
# ``build(name, weights, pooling)``; they are imported only when needed.
_REGISTRY: Mapping[str, str] = MappingProxyType(
    {
        "efficientnet_lite0": "prisma_abu.neural.efficientnet",
        "vgg16": "prisma_abu.neural.vgg",
        "googlenet": "prisma_abu.neural.googlenet",
        "bvlc_googlenet": "prisma_abu.neural.bvlc_googlenet",
        "vgg19": "prisma_abu.neural.vgg",
    }
)



def backbone_names() -> tuple[str, ...]:
    """Names of the available backbones, the default first."""
    return tuple(_REGISTRY)


def backbone_module(name: str) -> ModuleType:
    if name not in _REGISTRY:
        raise InvalidParameterError(
            f"unknown backbone {name!r}; expected one of: {', '.join(_REGISTRY)}"
        )
    return importlib.import_module(_REGISTRY[name])


#: an unknown layer's message lists every valid name up to this many, else says where the list is
_LIST_AT_MOST = 40


def unknown_layer(backbone: str, name: object, layers: Sequence[str]) -> InvalidParameterError:
    """The one-line refusal of a layer ``backbone`` lacks: the valid names (or where to find them when there are
    many), the closest ones, and the backbone to pick when ``name`` is another backbone's layer (a Caffe name
    such as ``inception_4c/output`` on the default backbone)."""
    import difflib

    where = f"unknown layer {name!r} for {backbone}; "
    if not isinstance(name, str):
        return InvalidParameterError(where + f"expected a layer name (`prisma-abu layers --backbone {backbone}`)")
    folded = name.strip().lower()
    owners = [other for other in _REGISTRY if other != backbone
              and folded in (layer.lower() for layer in layer_names(other))]
    if owners:
        return InvalidParameterError(where + f"it is a layer of {', '.join(owners)}: expected "
                                     f"{' or '.join('--backbone ' + o for o in owners)} (see `prisma-abu doctor` "
                                     f"for their weights), or a layer of {backbone}")
    listed = (f"expected one of: {', '.join(layers)}" if len(layers) <= _LIST_AT_MOST else
              f"expected one of its {len(layers)} layers (`prisma-abu layers --backbone {backbone}` lists them)")
    close = difflib.get_close_matches(name, layers, n=3, cutoff=0.6)
    return InvalidParameterError(where + listed + (f"; closest: {', '.join(close)}" if close else ""))


def layer_names(name: str) -> tuple[str, ...]:
    """Canonical layer names of a backbone, in network order, loading nothing.

    Raises
    ------
    InvalidParameterError
        If ``name`` is not a backbone.
    """
    return backbone_module(name).layer_names(name)


def backbone_status(name: str) -> dict[str, Any]:
    """Whether a backbone's weights are at hand; loads and downloads nothing.

    Returns
    -------
    dict
        ``{"name", "weights_present": bool, "source": str, "description": str}``;
        ``source`` is the weights file or how to get it.
    """
    module = backbone_module(name)
    status = {"name": name, "description": module.describe(name)}
    status.update(module.status(name))
    return status
