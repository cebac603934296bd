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


def test_cover_scales_to_cover_and_crops_the_centre() -> None:
    from prisma_abu.ops.resize import cover_box, resize_cover

    rng = np.random.default_rng(3)
    square = rng.integers(0, 256, (48, 48, 3)).astype(np.uint8)
    # a square guide on a landscape photo: scaled to the width, the middle rows kept
    assert cover_box(square.shape, (60, 40)) == ((60, 60), (0, 10, 60, 50))
    out = resize_cover(square, (60, 40))
    assert out.shape == (40, 60, 3) and out.dtype == np.float32
    expected = np.float32(Image.fromarray(square).resize((60, 60), Image.Resampling.LANCZOS).crop((0, 10, 60, 50)))
    np.testing.assert_array_equal(out, expected)
    # a portrait target: scaled to the height, the middle columns kept; never stretched
    assert cover_box(square.shape, (30, 90)) == ((90, 90), (30, 0, 60, 90))
    wide = rng.integers(0, 256, (20, 80, 3)).astype(np.uint8)
    assert cover_box(wide.shape, (40, 40)) == ((160, 40), (60, 0, 100, 40))
    # the same size: a crop without resampling
    np.testing.assert_array_equal(resize_cover(square, (48, 48)), np.float32(square))
    with pytest.raises(InvalidParameterError):
        resize_cover(square, (0, 5))


def test_resize_mask_and_zoom_detail() -> None:
    from prisma_abu.ops.resize import resize_mask, zoom_detail

    mask = np.zeros((10, 20), np.uint8)
    mask[2:8, 5:15] = 255
    big = resize_mask(mask, (40, 80))
    assert big.shape == (40, 80) and set(np.unique(big)) == {0, 255}
    assert big[20, 40] == 255 and big[2, 2] == 0
    assert abs((big > 0).mean() - (mask > 0).mean()) < 0.03
    detail = np.zeros((5, 10, 3), np.float32)
    detail[..., 0] = -4.0
    detail[..., 1] = np.linspace(-1, 1, 10)[None, :]
    up = zoom_detail(detail, (15, 30))
    assert up.shape == (15, 30, 3) and up.dtype == np.float32
    assert np.allclose(up[..., 0], -4.0) and up[0, 0, 1] < 0 < up[0, -1, 1]
