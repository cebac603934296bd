"""Tests of prisma_abu.ops.blend: exact equality with the literal convolve2d blend."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import convolve2d
from skimage import data

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.blend import blend_convolved, box_sum, convolved_keep, keep_rates
from prisma_abu.ops.blend_reference import blend_convolved_reference
from prisma_abu.ops.color import to_grey
from prisma_abu.ops.masks import mask_otsu
from prisma_abu.ops.resize import resize_image

WINDOWS = [1, 4, 5, 25, 28, 120]


def _random_case(rng: np.random.Generator, shape: tuple[int, int], density: float):
    mask = np.where(rng.random(shape) < density, 255, 0).astype(np.uint8)
    source = rng.integers(0, 256, size=(*shape, 3)).astype(np.float32) + 0.75
    source = np.minimum(source, 255)
    guide = rng.integers(0, 256, size=(*shape, 3)).astype(np.float32)
    return source, guide, mask


# --- box sums ------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 4, 5, 25, 28, 120])
@pytest.mark.parametrize("shape", [(7, 9), (31, 130)])
def test_box_sum_is_convolve2d_same_with_ones(
    rng: np.random.Generator, n: int, shape: tuple[int, int]
) -> None:
    mask = rng.integers(0, 256, size=shape).astype(np.uint8)
    ones = np.ones((n, n), dtype=np.int64)
    expected = convolve2d(mask.astype(np.int64), ones, mode="same", boundary="fill")
    out = box_sum(mask, n)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, expected)


def test_box_sum_even_window_reaches_back() -> None:
    mask = np.zeros((1, 7), dtype=np.uint8)
    mask[0, 3] = 1
    # convolve2d's "same" with n=2 sums inputs i-1 and i at output i
    np.testing.assert_array_equal(box_sum(mask, 2), [[0, 0, 0, 1, 1, 0, 0]])


def test_box_sum_rejects_a_zero_window() -> None:
    with pytest.raises(InvalidParameterError, match="expected a window of at least 1, got n=0"):
        box_sum(np.zeros((3, 3), dtype=np.uint8), 0)


def test_box_sum_rejects_a_float_mask() -> None:
    with pytest.raises(InvalidImageError, match="expected mask with an integer or bool dtype"):
        box_sum(np.zeros((3, 3)), 3)


# --- equality with the reference -----------------------------------------------


@pytest.mark.parametrize("n", WINDOWS)
@pytest.mark.parametrize("density", [0.05, 0.5])
def test_blend_equals_reference_on_random_masks(
    rng: np.random.Generator, n: int, density: float
) -> None:
    shape = (24, 121) if n == 120 else (37, 45)
    source, guide, mask = _random_case(rng, shape, density)
    cases = [
        ((n, n, n), (5.0, 1.0)),
        ((n, n, n), (0.9, 0.3)),
        ((min(n, 5), min(n, 25), n), (1.5, 1.0)),
    ]
    kept_fractions = []
    for (n1, n2, n3), (median_factor, big_factor) in cases:
        options = dict(n1=n1, n2=n2, n3=n3)
        options.update(convd_median_factor=median_factor, convd_big_factor=big_factor)
        ours = blend_convolved(source, guide, mask, **options)
        reference = blend_convolved_reference(source, guide, mask, **options)
        assert ours.dtype == np.uint8
        np.testing.assert_array_equal(ours, reference)
        kept_fractions.append(convolved_keep(mask, **options).mean())
    assert any(0 < f < 1 for f in kept_fractions)  # both branches of where() are compared


def test_random_cases_exercise_both_sides(rng: np.random.Generator) -> None:
    source, guide, mask = _random_case(rng, (37, 45), 0.5)
    keep = convolved_keep(mask, n1=4, n2=4, n3=4, convd_median_factor=0.9, convd_big_factor=0.3)
    assert 0 < keep.mean() < 1


@pytest.fixture(scope="module")
def cat_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    source = resize_image(data.chelsea(), base_width=128)
    guide = resize_image(data.astronaut(), base_width=128)
    return source, guide, mask_otsu(to_grey(source))


@pytest.mark.parametrize(
    ("n1", "n2", "n3", "median_factor"),
    [(5, 25, 120, 5.0), (5, 25, 120, 1.2), (4, 28, 28, 1.0), (1, 5, 25, 1.1)],
)
def test_blend_equals_reference_on_a_real_picture(
    cat_case: tuple[np.ndarray, np.ndarray, np.ndarray],
    n1: int,
    n2: int,
    n3: int,
    median_factor: float,
) -> None:
    source, guide, mask = cat_case
    options = dict(n1=n1, n2=n2, n3=n3, convd_median_factor=median_factor)
    ours = blend_convolved(source, guide, mask, **options)
    np.testing.assert_array_equal(ours, blend_convolved_reference(source, guide, mask, **options))
    kept = convolved_keep(mask, **options)
    assert 0 < kept.mean() < 1
    np.testing.assert_array_equal(ours[kept], source[kept].astype(np.uint8))
    np.testing.assert_array_equal(ours[~kept], guide[~kept].astype(np.uint8))


def test_blend_equals_reference_with_rb_rate_and_same_seed(
    cat_case: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    source, guide, mask = cat_case
    options = dict(n1=5, n2=25, n3=120, rb_rate=0.88, convd_median_factor=1.2)
    ours = blend_convolved(source, guide, mask, rng=np.random.default_rng(3), **options)
    reference = blend_convolved_reference(
        source, guide, mask, rng=np.random.default_rng(3), **options
    )
    np.testing.assert_array_equal(ours, reference)


def test_empty_area_far_from_a_blob_is_exactly_zero() -> None:
    # A float running-sum or FFT box filter leaves ~1e-14 residues where the
    # window is empty, so "small > 0" would keep pixels the original did not.
    mask = np.zeros((40, 60), dtype=np.uint8)
    mask[5:8, 5:8] = 255
    small = box_sum(mask, 5)
    empty = convolve2d(mask, np.ones((5, 5)), mode="same") == 0
    assert empty.sum() > 2000 and (small[empty] == 0).all()
    source = np.full((40, 60, 3), 200.0, dtype=np.float32)
    options = dict(n1=5, n2=5, n3=5, convd_median_factor=1e9, convd_big_factor=0.0)
    out = blend_convolved(source, None, mask, **options)
    np.testing.assert_array_equal(out[..., 0] == 200, ~empty)
    np.testing.assert_array_equal(out, blend_convolved_reference(source, None, mask, **options))


# --- randomness ------------------------------------------------------------------


def test_keep_rates_drop_by_a_tenth_and_stop_at_zero() -> None:
    assert keep_rates(1.0) == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(keep_rates(0.88), (0.88, 0.78, 0.68))
    assert keep_rates(0.15)[2] == 0.0


@pytest.mark.parametrize("rb_rate", [0.0, 1.5, -0.2])
def test_keep_rates_reject_rates_outside_0_1(rb_rate: float) -> None:
    with pytest.raises(InvalidParameterError, match=r"expected rb_rate in \(0, 1\]"):
        keep_rates(rb_rate)


def test_keep_rate_per_channel_is_statistically_right(rng: np.random.Generator) -> None:
    shape = (200, 200)
    source = np.full((*shape, 3), 255.0, dtype=np.float32)
    mask = np.full(shape, 255, dtype=np.uint8)
    options = dict(n1=3, n2=3, n3=3, convd_median_factor=0.0, convd_big_factor=0.0)
    assert convolved_keep(mask, **options).all()
    out = blend_convolved(source, None, mask, rb_rate=0.88, rng=rng, **options)
    rates = (out == 255).mean(axis=(0, 1))
    np.testing.assert_allclose(rates, [0.88, 0.78, 0.68], atol=0.01)  # sd ~0.0023


def test_same_seed_gives_same_bytes(cat_case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    source, guide, mask = cat_case
    options = dict(n3=60, rb_rate=0.7, convd_median_factor=1.0)
    first = blend_convolved(source, guide, mask, rng=np.random.default_rng(11), **options)
    second = blend_convolved(source, guide, mask, rng=np.random.default_rng(11), **options)
    other = blend_convolved(source, guide, mask, rng=np.random.default_rng(12), **options)
    assert first.tobytes() == second.tobytes()
    assert first.tobytes() != other.tobytes()


def test_rate_one_leaves_the_generator_untouched(
    cat_case: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    source, guide, mask = cat_case
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    blend_convolved(source, guide, mask, rb_rate=1.0, rng=rng)
    assert rng.bit_generator.state == state
    blend_convolved(source, guide, mask, rb_rate=0.9, rng=rng)
    assert rng.bit_generator.state != state


# --- guide, truncation, inputs -------------------------------------------------


def test_no_guide_is_black(cat_case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    source, _, mask = cat_case
    options = dict(n3=100, convd_median_factor=1.2)
    out = blend_convolved(source, None, mask, **options)
    kept = convolved_keep(mask, **options)
    assert 0 < kept.mean() < 1
    assert (out[~kept] == 0).all()
    black = blend_convolved(source, np.zeros_like(source), mask, **options)
    np.testing.assert_array_equal(out, black)


def test_values_are_truncated_and_inputs_untouched(rng: np.random.Generator) -> None:
    source, guide, mask = _random_case(rng, (20, 30), 0.5)
    copies = [a.copy() for a in (source, guide, mask)]
    out = blend_convolved(source, guide, mask, n1=3, n2=3, n3=3, convd_median_factor=1.0)
    kept = convolved_keep(mask, n1=3, n2=3, n3=3, convd_median_factor=1.0)
    np.testing.assert_array_equal(out[kept], np.floor(source[kept]))
    for array, copy in zip((source, guide, mask), copies):
        np.testing.assert_array_equal(array, copy)


# --- validation ----------------------------------------------------------------


@pytest.fixture
def case(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _random_case(rng, (10, 12), 0.5)


def test_rejects_a_guide_of_another_shape(case) -> None:
    source, guide, mask = case
    with pytest.raises(InvalidImageError, match=r"expected guide of shape \(10, 12, 3\)"):
        blend_convolved(source, guide[:5], mask)


def test_rejects_a_mask_of_another_shape(case) -> None:
    source, guide, mask = case
    with pytest.raises(InvalidImageError, match=r"expected mask of shape \(10, 12\)"):
        blend_convolved(source, guide, mask.T)


def test_rejects_negative_mask_values(case) -> None:
    source, guide, mask = case
    with pytest.raises(InvalidImageError, match="expected mask values >= 0, got a minimum of -1"):
        blend_convolved(source, guide, mask.astype(np.int16) - 1, n1=1, n2=1, n3=1)


def test_convolved_keep_rejects_negative_mask_values() -> None:
    with pytest.raises(InvalidImageError, match="expected mask values >= 0"):
        convolved_keep(np.full((3, 3), -2), n1=1, n2=1, n3=1)


def test_rejects_source_out_of_range(case) -> None:
    source, guide, mask = case
    bad = source.copy()
    bad[0, 0, 0], bad[1, 1, 1] = -2.0, 300.0
    message = r"expected source values in 0..255, got values in \[-2, 300\]"
    with pytest.raises(InvalidImageError, match=message):
        blend_convolved(bad, guide, mask, n1=1, n2=1, n3=1)


def test_rejects_a_window_larger_than_the_picture(case) -> None:
    source, guide, mask = case
    message = "expected a window between 1 and 12, got n3=13"
    with pytest.raises(InvalidParameterError, match=message):
        blend_convolved(source, guide, mask, n1=3, n2=5, n3=13)


@pytest.mark.parametrize("n1", [0, 2.0, True])
def test_rejects_bad_small_windows(case, n1: object) -> None:
    source, guide, mask = case
    with pytest.raises(InvalidParameterError, match="expected a window between 1 and 12, got n1="):
        blend_convolved(source, guide, mask, n1=n1, n2=5, n3=5)


@pytest.mark.parametrize("rb_rate", [0.0, 1.01])
def test_rejects_bad_rb_rate(case, rb_rate: float) -> None:
    source, guide, mask = case
    with pytest.raises(InvalidParameterError, match=r"expected rb_rate in \(0, 1\]"):
        blend_convolved(source, guide, mask, n1=3, n2=5, n3=5, rb_rate=rb_rate)


@pytest.mark.parametrize(
    ("name", "value"), [("convd_median_factor", -1.0), ("convd_big_factor", float("inf"))]
)
def test_rejects_bad_factors(case, name: str, value: float) -> None:
    source, guide, mask = case
    with pytest.raises(InvalidParameterError, match=f"expected {name} to be a finite number >= 0"):
        blend_convolved(source, guide, mask, n1=3, n2=5, n3=5, **{name: value})


def test_rejects_a_legacy_random_state(case) -> None:
    source, guide, mask = case
    message = "expected rng to be a numpy.random.Generator, got RandomState"
    with pytest.raises(InvalidParameterError, match=message):
        blend_convolved(source, guide, mask, n1=3, n2=5, n3=5, rng=np.random.RandomState(0))
