"""abu's Prisma mix end to end, against the literal formulation of the original.

The book's behaviour is ``MixParams.book(...)``: a square, no ``auto``, no texture preset.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from scipy.signal import convolve2d
from skimage import filters

from prisma_abu import pipeline
from prisma_abu.errors import InvalidParameterError
from prisma_abu.io import read_image
from prisma_abu.params import MixParams

SIZE = 64


@pytest.fixture(scope="module")
def coffee():
    return read_image("sample/coffee.jpg")


@pytest.fixture(scope="module")
def swirl():
    return read_image("prisma_gd/swirl.jpg")


def _literal_original(source, guide, *, n1, n2, n3, f_median, f_big, dd=True, sharpness=None):
    """The book's code, line for line (PIL resize, otsu, convolve2d, np.where, enhance)."""
    r_img = Image.fromarray(np.uint8(source)).resize((SIZE, SIZE), Image.LANCZOS)
    g_img = np.float32(Image.fromarray(np.uint8(guide)).resize((SIZE, SIZE), Image.LANCZOS))
    l_img = np.float32(r_img.convert("L")) / 255
    r_img = np.float32(r_img)
    t = filters.threshold_otsu(l_img)
    mask = np.uint8(np.clip(np.float32((l_img > t if dd else l_img < t) * 255), 0, 255))

    def conv(n):
        window = np.ones((n, n)) / (n * n)
        return convolve2d(mask, window, mode="same", boundary="fill")

    small, median, big = conv(n1), conv(n2), conv(n3)
    keep = np.logical_or(median > f_median * big.mean(), np.logical_and(small > 0, big > f_big * big.mean()))
    out = np.stack([np.where(keep, r_img[..., d], g_img[..., d]) for d in range(3)], axis=2).astype("uint8")
    if sharpness is not None:
        out = np.uint8(ImageEnhance.Sharpness(Image.fromarray(out)).enhance(sharpness))
    return out


@pytest.mark.parametrize("dd", [True, False])
@pytest.mark.parametrize("n", [(5, 25, 60), (4, 28, 1), (1, 1, 1)])
def test_mix_without_dream_equals_the_original(coffee, swirl, dd, n):
    params = MixParams.book(size=SIZE, n1=n[0], n2=n[1], n3=n[2], dd=dd, layer=None,
                       convd_median_factor=1.5, convd_big_factor=0.0)
    result = pipeline.mix(coffee, swirl, params)
    expected = _literal_original(coffee, swirl, n1=n[0], n2=n[1], n3=n[2], f_median=1.5, f_big=0.0, dd=dd)
    np.testing.assert_array_equal(result.image, expected)
    assert result.image.dtype == np.uint8 and result.mask.shape == (SIZE, SIZE)


def test_enhance_preset_applies_after_blend(coffee, swirl):
    params = MixParams.book(size=SIZE, layer=None, enhance="Sharpness", n3=1, convd_big_factor=0.0)
    result = pipeline.mix(coffee, swirl, params)
    expected = _literal_original(coffee, swirl, n1=5, n2=25, n3=1, f_median=5.0, f_big=0.0, sharpness=8.8)
    np.testing.assert_array_equal(result.image, expected)


def test_keep_size_gives_guide_the_source_height(coffee, swirl):
    result = pipeline.mix(coffee, swirl, MixParams.book(size=90, keep_size=True, layer=None, n3=1))
    assert result.image.shape == (60, 90, 3) and result.guide.shape == (60, 90, 3)


def test_all_mask_uses_its_rate_and_unit_windows(coffee, swirl):
    params = MixParams.book(size=SIZE, all_mask=True, layer=None, convd_big_factor=0.0, seed=3)
    result = pipeline.mix(coffee, swirl, params)
    assert (result.mask == 255).all()
    taken = [(result.image[..., d] == result.source[..., d]).mean() for d in range(3)]
    # keep rates 0.88, 0.78, 0.68 per channel (source and guide rarely agree by chance)
    for rate, expected in zip(taken, (0.88, 0.78, 0.68)):
        assert abs(rate - expected) < 0.05


def test_seed_reproduces_bytes_and_changes_with_seed(coffee, swirl):
    params = MixParams.book(size=SIZE, layer=None, rb_rate=0.88, n3=1, convd_big_factor=0.0)
    a = pipeline.mix(coffee, swirl, params).image
    b = pipeline.mix(coffee, swirl, params).image
    c = pipeline.mix(coffee, swirl, params.replace(seed=1)).image
    assert a.tobytes() == b.tobytes() and not np.array_equal(a, c)


def test_spots_force_keep_and_drop(coffee, swirl):
    base = MixParams.book(size=SIZE, layer=None, n3=1, convd_big_factor=0.0, mask="otsu")
    kept = pipeline.mix(coffee, swirl, base.replace(spots_keep=((10, 10, 4),)))
    assert (kept.mask[6:14, 6:14] == 255).all()
    dropped = pipeline.mix(coffee, swirl, base.replace(spots_drop=((10, 10, 4),), n1=1, n2=1))
    assert (dropped.mask[6:14, 6:14] == 0).all()
    np.testing.assert_array_equal(dropped.image[6:14, 6:14], dropped.guide[6:14, 6:14])


def test_no_guide_no_layer_takes_a_black_guide(coffee):
    result = pipeline.mix(coffee, None, MixParams.book(size=SIZE, layer=None, n3=1, convd_big_factor=0.0))
    outside = result.image[result.image.sum(axis=2) == 0]
    assert len(outside) > 0
    assert result.guide is None


def test_window_larger_than_picture_is_refused(coffee, swirl):
    with pytest.raises(InvalidParameterError, match=r"n3: expected a window between 1 and 64 \(the picture's size\), got 120"):
        pipeline.mix(coffee, swirl, MixParams.book(size=SIZE, layer=None))


def test_unknown_enhance_and_mask_are_refused(coffee, swirl):
    with pytest.raises(InvalidParameterError, match="enhance: expected one of None, Sharpness"):
        pipeline.mix(coffee, swirl, MixParams.book(size=SIZE, layer=None, n3=1, enhance="Blur"))
    with pytest.raises(InvalidParameterError, match="otsux"):
        pipeline.mix(coffee, swirl, MixParams.book(size=SIZE, layer=None, n3=1, mask="otsux"))


def test_given_mask_replaces_computed_one(coffee, swirl):
    mask = np.zeros((SIZE, SIZE), np.uint8)
    result = pipeline.mix(coffee, swirl, MixParams.book(size=SIZE, layer=None, n3=1), mask=mask)
    np.testing.assert_array_equal(result.image, result.guide)
    with pytest.raises(InvalidParameterError, match=r"mask: expected the picture's size \(64, 64\), got \(3, 3\)"):
        pipeline.mix(coffee, swirl, MixParams.book(size=SIZE, layer=None, n3=1), mask=np.zeros((3, 3)))


def test_mix_with_dream_on_embedded_network(coffee, swirl):
    params = MixParams.book(size=96, n3=1, convd_big_factor=0.0, iter_n=3)
    steps = []
    result = pipeline.mix(coffee, swirl, params, callback=lambda o, i, v: steps.append((o, i, v)))
    assert len(steps) == 3 * 4  # 96, 69, 49, 35 px: four octaves above the 32 px floor
    assert np.abs(result.image.astype(int) - result.blended.astype(int)).mean() > 2
    again = pipeline.mix(coffee, swirl, params)
    assert again.image.tobytes() == result.image.tobytes()


def test_no_guide_with_layer_is_a_plain_dream_with_iter_from_rate(coffee):
    steps = []
    pipeline.mix(coffee, None, MixParams.book(size=64, rb_rate=0.5, octave_n=1),
                 callback=lambda o, i, v: steps.append(i))
    assert len(steps) == int(10 / 0.5)


def test_force_iter_n_wins(coffee, swirl):
    steps = []
    pipeline.mix(coffee, swirl, MixParams.book(size=64, n3=1, octave_n=1, force_iter_n=2),
                 callback=lambda o, i, v: steps.append(i))
    assert len(steps) == 2


def test_prisma_layer_defaults():
    assert pipeline.prisma_layer("googlenet") == "conv2/3x3_reduce"
    assert pipeline.prisma_layer("bvlc_googlenet") == "conv2/3x3_reduce"  # the book's layer on the book's network
    assert pipeline.prisma_layer("efficientnet_lite0") in pipeline.PRISMA_LAYERS.values()
