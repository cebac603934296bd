"""pytorch/examples ``fast_neural_style``'s ``TransformerNet``, module for module (the state dicts' names).

``channels`` (or :func:`channels_for_width`) makes a narrower network. Wrapped as a
:class:`~prisma_abu.neural.stylenets.StyleNet` and read from files by :mod:`.transformer_net`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from prisma_abu.errors import InvalidParameterError

__all__ = ["DEFAULT_CHANNELS", "ConvLayer", "ResidualBlock", "UpsampleConvLayer", "TransformerNet",
           "channels_for_width"]

#: pytorch-examples' channel counts (conv1, conv2, conv3 outputs).
DEFAULT_CHANNELS = (32, 64, 128)


class ConvLayer(torch.nn.Module):
    """Reflection padding of ``kernel_size // 2`` then a convolution (pytorch-examples)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.reflection_pad = torch.nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(torch.nn.Module):
    """Two 3x3 conv + instance norm layers and a skip connection (pytorch-examples)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.relu = torch.nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.in1(self.conv1(x)))
        return self.in2(self.conv2(out)) + x


class UpsampleConvLayer(torch.nn.Module):
    """Nearest-neighbour upsampling then a :class:`ConvLayer` (pytorch-examples)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 upsample: int | None = None) -> None:
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = torch.nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, mode="nearest", scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


def channels_for_width(width: float) -> tuple[int, int, int]:
    """Channel counts for a width multiplier (1.0: pytorch-examples' 32, 64, 128).

    Raises
    ------
    InvalidParameterError
        If ``width`` is not in (0, 8].
    """
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 8:
        raise InvalidParameterError(f"width: expected a number in (0, 8], got {width!r}")
    return tuple(max(1, round(c * width)) for c in DEFAULT_CHANNELS)  # type: ignore[return-value]


class TransformerNet(torch.nn.Module):
    """pytorch-examples' ``TransformerNet``, optionally narrower.

    Parameters
    ----------
    channels : (int, int, int)
        Outputs of ``conv1``, ``conv2`` and ``conv3`` (the residual blocks
        run at the last); pytorch-examples' ``(32, 64, 128)`` by default.

    Notes
    -----
    ``forward`` maps an ``Nx3xHxW`` RGB tensor in 0..255 to RGB in about
    0..255, unclamped (training needs the gradient everywhere). Its output is
    ``4·ceil(H/4) x 4·ceil(W/4)``-ish for sides that are not multiples of 4;
    :class:`TransformerStyleNet` takes care of that.
    """

    def __init__(self, channels: tuple[int, int, int] = DEFAULT_CHANNELS) -> None:
        super().__init__()
        c1, c2, c3 = self.channels = tuple(int(c) for c in channels)  # type: ignore[assignment]
        self.conv1 = ConvLayer(3, c1, kernel_size=9, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(c1, affine=True)
        self.conv2 = ConvLayer(c1, c2, kernel_size=3, stride=2)
        self.in2 = torch.nn.InstanceNorm2d(c2, affine=True)
        self.conv3 = ConvLayer(c2, c3, kernel_size=3, stride=2)
        self.in3 = torch.nn.InstanceNorm2d(c3, affine=True)
        self.res1 = ResidualBlock(c3)
        self.res2 = ResidualBlock(c3)
        self.res3 = ResidualBlock(c3)
        self.res4 = ResidualBlock(c3)
        self.res5 = ResidualBlock(c3)
        self.deconv1 = UpsampleConvLayer(c3, c2, kernel_size=3, stride=1, upsample=2)
        self.in4 = torch.nn.InstanceNorm2d(c2, affine=True)
        self.deconv2 = UpsampleConvLayer(c2, c1, kernel_size=3, stride=1, upsample=2)
        self.in5 = torch.nn.InstanceNorm2d(c1, affine=True)
        self.deconv3 = ConvLayer(c1, 3, kernel_size=9, stride=1)
        self.relu = torch.nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``Nx3xHxW`` RGB 0..255 -> ``Nx3xH'xW'`` RGB (unclamped)."""
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        y = self.res5(self.res4(self.res3(self.res2(self.res1(y)))))
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)
