"""Tests of prisma_abu.ops.draw: blue corner dots, red sub-pixel crosses."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.draw import draw_features

BLUE, RED = (0, 0, 255), (255, 0, 0)


@pytest.fixture
def grey_picture() -> np.ndarray:
    return np.full((30, 40, 3), 100.0, dtype=np.float32)


def test_corners_are_blue_and_crosses_red(grey_picture: np.ndarray) -> None:
    before = grey_picture.copy()
    coords = np.array([[10, 10], [20, 30]])
    subpix = np.array([[11.2, 10.6], [np.nan, np.nan]])
    out = draw_features(grey_picture, coords, subpix, dot_radius=1, plus_arm=4)
    assert out.dtype == np.uint8 and out.shape == grey_picture.shape
    for row, col in coords:
        assert (out[row - 1 : row + 2, col - 1 : col + 2] == BLUE).all()
    # the cross is centred on the rounded sub-pixel position (11, 11)
    for row, col in [(7, 11), (15, 11), (11, 15), (11, 7), (14, 11), (11, 14)]:
        assert tuple(out[row, col]) == RED
    assert tuple(out[16, 11]) == (100, 100, 100) and tuple(out[11, 16]) == (100, 100, 100)
    # the NaN row draws nothing: around the second corner only the blue dot
    assert not (out[15:26, 25:36] == RED).all(axis=-1).any()
    np.testing.assert_array_equal(grey_picture, before)


def test_only_marks_change_the_picture(grey_picture: np.ndarray) -> None:
    coords = np.array([[5, 5]])
    out = draw_features(grey_picture, coords, coords.astype(float), dot_radius=0, plus_arm=2)
    changed = (out != 100).any(axis=-1)
    expected = np.zeros((30, 40), dtype=bool)
    expected[3:8, 5] = expected[5, 3:8] = True
    np.testing.assert_array_equal(changed, expected)
    assert tuple(out[5, 5]) == BLUE


def test_marks_are_clipped_at_the_border(grey_picture: np.ndarray) -> None:
    out = draw_features(grey_picture, np.array([[0, 39]]), np.array([[0.2, 38.9]]))
    assert tuple(out[0, 39]) == BLUE and tuple(out[7, 39]) == RED and tuple(out[0, 32]) == RED


def test_no_features_is_the_picture_as_uint8(grey_picture: np.ndarray) -> None:
    out = draw_features(grey_picture + 0.7, np.zeros((0, 2), int), np.zeros((0, 2)))
    np.testing.assert_array_equal(out, np.full((30, 40, 3), 100, dtype=np.uint8))


def test_rejects_a_non_rgb_picture() -> None:
    with pytest.raises(InvalidImageError, match=r"image: expected an \(M, N, 3\) RGB array, got shape \(4, 4\)"):
        draw_features(np.zeros((4, 4)), np.zeros((0, 2), int), np.zeros((0, 2)))


def test_rejects_badly_shaped_coords(grey_picture: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match=r"expected coords as a \(K, 2\) numeric array"):
        draw_features(grey_picture, np.array([1, 2, 3]), np.zeros((0, 2)))


def test_rejects_nan_corners(grey_picture: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match="expected finite values in coords"):
        draw_features(grey_picture, np.array([[np.nan, 1.0]]), np.zeros((0, 2)))


def test_rejects_infinite_subpix(grey_picture: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match="expected finite values in coords_subpix"):
        draw_features(grey_picture, np.zeros((0, 2), int), np.array([[np.inf, 1.0]]))


@pytest.mark.parametrize(("name", "value"), [("dot_radius", -1), ("plus_arm", 2.5)])
def test_rejects_bad_sizes(grey_picture: np.ndarray, name: str, value: object) -> None:
    with pytest.raises(InvalidParameterError, match=f"expected {name} to be an integer >= 0"):
        draw_features(grey_picture, np.zeros((0, 2), int), np.zeros((0, 2)), **{name: value})
