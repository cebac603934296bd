import numpy as np
import pytest
from skimage import data

from prisma_abu.ops.measure import colour_moved, edge_correlation, structure_everywhere


@pytest.fixture(scope="module")
def photo():
    return data.astronaut()[:400:3, ::3].astype(np.float32)


@pytest.fixture(scope="module")
def guide():
    return data.coffee()[::3, 44:556:3].astype(np.float32)


def test_structure_is_one_for_the_photo_itself_and_low_for_another_picture(photo, guide):
    assert structure_everywhere(photo, photo) == pytest.approx(1.0)
    assert structure_everywhere(photo, guide) < 0.2


def test_structure_survives_a_recolouring_but_not_a_flip(photo):
    recoloured = np.clip(photo[..., ::-1] * 0.8 + 20, 0, 255)
    assert structure_everywhere(photo, recoloured) > 0.8
    assert structure_everywhere(photo, photo[::-1].copy()) < 0.3


def test_edge_correlation_in_a_box(photo, guide):
    box = (20, 55, 30, 30)
    assert edge_correlation(photo, photo, box) == pytest.approx(1.0)
    out = photo.copy()
    out[20:50, 55:85] = guide[20:50, 55:85]
    assert edge_correlation(photo, out, box) < 0.3
    assert edge_correlation(photo, out) > 0.5


def test_colour_moved_is_zero_for_the_photo_and_near_one_for_the_guide(photo, guide):
    assert colour_moved(photo, photo, guide) == pytest.approx(0.0, abs=0.1)
    assert colour_moved(photo, guide, guide) > 0.85
    half = (photo + guide) / 2
    assert 0.2 < colour_moved(photo, half, guide) < 0.8


def test_cells_without_structure_can_be_left_out():
    photo = data.camera().astype(np.float32)[..., None].repeat(3, -1)
    photo[:200] = 180.0  # a perfectly clear sky over the top 40 %
    noisy = photo.copy()
    noisy[:200] += np.random.default_rng(0).normal(0, 20, (200, 512, 1))  # painted: texture in the sky
    assert structure_everywhere(photo, noisy) < 0.05  # a sky cell has nothing to correlate with
    assert structure_everywhere(photo, noisy, min_edges=0.25) > 0.9  # the cells with structure are intact
    assert structure_everywhere(photo, photo[::-1].copy(), min_edges=0.25) < 0.3
