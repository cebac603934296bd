"""prisma_abu.ops.regions: a saliency map made a clean subject mask; what a mask's regions measure."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.regions import clean_region, colour_distinctness, region_measures, saliency_mask


def _disc(shape, centre, radius):
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return (yy - centre[0]) ** 2 + (xx - centre[1]) ** 2 <= radius ** 2


def test_region_measures_of_known_shapes():
    mask = np.zeros((40, 50), bool)
    mask[10:20, 10:30] = True  # 200 px, away from the border
    mask[30:32, 40:42] = True  # 4 px, a second region
    r = region_measures(mask)
    assert r.share == pytest.approx(204 / 2000)
    assert r.regions == 2 and r.main_share == pytest.approx(200 / 204)
    assert r.border == 0.0
    full = region_measures(np.ones((10, 10), np.uint8))
    assert full.border == 1.0 and full.share == 1.0 and full.regions == 1
    diagonal = np.eye(6, dtype=bool)  # 8-connected: one region
    assert region_measures(diagonal).regions == 1 and region_measures(diagonal).border == pytest.approx(2 / 20)
    assert region_measures(np.zeros((5, 5))).regions == 0
    with pytest.raises(InvalidImageError, match="2-D mask"):
        region_measures(np.zeros((3, 3, 3)))


def test_clean_region_keeps_the_main_region_without_specks_or_holes():
    shape = (80, 100)
    selected = _disc(shape, (40, 40), 20)
    selected[38:43, 38:43] = False  # a hole
    selected[5, 90] = True  # a speck
    selected |= _disc(shape, (70, 90), 4)  # a small second region
    cleaned = clean_region(selected, np.ones(shape))
    assert cleaned[40, 40]  # the hole is filled
    assert not cleaned[5, 90] and not cleaned[70, 90]  # speck and small region gone
    assert abs(cleaned.sum() - _disc(shape, (40, 40), 20).sum()) < 0.05 * cleaned.sum()
    # the weight decides between two regions of one size
    two = _disc(shape, (40, 25), 12) | _disc(shape, (40, 75), 12)
    weight = np.zeros(shape)
    weight[:, 50:] = 1
    assert clean_region(two, weight)[40, 75] and not clean_region(two, weight)[40, 25]
    assert not clean_region(np.zeros(shape, bool), np.ones(shape)).any()


def test_colour_distinctness_finds_an_object_on_a_smooth_gradient():
    h, w = 120, 180
    yy, xx = np.mgrid[0:h, 0:w]
    sky = np.stack([20 + 0 * xx, 40 + yy * 0.8, 90 + yy], axis=-1).astype(np.float32)  # dusk: a smooth gradient
    sky[30:100, 85:95] = (235, 235, 225)  # a thin white tower
    d = colour_distinctness(sky)
    assert d.shape == (h, w) and d.dtype == np.float32 and 0 <= d.min() and d.max() <= 1
    assert d[60:70, 87:93].mean() > 4 * d[60:70, 20:40].mean()
    with pytest.raises(InvalidParameterError, match="surround"):
        colour_distinctness(sky, surround=0)


def test_saliency_mask_takes_the_object_under_the_map_and_nothing_else():
    h, w = 120, 180
    yy, xx = np.mgrid[0:h, 0:w]
    picture = np.full((h, w, 3), (60, 90, 140), np.float32)
    subject = _disc((h, w), (60, 90), 25)
    picture[subject] = (220, 120, 40)
    other = (yy < 25) & (xx > 150)
    picture[other] = (40, 200, 60)  # as distinct, but where the map says nothing
    coarse = np.exp(-(((yy - 60) / 30.0) ** 2 + ((xx - 90) / 40.0) ** 2))
    mask = saliency_mask(coarse, picture)
    assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 255}
    inside = mask > 0
    assert inside[subject].mean() > 0.99 and not inside[other].any()
    assert inside.sum() < (coarse > 0.36).sum()  # tighter than the map alone at the same threshold
    with pytest.raises(InvalidImageError, match="saliency map of the picture's size"):
        saliency_mask(coarse[:10], picture)
    with pytest.raises(InvalidParameterError, match="threshold"):
        saliency_mask(coarse, picture, threshold=1.0)
    assert not saliency_mask(np.zeros((h, w)), picture).any()


@pytest.mark.parametrize("shape", [(1, 300, 3), (300, 1, 3), (3, 3, 3)])
def test_colour_distinctness_of_a_strip_has_its_shape(shape):
    image = np.zeros(shape, np.float32)
    image[..., 0] = np.linspace(0, 255, shape[0] * shape[1]).reshape(shape[:2])
    d = colour_distinctness(image)
    assert d.shape == shape[:2] and np.isfinite(d).all()
