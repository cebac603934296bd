"""neural.device's picture tensors: the one array<->tensor conversion, the one tensor check, autocast's fp16."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from prisma_abu.errors import InvalidImageError
from prisma_abu.neural.device import autocast, check_image_tensor, to_array, to_tensor


def test_a_read_only_picture_converts_without_a_warning_and_stays_untouched() -> None:
    picture = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    picture.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = to_tensor(picture)
    assert x.shape == (1, 3, 2, 3) and x.dtype == torch.float32 and x.is_contiguous()
    x += 1  # a copy: the picture is not written
    np.testing.assert_array_equal(to_array(x - 1), picture)


def test_uint8_pictures_become_float32() -> None:
    picture = np.full((1, 2, 3), 200, np.uint8)
    assert to_tensor(picture).dtype == torch.float32 and float(to_tensor(picture).max()) == 200.0


@pytest.mark.parametrize("bad, message", [
    (np.zeros((1, 3, 8, 8)), "expected a torch.Tensor image, got ndarray"),
    (torch.zeros(3, 8, 8), "expected an Nx3xHxW image tensor, got shape 3x8x8"),
    (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), "expected a float image tensor"),
    (torch.zeros(1, 3, 8, 5), r"picture too small for net7: expected both sides >= 6 px, got 5x8"),
])
def test_check_image_tensor_names_what_is_wrong(bad, message: str) -> None:
    with pytest.raises(InvalidImageError, match=message):
        check_image_tensor(bad, 6, net="net7")


def test_check_image_tensor_gives_the_size_and_prefixes_the_name() -> None:
    assert check_image_tensor(torch.zeros(2, 3, 7, 9)) == (7, 9)
    with pytest.raises(InvalidImageError, match="^photo: expected an Nx3xHxW"):
        check_image_tensor(torch.zeros(1, 4, 8, 8), name="photo")


def test_fp16_autocast_is_fp16_on_the_cpu() -> None:
    x = torch.ones(2, 2)
    with autocast(torch.device("cpu"), "fp16"):
        assert (x @ x).dtype == torch.float16
