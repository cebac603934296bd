"""Tests of prisma_abu.ops.resize against direct Pillow LANCZOS calls."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.resize import resize_image, target_size


def _pillow_resize(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.float32(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))


def test_default_is_a_base_width_square(small_rgb: np.ndarray) -> None:
    out = resize_image(small_rgb, base_width=20)
    assert out.shape == (20, 20, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, _pillow_resize(small_rgb.astype(np.uint8), (20, 20)))


def test_keep_size_uses_the_original_height_formula() -> None:
    image = np.linspace(0, 255, 30 * 45 * 3, dtype=np.float32).reshape(30, 45, 3)
    out = resize_image(image, base_width=20, keep_size=True)
    height = int(float(30) * float(20 / float(45)))  # 13
    assert out.shape == (height, 20, 3)
    np.testing.assert_array_equal(out, _pillow_resize(np.uint8(image), (20, height)))


def test_height_overrides_keep_size(small_rgb: np.ndarray) -> None:
    out = resize_image(small_rgb, base_width=9, keep_size=True, height=31)
    np.testing.assert_array_equal(out, _pillow_resize(small_rgb.astype(np.uint8), (9, 31)))


def test_height_is_at_least_one_pixel() -> None:
    assert target_size((1, 100, 3), base_width=10, keep_size=True) == (10, 1)
    assert resize_image(np.zeros((1, 100, 3)), base_width=10, keep_size=True).shape == (1, 10, 3)


def test_float_input_is_clipped_then_truncated(small_rgb: np.ndarray) -> None:
    image = small_rgb * 1.5 - 30.7
    before = image.copy()
    out = resize_image(image, base_width=7)
    np.testing.assert_array_equal(out, _pillow_resize(np.uint8(np.clip(image, 0, 255)), (7, 7)))
    np.testing.assert_array_equal(image, before)
    out[0, 0, 0] = 1.0  # the result is a writable array of its own


@pytest.mark.parametrize("base_width", [0, -3, 2.5, True])
def test_rejects_bad_base_width(small_rgb: np.ndarray, base_width: object) -> None:
    with pytest.raises(InvalidParameterError, match="expected base_width to be an integer >= 1"):
        resize_image(small_rgb, base_width=base_width)


def test_rejects_bad_height(small_rgb: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match="expected height to be an integer >= 1, got 0"):
        resize_image(small_rgb, height=0)
