"""Tests of prisma_abu.ops.color: Pillow-exact grey, uint8 conversion, checks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import (
    as_uint8,
    check_grey,
    check_mask,
    check_number,
    check_rgb,
    to_grey,
)


def _pillow_grey(pixels: np.ndarray) -> np.ndarray:
    return np.float32(Image.fromarray(pixels).convert("L")) / 255


def test_to_grey_uint8_is_pillow_luma(small_rgb: np.ndarray) -> None:
    pixels = small_rgb.astype(np.uint8)
    grey = to_grey(pixels)
    assert grey.dtype == np.float32
    np.testing.assert_array_equal(grey, _pillow_grey(pixels))


def test_to_grey_float_is_clipped_and_truncated_first(small_rgb: np.ndarray) -> None:
    image = small_rgb * 1.3 - 20.4  # out of range on both sides, fractional
    before = image.copy()
    grey = to_grey(image)
    np.testing.assert_array_equal(grey, _pillow_grey(np.uint8(np.clip(image, 0, 255))))
    np.testing.assert_array_equal(image, before)
    assert 0.0 <= grey.min() and grey.max() <= 1.0


def test_as_uint8_clips_then_truncates() -> None:
    values = np.array([-5.0, 0.9, 254.7, 255.0, 300.0], dtype=np.float32)
    np.testing.assert_array_equal(as_uint8(values), [0, 0, 254, 255, 255])
    assert as_uint8(values).dtype == np.uint8


def test_as_uint8_rejects_nan() -> None:
    with pytest.raises(InvalidImageError, match="expected finite values in image"):
        as_uint8(np.array([1.0, np.nan]))


def test_check_rgb_rejects_wrong_shape() -> None:
    message = r"image: expected an \(M, N, 3\) RGB array, got shape \(4, 4\)"
    with pytest.raises(InvalidImageError, match=message):
        check_rgb(np.zeros((4, 4)))


def test_check_rgb_rejects_bool_dtype() -> None:
    with pytest.raises(InvalidImageError, match="integer or float dtype, got bool"):
        check_rgb(np.zeros((2, 2, 3), dtype=bool))


def test_check_rgb_rejects_empty() -> None:
    with pytest.raises(InvalidImageError, match="expected a non-empty image"):
        check_rgb(np.zeros((0, 2, 3)))


def test_check_grey_rejects_wrong_shape() -> None:
    with pytest.raises(InvalidImageError, match=r"expected grey of shape \(M, N\)"):
        check_grey(np.zeros((2, 2, 3)))


def test_check_grey_rejects_values_outside_unit_range() -> None:
    with pytest.raises(InvalidImageError, match=r"values in \[0, 1\], got values in \[0, 255\]"):
        check_grey(np.array([[0.0, 255.0]]))


def test_check_mask_rejects_wrong_shape() -> None:
    with pytest.raises(InvalidImageError, match=r"expected mask of shape \(M, N\)"):
        check_mask(np.zeros(5, dtype=np.uint8))


def test_check_mask_rejects_float() -> None:
    with pytest.raises(InvalidImageError, match="integer or bool dtype, got float64"):
        check_mask(np.zeros((2, 2)))


def test_check_mask_rejects_empty() -> None:
    with pytest.raises(InvalidImageError, match="expected a non-empty mask"):
        check_mask(np.zeros((0, 3), dtype=np.uint8))


def test_check_mask_accepts_bool_and_returns_same_array() -> None:
    mask = np.zeros((2, 2), dtype=bool)
    assert check_mask(mask) is mask


@pytest.mark.parametrize("value", [True, "1", None])
def test_check_number_rejects_non_numbers(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="expected k to be a real number"):
        check_number(value, name="k")


@pytest.mark.parametrize("value", [-0.5, float("inf"), float("nan")])
def test_check_number_rejects_out_of_range(value: float) -> None:
    with pytest.raises(InvalidParameterError, match="expected k to be a finite number >= 0"):
        check_number(value, name="k")


def test_check_number_without_minimum() -> None:
    assert check_number(-3, name="k", minimum=None) == -3.0
    with pytest.raises(InvalidParameterError, match="expected k to be a finite number, got inf"):
        check_number(float("inf"), name="k", minimum=None)
