"""Tests of prisma_abu.ops.masks against direct scikit-image / scipy / Pillow calls."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage.feature import corner_harris, corner_peaks, corner_subpix
from skimage.filters import threshold_otsu
from skimage.segmentation import clear_border

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.color import to_grey
from prisma_abu.ops.features import dilation_count, feature_region, find_corners, mask_features
from prisma_abu.ops.masks import MASK_COMBINATIONS, MASK_NAMES, make_mask, mask_otsu, mask_stdmean, parse_mask_spec
from prisma_abu.ops.spots import apply_spots


@pytest.fixture(scope="module")
def cat_grey(cat: np.ndarray) -> np.ndarray:
    return to_grey(cat)


def _literal_region(shape: tuple[int, int], coords: np.ndarray, f_loop: int) -> np.ndarray:
    """The original: ones at the corners, then f_loop 3x3-cross dilations."""
    region = np.zeros(shape, dtype=bool)
    region[coords[:, 0], coords[:, 1]] = True
    for _ in range(f_loop):
        region = ndimage.binary_dilation(region)
    return region


# --- Otsu -----------------------------------------------------------------


@pytest.mark.parametrize("dd", [True, False])
@pytest.mark.parametrize("cb", [False, True])
def test_mask_otsu_is_skimage_threshold(cat_grey: np.ndarray, dd: bool, cb: bool) -> None:
    t = threshold_otsu(cat_grey)
    expected = cat_grey > t if dd else cat_grey < t
    expected = clear_border(expected) if cb else expected
    out = mask_otsu(cat_grey, dd=dd, cb=cb)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected.astype(np.uint8) * 255)
    assert 0 < out.mean() < 255


def test_mask_otsu_cb_removes_border_regions() -> None:
    grey = np.zeros((9, 9), dtype=np.float32)
    grey[0:3, 0:3] = 1.0  # touches the border
    grey[5:7, 5:7] = 1.0  # does not
    assert mask_otsu(grey)[1, 1] == 255
    out = mask_otsu(grey, cb=True)
    assert out[1, 1] == 0 and out[5, 5] == 255


@pytest.mark.parametrize("dd", [True, False])
def test_mask_otsu_of_a_constant_picture_is_empty(dd: bool) -> None:
    out = mask_otsu(np.full((5, 6), 0.4, dtype=np.float32), dd=dd)
    np.testing.assert_array_equal(out, np.zeros((5, 6), dtype=np.uint8))


def test_mask_otsu_rejects_bad_grey() -> None:
    with pytest.raises(InvalidImageError, match=r"expected grey with values in \[0, 1\]"):
        mask_otsu(np.array([[0.0, 2.0]]))


# --- mean +/- std ----------------------------------------------------------


@pytest.mark.parametrize("k", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("cb", [False, True])
def test_mask_stdmean_is_the_literal_formula(cat_grey: np.ndarray, k: float, cb: bool) -> None:
    mean, std = cat_grey.mean(), cat_grey.std()
    m1, m2 = cat_grey > mean + k * std, cat_grey < mean - k * std
    if cb:
        m1, m2 = clear_border(m1), clear_border(m2)
    expected = np.clip(m1.astype(int) * 255 + m2.astype(int) * 255, 0, 255)
    np.testing.assert_array_equal(mask_stdmean(cat_grey, std_factor=k, cb=cb), expected)


def test_mask_stdmean_negative_factor_overlap_is_clipped() -> None:
    grey = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    # k = -1: both halves hold everywhere; the sum 510 is clipped to 255.
    np.testing.assert_array_equal(mask_stdmean(grey, std_factor=-1.0), [[255, 255, 255]])


def test_mask_stdmean_rejects_nan_factor(cat_grey: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match="expected std_factor to be a finite number"):
        mask_stdmean(cat_grey, std_factor=float("nan"))


# --- corners and their regions --------------------------------------------


def test_find_corners_is_harris_peaks_and_subpix(cat_grey: np.ndarray) -> None:
    coords, subpix = find_corners(cat_grey)
    expected = corner_peaks(corner_harris(cat_grey), min_distance=5)
    np.testing.assert_array_equal(coords, expected)
    np.testing.assert_array_equal(subpix, corner_subpix(cat_grey, expected, window_size=25))
    assert coords.shape[1] == 2 and len(coords) > 0


def test_find_corners_of_a_flat_picture_is_empty() -> None:
    coords, subpix = find_corners(np.zeros((20, 20), dtype=np.float32))
    assert coords.shape == (0, 2) and subpix.shape == (0, 2)


@pytest.mark.parametrize("f_loop", [0, 1, 2, 3, 7, 40])
def test_feature_region_equals_iterated_cross_dilation(
    rng: np.random.Generator, f_loop: int
) -> None:
    shape = (23, 31)
    coords = np.column_stack([rng.integers(0, 23, 4), rng.integers(0, 31, 4)])
    coords[0] = (0, 30)  # a corner on the border
    # width 10 * f_loop gives exactly f_loop dilations with loop_factor 1
    out = feature_region(shape, coords, width=max(10 * f_loop, 1))
    np.testing.assert_array_equal(out, _literal_region(shape, coords, f_loop))


@pytest.mark.parametrize("loop_factor", [0.0, 0.35, 1.0, 2.5])
def test_feature_region_uses_the_picture_width(
    cat_grey: np.ndarray, loop_factor: float
) -> None:
    coords, _ = find_corners(cat_grey)
    f_loop = int(64 // 10 * loop_factor)
    expected = _literal_region(cat_grey.shape, coords, f_loop)
    out = feature_region(cat_grey, coords, loop_factor=loop_factor)
    np.testing.assert_array_equal(out, expected)


def test_feature_region_without_corners_is_empty() -> None:
    out = feature_region((6, 8), np.zeros((0, 2), dtype=int), loop_factor=3.0)
    np.testing.assert_array_equal(out, _literal_region((6, 8), np.zeros((0, 2), int), 2))
    assert not out.any()


def test_dilation_count_floors_like_python2() -> None:
    assert dilation_count(480, 1.0) == 48
    assert dilation_count(485, 2.0) == 96  # Python 3's 485 / 10 * 2 would give 97
    assert dilation_count(9, 5.0) == 0


def test_feature_region_rejects_a_bad_shape() -> None:
    with pytest.raises(InvalidImageError, match=r"expected a shape \(M, N\) with M, N >= 1"):
        feature_region((4, 0), np.zeros((0, 2), dtype=int))


def test_feature_region_rejects_coords_outside() -> None:
    message = r"expected coords inside an image of shape \(4, 5\)"
    with pytest.raises(InvalidParameterError, match=message):
        feature_region((4, 5), np.array([[4, 0]]))


def test_feature_region_rejects_float_coords() -> None:
    with pytest.raises(InvalidParameterError, match=r"expected coords as a \(K, 2\) integer array"):
        feature_region((4, 5), np.array([[1.5, 0.0]]))


def test_feature_region_rejects_negative_loop_factor() -> None:
    message = "expected loop_factor to be a finite number >= 0"
    with pytest.raises(InvalidParameterError, match=message):
        feature_region((4, 5), np.array([[1, 1]]), loop_factor=-1)


def test_feature_region_rejects_bad_width() -> None:
    with pytest.raises(InvalidParameterError, match="expected width to be an integer >= 1, got 0"):
        feature_region((4, 5), np.array([[1, 1]]), width=0)


# --- features mask ---------------------------------------------------------


@pytest.mark.parametrize("loop_factor", [0.5, 1.0])
def test_mask_features_is_the_literal_formulation(
    cat: np.ndarray, cat_grey: np.ndarray, loop_factor: float
) -> None:
    before = cat.copy()
    coords = corner_peaks(corner_harris(cat_grey), min_distance=5)
    region = _literal_region(cat_grey.shape, coords, int(64 // 10 * loop_factor))
    product = np.zeros(cat.shape, dtype=np.float32)
    for d in range(3):
        product[:, :, d] = region * cat[:, :, d]
    expected = np.array(Image.fromarray(np.uint8(product)).convert("L"))
    out = mask_features(cat, cat_grey, loop_factor=loop_factor)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(cat, before)
    assert 0 < np.count_nonzero(out) < out.size


def test_mask_features_rejects_mismatched_shapes(cat: np.ndarray) -> None:
    with pytest.raises(InvalidImageError, match=r"expected grey of shape \(64, 64\)"):
        mask_features(cat, np.zeros((8, 8), dtype=np.float32))


# --- specs and combinations ------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "names"),
    [
        ("otsu", ("otsu",)),
        ("otsu_func", ("otsu",)),
        ("features_func", ("features",)),
        ("otsu_func + stdmean_func", ("otsu", "stdmean")),
        ("otsu+features", ("otsu", "features")),
        ("otsu + stdmean + features", ("otsu", "stdmean", "features")),
        (" Stdmean_func+otsu ", ("stdmean", "otsu")),
        (["stdmean_func", "features"], ("stdmean", "features")),
        (("otsu", "otsu"), ("otsu", "otsu")),
    ],
)
def test_parse_mask_spec(spec: object, names: tuple[str, ...]) -> None:
    assert parse_mask_spec(spec) == names


def test_mask_combinations_are_the_seven_canonical_sums() -> None:
    assert len(set(MASK_COMBINATIONS)) == 7
    assert set(MASK_NAMES) == {"otsu", "stdmean", "features"}
    for combination in MASK_COMBINATIONS:
        assert parse_mask_spec(combination) == combination
        assert parse_mask_spec(" + ".join(n + "_func" for n in combination)) == combination


@pytest.mark.parametrize("spec", ["", "   ", []])
def test_parse_mask_spec_rejects_empty(spec: object) -> None:
    with pytest.raises(InvalidParameterError, match="expected at least one mask name"):
        parse_mask_spec(spec)


@pytest.mark.parametrize("spec", ["otsu + ", "sobel", "otsu+canny_func"])
def test_parse_mask_spec_rejects_unknown_names_listing_the_valid(spec: str) -> None:
    message = "expected mask names among 'otsu', 'stdmean', 'features'"
    with pytest.raises(InvalidParameterError, match=message):
        parse_mask_spec(spec)


def test_parse_mask_spec_rejects_non_string_items() -> None:
    with pytest.raises(InvalidParameterError, match="expected a mask name .*got 3"):
        parse_mask_spec(["otsu", 3])


def test_parse_mask_spec_rejects_other_types() -> None:
    message = "expected a mask spec as a string or a list of names, got int"
    with pytest.raises(InvalidParameterError, match=message):
        parse_mask_spec(5)


@pytest.mark.parametrize("combination", MASK_COMBINATIONS)
def test_make_mask_is_the_clipped_sum(
    cat: np.ndarray, cat_grey: np.ndarray, combination: tuple[str, ...]
) -> None:
    parts = {
        "otsu": mask_otsu(cat_grey, dd=False, cb=True),
        "stdmean": mask_stdmean(cat_grey, std_factor=0.5, cb=True),
        "features": mask_features(cat, cat_grey, loop_factor=0.5),  # ignores cb
    }
    expected = np.clip(sum(parts[n].astype(int) for n in combination), 0, 255)
    out = make_mask(cat, cat_grey, combination, dd=False, cb=True, std_factor=0.5, loop_factor=0.5)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)


def test_make_mask_rejects_mismatched_shapes(cat: np.ndarray) -> None:
    message = r"expected grey of shape \(64, 64\) \(the image's\), got \(3, 3\)"
    with pytest.raises(InvalidImageError, match=message):
        make_mask(cat, np.zeros((3, 3), dtype=np.float32), "otsu")


# --- spots -------------------------------------------------------------------


def test_apply_spots_sets_clean_squares() -> None:
    mask = np.full((10, 12), 7, dtype=np.uint8)
    before = mask.copy()
    out = apply_spots(mask, keep=[(5, 6, 2), (0, 0, 1), (9, 11, 3)], drop=[(5, 5, 1)])
    expected = before.copy()
    expected[3:7, 4:8] = 255
    expected[0:1, 0:1] = 255  # [-1, 1) clipped
    expected[6:10, 8:12] = 255  # [6, 12) x [8, 14) clipped
    expected[4:6, 4:6] = 0
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(mask, before)
    assert out is not mask


def test_apply_spots_size_zero_and_outside_do_nothing() -> None:
    mask = np.zeros((4, 4), dtype=np.uint8)
    out = apply_spots(mask, keep=[(2, 2, 0), (-10, 1, 3), (1, 50, 2)])
    np.testing.assert_array_equal(out, mask)


def test_apply_spots_reads_bool_masks_as_0_255() -> None:
    mask = np.array([[True, False]])
    np.testing.assert_array_equal(apply_spots(mask), [[255, 0]])


@pytest.mark.parametrize("spot", [(1, 2), (1, 2, 3, 4), (1.5, 2, 3), "abc", (1, True, 2)])
def test_apply_spots_rejects_malformed_spots(spot: object) -> None:
    message = r"expected a spot as 3 integers \(y, x, size\)"
    with pytest.raises(InvalidParameterError, match=message):
        apply_spots(np.zeros((4, 4), dtype=np.uint8), keep=[spot])


def test_apply_spots_rejects_negative_size() -> None:
    with pytest.raises(InvalidParameterError, match="expected a spot size >= 0, got -1"):
        apply_spots(np.zeros((4, 4), dtype=np.uint8), drop=[(1, 1, -1)])
