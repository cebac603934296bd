"""The backbones by name: which exist, their layers (and the aliases a layer is also called by), their weights'
status, and the refusal of a backbone or layer that is not there. Torch-free: the names are static tables (tested
to equal each backbone module's), so a typo is refused before torch is imported; a backbone's module is imported
only for its weights' status."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import Any

from prisma_abu.errors import InvalidParameterError

__all__ = ["backbone_names", "backbone_module", "layer_names", "layer_aliases", "canonical_layer", "check_backbone",
           "backbone_status", "unknown_layer"]

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



# -- the layer names, static (tests/neural/test_backbones.py keeps them equal to each module's) ------------

def _efficientnet_layers() -> tuple[str, ...]:
    blocks = [f"blocks.{i}.{part}" if part else f"blocks.{i}" for i in range(16)
              for part in (("depthwise", "") if i == 0 else ("expand", "depthwise", ""))]
    return ("stem", *blocks, "head")


def _vgg_layers(convs: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(name for block, n in enumerate(convs, 1)
                 for name in [*(f"{kind}{block}_{c}" for c in range(1, n + 1) for kind in ("conv", "relu")),
                              f"pool{block}"])


#: GoogLeNet's Caffe layer names and torchvision's module names for them
_GOOGLENET = (("conv1/7x7_s2", "conv1"), ("pool1/3x3_s2", "maxpool1"), ("conv2/3x3_reduce", "conv2"),
              ("conv2/3x3", "conv3"), ("pool2/3x3_s2", "maxpool2"), ("inception_3a/output", "inception3a"),
              ("inception_3b/output", "inception3b"), ("pool3/3x3_s2", "maxpool3"),
              ("inception_4a/output", "inception4a"), ("inception_4b/output", "inception4b"),
              ("inception_4c/output", "inception4c"), ("inception_4d/output", "inception4d"),
              ("inception_4e/output", "inception4e"), ("pool4/3x3_s2", "maxpool4"),
              ("inception_5a/output", "inception5a"), ("inception_5b/output", "inception5b"))
_INCEPTIONS = ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b")


def _bvlc_layers() -> tuple[str, ...]:
    def inception(m: str) -> list[str]:
        return [f"inception_{m}/{b}" for b in ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool",
                                                 "pool_proj", "output")]

    head = ["conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce", "conv2/3x3", "conv2/norm2",
            "pool2/3x3_s2"]
    return tuple(head + inception("3a") + inception("3b") + ["pool3/3x3_s2"]
                 + [n for m in ("4a", "4b", "4c", "4d", "4e") for n in inception(m)] + ["pool4/3x3_s2"]
                 + inception("5a") + inception("5b") + ["pool5/7x7_s1"])


def _vgg_aliases(layers: tuple[str, ...]) -> dict[str, str]:
    aliases = {f"features.{i}": layer for i, layer in enumerate(layers)}
    aliases.update({f"block{layer[4:].replace('_', '_conv')}": layer for layer in layers if layer.startswith("relu")})
    aliases.update({f"block{layer[4:]}_pool": layer for layer in layers if layer.startswith("pool")})
    return aliases


_LAYERS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "efficientnet_lite0": _efficientnet_layers(), "vgg16": _vgg_layers((2, 2, 3, 3, 3)),
    "googlenet": tuple(caffe for caffe, _ in _GOOGLENET), "bvlc_googlenet": _bvlc_layers(),
    "vgg19": _vgg_layers((2, 2, 4, 4, 4))})
_ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "efficientnet_lite0": MappingProxyType({**{f"_blocks.{i}": f"blocks.{i}" for i in range(16)},
                                            "_conv_stem": "stem", "_bn0": "stem", "_conv_head": "head",
                                            "_bn1": "head"}),
    "vgg16": MappingProxyType(_vgg_aliases(_LAYERS["vgg16"])),
    "googlenet": MappingProxyType({**{module: caffe for caffe, module in _GOOGLENET},
                                   **{caffe.removesuffix("/output"): caffe for caffe, _ in _GOOGLENET}}),
    "bvlc_googlenet": MappingProxyType({f"inception_{m}": f"inception_{m}/output" for m in _INCEPTIONS}),
    "vgg19": MappingProxyType(_vgg_aliases(_LAYERS["vgg19"]))})


def check_backbone(name: object) -> str:
    """``name`` if it is a backbone, else one line with the valid names and the closest one."""
    if isinstance(name, str) and name in _REGISTRY:
        return name
    import difflib

    close = difflib.get_close_matches(name, list(_REGISTRY), n=1, cutoff=0.6) if isinstance(name, str) else []
    raise InvalidParameterError(f"unknown backbone {name!r}; expected one of: {', '.join(_REGISTRY)}"
                                + (f"; closest: {close[0]}" if close else ""))


def layer_aliases(name: str) -> Mapping[str, str]:
    """The other names ``name``'s layers answer to (torchvision/Keras module names...) -> the canonical name."""
    return _ALIASES[check_backbone(name)]


def canonical_layer(backbone: str, name: object) -> str:
    """The canonical name of ``backbone``'s layer ``name`` (a canonical name, an alias, either in another
    letter case), loading nothing; else the one-line refusal of :func:`unknown_layer`."""
    layers, aliases = layer_names(backbone), layer_aliases(backbone)
    if isinstance(name, str):
        if name in layers:
            return name
        if name in aliases:
            return aliases[name]
        folded = name.strip().lower()
        for layer in layers:
            if layer.lower() == folded:
                return layer
        for alias, layer in aliases.items():
            if alias.lower() == folded:
                return layer
    raise unknown_layer(backbone, name, layers)


def backbone_names() -> tuple[str, ...]:
    """Names of the available backbones, the default first."""
    return tuple(_REGISTRY)


def backbone_module(name: str) -> ModuleType:
    return importlib.import_module(_REGISTRY[check_backbone(name)])


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
    """Canonical layer names of a backbone, in network order, importing nothing.

    Raises
    ------
    InvalidParameterError
        If ``name`` is not a backbone.
    """
    return _LAYERS[check_backbone(name)]


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
