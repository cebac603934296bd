"""BVLC GoogLeNet's layers rebuilt in torch: the Caffe topology, its LRN and pooling, and the backbone.

LRN across 5 channels with ``alpha=1e-4, beta=0.75, k=1`` (Caffe divides
alpha by the window size, as ``torch.nn.functional.local_response_norm``
does), max pooling in Caffe's ceil mode, average pooling 7x7 at the end, the
inception branches in Caffe's order and no BatchNorm. Where the weights come
from (the user's ``.caffemodel``, converted once): :mod:`prisma_abu.neural.bvlc_googlenet`.

Layer names are Caffe's blob names, in network order, as pycaffe's
``net.blobs`` lists them (less ``data``, the split blobs, the classifier and
``prob``). A blob holds what ``net.forward(end=name)`` leaves in it, which is
what the original amplified: a convolution's output *before* its in-place ReLU
(the ReLU is the next layer, which ``forward(end=...)`` does not run), a
concatenation of rectified branches for ``inception_*/output``. Aliases: the
inception names without ``/output`` (``inception_4c``).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from prisma_abu.errors import InvalidImageError
from prisma_abu.neural.backbones import Backbone, Stage
from prisma_abu.neural.preprocess import PixelNorm

__all__ = ["BVLCGoogLeNet", "CaffeGoogLeNet", "CaffeLRN", "INCEPTIONS", "BRANCHES", "CONVOLUTIONS", "LRN", "NAME",
           "DEFAULT_LAYER", "PRISMA_LAYER", "CLASSIFIER", "LAYERS"]

NAME = "bvlc_googlenet"
DEFAULT_LAYER = "inception_4c/output"
#: The layer the original's Prisma mix amplified (``fit_img(nbk='conv2/3x3_reduce')``).
PRISMA_LAYER = "conv2/3x3_reduce"
CLASSIFIER = "loss3/classifier"
#: Caffe's LRN (``local_size: 5, alpha: 0.0001, beta: 0.75``; k = 1).
LRN = {"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0}
#: Inception modules and BVLC's widths: 1x1, 3x3_reduce, 3x3, 5x5_reduce, 5x5, pool_proj.
INCEPTIONS: Mapping[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}
#: Pooling between inception groups: after this module, this blob.
_POOL_AFTER = {"3b": "pool3/3x3_s2", "4e": "pool4/3x3_s2", "5b": "pool5/7x7_s1"}
#: An inception module's blobs, in Caffe's order (``output`` follows them).
BRANCHES = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool", "pool_proj")
_STEM = (
    "conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce",
    "conv2/3x3", "conv2/norm2", "pool2/3x3_s2",
)  # fmt: skip


def _layer_names() -> tuple[str, ...]:
    names = list(_STEM)
    for module in INCEPTIONS:
        names += [f"inception_{module}/{blob}" for blob in (*BRANCHES, "output")]
        if module in _POOL_AFTER:
            names.append(_POOL_AFTER[module])
    return tuple(names)


#: every blob name, in network order
LAYERS = _layer_names()


def _conv_specs(widths: Mapping[str, int]) -> tuple[list[tuple[str, int, int, int, int, int]], int]:
    """``[(name, in, out, kernel, stride, pad)]`` in Caffe's order, and the last width."""
    specs: list[tuple[str, int, int, int, int, int]] = []

    def conv(name: str, channels: int, kernel: int, stride: int = 1, pad: int = 0) -> int:
        specs.append((name, channels, widths[name], kernel, stride, pad))
        return widths[name]

    width = conv("conv1/7x7_s2", 3, 7, 2, 3)
    width = conv("conv2/3x3", conv("conv2/3x3_reduce", width, 1), 3, 1, 1)
    for module in INCEPTIONS:
        prefix = f"inception_{module}/"
        width = (
            conv(prefix + "1x1", width, 1)
            + conv(prefix + "3x3", conv(prefix + "3x3_reduce", width, 1), 3, 1, 1)
            + conv(prefix + "5x5", conv(prefix + "5x5_reduce", width, 1), 5, 1, 2)
            + conv(prefix + "pool_proj", width, 1)
        )
    return specs, width


#: The 57 convolutions, in Caffe's order.
CONVOLUTIONS = tuple(spec[0] for spec in _conv_specs(defaultdict(int))[0])


class CaffeGoogLeNet(nn.Module):
    """The convolutions and classifier under their Caffe layer names (the state dict's layout).

    Parameters
    ----------
    widths : mapping of str to int
        Output channels of each of :data:`CONVOLUTIONS`.
    classes : int or None
        Outputs of ``loss3/classifier``; None: no classifier.
    """

    def __init__(self, widths: Mapping[str, int], classes: int | None) -> None:
        super().__init__()
        specs, width = _conv_specs(widths)
        for name, cin, cout, kernel, stride, pad in specs:
            self.add_module(name, nn.Conv2d(cin, cout, kernel, stride, pad))
        self.has_classifier = classes is not None
        if classes is not None:
            self.add_module(CLASSIFIER, nn.Linear(width, classes))

    def layer(self, name: str) -> nn.Module:
        """The module of a Caffe layer (``"conv2/3x3_reduce"``)."""
        return self._modules[name]


def _max_pool(x: torch.Tensor, stride: int = 2) -> torch.Tensor:
    """Caffe's 3x3 max pooling: ceil mode, padded by 1 when the stride is 1."""
    return F.max_pool2d(x, 3, stride, padding=1 if stride == 1 else 0, ceil_mode=True)


class CaffeLRN(nn.Module):
    """Caffe's across-channel LRN, ``x / (k + alpha/n * sum of x^2 over n channels)^beta``.

    The same as ``torch.nn.functional.local_response_norm(x, **LRN)`` (which
    the tests hold it to), with the windowed sum of squares done as a 1x1
    convolution by a banded 0/1 matrix: a dream step through the network runs
    about 1.2x (to ``conv2/3x3_reduce``) to 1.5x (to ``inception_4c/output``)
    faster than through torch's pad + avg_pool3d form on CPU
    (``bench/bvlc_googlenet.py``).

    Parameters
    ----------
    channels : int
        Channels of the input (the band matrix is ``channels x channels``).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        index = torch.arange(channels)
        band = (index[:, None] - index[None, :]).abs() <= LRN["size"] // 2
        self.register_buffer("band", band.float().view(channels, channels, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``N x C x H x W`` -> same."""
        window = F.conv2d(x * x, self.band.to(x.dtype))
        return x * (LRN["k"] + LRN["alpha"] / LRN["size"] * window).pow(-LRN["beta"])


def _relu_then(op: Any, x: torch.Tensor) -> torch.Tensor:
    """The previous convolution's in-place ReLU, then ``op``."""
    return op(F.relu(x))


class _Inception:
    """One inception module: its branch blobs (taps) and their concatenation."""

    def __init__(self, net: CaffeGoogLeNet, module: str) -> None:
        self.prefix = f"inception_{module}/"
        self.convs = {branch: net.layer(self.prefix + branch) for branch in BRANCHES if branch != "pool"}
        self.taps = tuple(self.prefix + branch for branch in BRANCHES)

    def run_taps(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        c = self.convs
        blobs = {"1x1": c["1x1"](x), "3x3_reduce": c["3x3_reduce"](x)}
        blobs["3x3"] = c["3x3"](F.relu(blobs["3x3_reduce"]))
        blobs["5x5_reduce"] = c["5x5_reduce"](x)
        blobs["5x5"] = c["5x5"](F.relu(blobs["5x5_reduce"]))
        blobs["pool"] = _max_pool(x, stride=1)
        blobs["pool_proj"] = c["pool_proj"](blobs["pool"])
        parts = [F.relu(blobs[branch]) for branch in ("1x1", "3x3", "5x5", "pool_proj")]
        out = torch.cat(parts, dim=1)
        return out, {self.prefix + branch: blob for branch, blob in blobs.items()}

    def run(self, x: torch.Tensor) -> torch.Tensor:
        return self.run_taps(x)[0]


class BVLCGoogLeNet(Backbone):
    """BVLC GoogLeNet as a :class:`~prisma_abu.neural.backbones.Backbone`.

    Parameters
    ----------
    net : CaffeGoogLeNet
        With the weights of a ``.caffemodel`` loaded.
    """

    def __init__(self, net: CaffeGoogLeNet) -> None:
        super().__init__()
        self.name = NAME
        self.net = net
        conv = net.layer
        self.norm1 = CaffeLRN(conv("conv1/7x7_s2").out_channels)
        self.norm2 = CaffeLRN(conv("conv2/3x3").out_channels)
        stages = [
            Stage("conv1/7x7_s2", conv("conv1/7x7_s2")),
            Stage("pool1/3x3_s2", functools.partial(_relu_then, _max_pool)),
            Stage("pool1/norm1", self.norm1),
            Stage("conv2/3x3_reduce", conv("conv2/3x3_reduce")),
            Stage("conv2/3x3", functools.partial(_relu_then, conv("conv2/3x3"))),
            Stage("conv2/norm2", functools.partial(_relu_then, self.norm2)),
            Stage("pool2/3x3_s2", _max_pool),
        ]
        for module in INCEPTIONS:
            block = _Inception(net, module)
            stages.append(Stage(f"inception_{module}/output", block.run, block.taps, block.run_taps))
            if module in _POOL_AFTER:
                pool = _POOL_AFTER[module]
                stages.append(Stage(pool, _avg_pool_7 if module == "5b" else _max_pool))
        aliases = {f"inception_{module}": f"inception_{module}/output" for module in INCEPTIONS}
        self._set_stages(stages, default_layer=DEFAULT_LAYER, shallow_layers=LAYERS[:10], aliases=aliases)
        if not net.has_classifier:
            self._no_classifier = f"this {NAME} file has no {CLASSIFIER!r} layer; expected one for classify()"
        self.pixels = PixelNorm("bvlc")

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """``bgr - BVLC_MEAN_BGR`` on ``0..255``: ``Nx3xHxW`` RGB -> ``Nx3xHxW`` BGR."""
        return self.pixels(image)

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        """``loss3/classifier`` on ``pool5/7x7_s1`` (averaged when larger than 1x1, beyond 224 px)."""
        return self.net.layer(CLASSIFIER)(x.mean(dim=(2, 3)))


def _avg_pool_7(x: torch.Tensor) -> torch.Tensor:
    """``pool5/7x7_s1``: 7x7 average pooling, stride 1 (Caffe refuses smaller maps too)."""
    if min(x.shape[-2:]) < 7:
        raise InvalidImageError(
            f"pool5/7x7_s1 of {NAME} needs a 7x7 inception_5b map (a picture of about 193 px a side), "
            f"got {'x'.join(map(str, x.shape[-2:]))}"
        )
    return F.avg_pool2d(x, 7, 1)
