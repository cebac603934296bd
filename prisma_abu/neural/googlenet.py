"""GoogLeNet (Inception v1) from torchvision, with the original Caffe layer names.

torchvision's ``googlenet(aux_logits=False, transform_input=True)`` with
``GoogLeNet_Weights.IMAGENET1K_V1``.  The weights are never downloaded here:
they are taken from the torch hub cache (where ``prisma-abu fetch-weights
googlenet`` puts them) or from a file the user gives.

Preprocessing: ImageNet mean/std on ``rgb / 255``, then torchvision's
``_transform_input`` (the weights were ported from TensorFlow and expect
roughly ``rgb / 127.5 - 1``).

Layer names are DeepDream's Caffe blob names; torchvision's convolution
blocks include BatchNorm and ReLU, as the Caffe blobs were ReLU'd in place.
torchvision's module names (``conv1``, ``maxpool1``, ``inception4c``...) and
the Caffe names without ``/output`` (``inception_4c``) are aliases.  Caffe's
LRN layers have no counterpart (torchvision uses BatchNorm, which is folded
into the convolutions once loaded).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.backbones import Backbone, Stage, fuse_conv_bn
from prisma_abu.neural.preprocess import PixelNorm

__all__ = ["GoogLeNet", "LAYERS", "layer_names", "describe", "status", "build"]

NAME = "googlenet"

#: (Caffe blob name, torchvision module name), in network order.
LAYERS = (
    ("conv1/7x7_s2", "conv1"),
    ("pool1/3x3_s2", "maxpool1"),
    ("conv2/3x3_reduce", "conv2"),
    ("conv2/3x3", "conv3"),
    ("pool2/3x3_s2", "maxpool2"),
    ("inception_3a/output", "inception3a"),
    ("inception_3b/output", "inception3b"),
    ("pool3/3x3_s2", "maxpool3"),
    ("inception_4a/output", "inception4a"),
    ("inception_4b/output", "inception4b"),
    ("inception_4c/output", "inception4c"),
    ("inception_4d/output", "inception4d"),
    ("inception_4e/output", "inception4e"),
    ("pool4/3x3_s2", "maxpool4"),
    ("inception_5a/output", "inception5a"),
    ("inception_5b/output", "inception5b"),
)
DEFAULT_LAYER = "inception_4c/output"
_LAYERS = tuple(caffe for caffe, _ in LAYERS)


def layer_names(name: str = NAME) -> tuple[str, ...]:
    """Canonical (Caffe) layer names of GoogLeNet, in network order."""
    return _LAYERS


def describe(name: str = NAME) -> str:
    """One line about the backbone."""
    return (
        "GoogLeNet (Inception v1), torchvision ImageNet weights; the classic DeepDream network "
        "(fetch once with `prisma-abu fetch-weights googlenet`)"
    )


def default_weights_file() -> Path:
    """Where torch hub keeps torchvision's GoogLeNet checkpoint."""
    from prisma_abu.neural.weights import torchvision_weights_file

    return torchvision_weights_file(NAME)


def _missing_message(path: Path) -> str:
    return (
        f"{NAME} weights not found: expected {path}; get them once online with "
        f"`prisma-abu fetch-weights {NAME}` or pass --weights FILE"
    )


def status(name: str = NAME) -> dict[str, Any]:
    """``weights_present`` and ``source`` for ``prisma-abu doctor``; loads nothing."""
    path = default_weights_file()
    if path.is_file():
        return {"weights_present": True, "source": str(path)}
    return {"weights_present": False, "source": _missing_message(path)}


class GoogLeNet(Backbone):
    """torchvision GoogLeNet as a :class:`~prisma_abu.neural.backbones.Backbone`.

    Parameters
    ----------
    net : torchvision.models.GoogLeNet
        Built with ``aux_logits=False, transform_input=True``, weights loaded.
    """

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.name = NAME
        self.net = net
        stages = [Stage(caffe, getattr(net, module)) for caffe, module in LAYERS]
        aliases = {module: caffe for caffe, module in LAYERS}
        aliases.update({caffe.removesuffix("/output"): caffe for caffe, _ in LAYERS})
        self._set_stages(
            stages, default_layer=DEFAULT_LAYER, shallow_layers=_LAYERS[:10], aliases=aliases
        )
        self.pixels = PixelNorm("googlenet" if net.transform_input else "imagenet")

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """ImageNet mean/std on ``rgb / 255``, then ``_transform_input``.

        ``Nx3xHxW`` RGB 0..255 -> ``Nx3xHxW``.
        """
        return self.pixels(image)

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.net.avgpool(x), 1)
        return self.net.fc(self.net.dropout(x))


def build(name: str, weights: Path | None, pooling: str) -> GoogLeNet:
    """Build GoogLeNet with its ImageNet weights; never downloads.

    Parameters
    ----------
    name : "googlenet"
    weights : pathlib.Path or None
        A GoogLeNet state dict (torchvision's checkpoint; its ``aux1``/``aux2``
        entries are ignored).  None: torch hub's copy of torchvision's file.
    pooling : "max"
        Only max pooling (the inception branches pool too; not replaced).

    Raises
    ------
    InvalidParameterError
        ``pooling="avg"``.
    ModelError
        Weights missing, corrupt or not fitting.
    """
    if pooling != "max":
        raise InvalidParameterError(
            f"expected pooling 'max' for {NAME} ('avg' is for vgg16, vgg19), got {pooling!r}"
        )
    from torchvision.models import googlenet

    from prisma_abu.neural import weights as wt

    if weights is None:
        weights = default_weights_file()
        if not weights.is_file():
            raise ModelError(_missing_message(weights))
    state = wt.load_state_dict_file(weights, what=f"{NAME} weights")
    state = {key: value for key, value in state.items() if not key.startswith(("aux1.", "aux2."))}
    with torch.device("meta"):
        net = googlenet(weights=None, aux_logits=False, init_weights=False, transform_input=True)
    wt.load_into(net, state, what=f"{NAME} weights {weights}")
    _fuse_batchnorm(net)
    return GoogLeNet(net)


def _fuse_batchnorm(net: nn.Module) -> None:
    """Fold each ``BasicConv2d``'s BatchNorm into its convolution."""
    for module in net.modules():
        conv, bn = getattr(module, "conv", None), getattr(module, "bn", None)
        if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
            fuse_conv_bn(conv, bn)
            module.bn = nn.Identity()
