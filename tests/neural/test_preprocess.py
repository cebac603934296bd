"""neural.preprocess: the networks' pixel conversions, written once (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import prisma_abu
from prisma_abu.errors import ModelError
from prisma_abu.neural.preprocess import PIXEL_NORMS, PixelNorm


@pytest.mark.parametrize("kind", PIXEL_NORMS)
def test_inverse_undoes_forward(kind: str) -> None:
    x = torch.rand(2, 3, 5, 7) * 255
    torch.testing.assert_close(PixelNorm(kind).inverse(PixelNorm(kind)(x)), x, rtol=0, atol=1e-4)


def test_caffe_is_bgr_minus_the_vgg_mean_pixel() -> None:
    x = torch.rand(1, 3, 2, 2) * 255
    mean = torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    torch.testing.assert_close(PixelNorm("caffe")(x), x[:, [2, 1, 0]] - mean, rtol=0, atol=0)


def test_imagenet_is_torchvisions_normalisation() -> None:
    x = torch.rand(1, 3, 2, 2) * 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    torch.testing.assert_close(PixelNorm("imagenet")(x), (x / 255 - mean) / std)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ModelError, match="unknown pixel preprocessing 'bgr'; expected one of caffe"):
        PixelNorm("bgr")


def test_the_constants_are_written_once() -> None:
    package = Path(prisma_abu.__file__).parent
    holders = {path.relative_to(package).as_posix() for path in package.rglob("*.py")
               if re.search(r"103\.939|0\.485|0\.229|\b104\.0, 117\.0", path.read_text(encoding="utf-8"))}
    assert holders == {"neural/preprocess.py"}


def test_googlenet_is_torchvisions_transform_input_bit_for_bit() -> None:
    """ImageNet statistics, then torchvision's ``transform_input`` arithmetic, channel by channel."""
    x = torch.rand(2, 3, 4, 5) * 255
    net = PixelNorm("imagenet")(x)
    expected = torch.cat([net[:, 0:1] * (0.229 / 0.5) + (0.485 - 0.5) / 0.5,
                          net[:, 1:2] * (0.224 / 0.5) + (0.456 - 0.5) / 0.5,
                          net[:, 2:3] * (0.225 / 0.5) + (0.406 - 0.5) / 0.5], 1)
    assert torch.equal(PixelNorm("googlenet")(x), expected)
