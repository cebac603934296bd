"""Tests of prisma_abu.ops.enhance: every preset is the direct Pillow call."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance, ImageFilter

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.enhance import ENHANCE_FACTORS, ENHANCE_PRESETS, enhance_image

DIRECT = {
    "Sharpness": lambda p, f: ImageEnhance.Sharpness(p).enhance(f),
    "Brightness": lambda p, f: ImageEnhance.Brightness(p).enhance(f),
    "Contrast": lambda p, f: ImageEnhance.Contrast(p).enhance(f),
    "Color": lambda p, f: ImageEnhance.Color(p).enhance(f),
    "CONTOUR": lambda p, f: ImageEnhance.Contrast(p).enhance(f).filter(ImageFilter.CONTOUR),
    "EDGES": lambda p, f: p.filter(ImageFilter.FIND_EDGES),
    "EMBOSS": lambda p, f: p.filter(ImageFilter.EMBOSS),
    "EEM": lambda p, f: p.filter(ImageFilter.EDGE_ENHANCE_MORE),
    "EE": lambda p, f: p.filter(ImageFilter.EDGE_ENHANCE),
}
DEFAULTS = {"Sharpness": 8.8, "Brightness": 1.8, "Contrast": 2.6, "Color": 7.6, "CONTOUR": 2.6}


def _direct(image: np.ndarray, preset: str, factor: float | None) -> np.ndarray:
    picture = Image.fromarray(np.uint8(np.clip(image, 0, 255)))
    return np.float32(DIRECT[preset](picture, factor))


def test_presets_and_default_factors_are_the_originals() -> None:
    assert ENHANCE_PRESETS == (None, *DIRECT)
    assert dict(ENHANCE_FACTORS) == DEFAULTS


@pytest.mark.parametrize("preset", list(DIRECT))
def test_each_preset_is_the_direct_pillow_call(cat: np.ndarray, preset: str) -> None:
    before = cat.copy()
    out = enhance_image(cat, preset)
    assert out.dtype == np.float32 and out.shape == cat.shape
    np.testing.assert_array_equal(out, _direct(cat, preset, DEFAULTS.get(preset)))
    assert not np.array_equal(out, cat)
    np.testing.assert_array_equal(cat, before)


@pytest.mark.parametrize("preset", ["Sharpness", "Brightness", "Contrast", "Color", "CONTOUR"])
def test_factor_overrides_the_preset_factor(cat: np.ndarray, preset: str) -> None:
    out = enhance_image(cat, preset, factor=0.4)
    np.testing.assert_array_equal(out, _direct(cat, preset, 0.4))
    assert not np.array_equal(out, enhance_image(cat, preset))


@pytest.mark.parametrize("preset", ["EDGES", "EMBOSS", "EEM", "EE"])
def test_filters_ignore_the_factor(cat: np.ndarray, preset: str) -> None:
    with_factor = enhance_image(cat, preset, factor=3.0)
    np.testing.assert_array_equal(with_factor, enhance_image(cat, preset))


@pytest.mark.parametrize("preset", [None, "None"])
def test_none_returns_a_float32_copy(small_rgb: np.ndarray, preset: str | None) -> None:
    image = small_rgb + 0.5  # not rounded through uint8
    out = enhance_image(image, preset)
    assert out is not image and out.dtype == np.float32
    np.testing.assert_array_equal(out, image)


def test_float_input_is_clipped_and_truncated(small_rgb: np.ndarray) -> None:
    image = small_rgb * 1.4 - 10.3
    np.testing.assert_array_equal(enhance_image(image, "EE"), _direct(image, "EE", None))


def test_rejects_unknown_presets_listing_the_valid() -> None:
    message = "expected an enhance preset among None, 'Sharpness'.*'EE', got 'sharpen'"
    with pytest.raises(InvalidParameterError, match=message):
        enhance_image(np.zeros((4, 4, 3)), "sharpen")


def test_rejects_a_negative_factor() -> None:
    message = "expected factor to be a finite number >= 0, got -1"
    with pytest.raises(InvalidParameterError, match=message):
        enhance_image(np.zeros((4, 4, 3)), "EE", factor=-1)
