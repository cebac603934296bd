"""prisma_abu.pipeline.style: Gatys style transfer as a pipeline (real embedded VGG16, small pictures)."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu import pipeline
from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.ops.resize import resize_image
from prisma_abu.params import StyleParams
from prisma_abu.pipeline.style import (
    StyleMonitor,
    engine_optimizer,
    evaluate_losses,
    feathered,
    iteration_schedule,
    keep_original_colors,
    rgb_to_ycbcr,
    scale_precisions,
    scale_tolerances,
    style_mask,
    ycbcr_to_rgb,
)

from style_support import QUICK


def test_iteration_schedule_splits_num_iterations_and_honours_explicit_counts():
    assert sum(iteration_schedule(StyleParams(num_iterations=999), 3)) == 999
    assert iteration_schedule(StyleParams(), 3) == (300, 150, 550)
    assert iteration_schedule(StyleParams(num_iterations=10, scales=1), 1) == (10,)
    explicit = StyleParams(scale_iterations=(50, 20, 10))
    assert iteration_schedule(explicit) == (50, 20, 10)
    assert iteration_schedule(explicit, 2) == (20, 10)  # a small picture drops its coarsest scale


def test_the_schedule_adapts_unless_the_counts_are_explicit():
    p = StyleParams(scale_tol=2e-3, stop_tol=1e-4)
    assert scale_tolerances(p, 3) == (2e-3, 2e-3, 1e-4) and scale_tolerances(p, 1) == (1e-4,)
    assert scale_tolerances(p.replace(scale_iterations=(50, 20, 10)), 3) == (0.0, 0.0, 0.0)
    assert scale_tolerances(p.replace(scale_tol=0.0, stop_tol=0.0), 2) == (0.0, 0.0)


def test_line_search_by_default_neural_styles_lbfgs_as_an_option_and_for_old_pictures():
    from prisma_abu.params import params_from_metadata

    assert engine_optimizer(StyleParams()) == "lbfgs"
    assert engine_optimizer(StyleParams(line_search=False)) == "lbfgs-neural-style"
    assert engine_optimizer(StyleParams(normalize_gradients=True)) == "lbfgs-neural-style"
    assert engine_optimizer(StyleParams(optimizer="adam", line_search=False)) == "adam"
    # a picture written before the line search and the adaptive schedule replays as it was made
    old = {k: v for k, v in StyleParams().to_dict().items() if k not in ("line_search", "scale_tol", "stop_tol")}
    replayed = params_from_metadata({"kind": "style", **old})
    assert (replayed.line_search, replayed.scale_tol, replayed.stop_tol) == (False, 0.0, 0.0)


def test_precision_per_scale_is_the_measured_verdict(monkeypatch):
    from prisma_abu.neural.calibrate import FORCE_ENV

    for verdict in ("bf16", "fp32"):  # what the calibration found on this machine
        monkeypatch.setenv(FORCE_ENV, verdict)
        assert scale_precisions(StyleParams(precision="auto"), 3) == (verdict,) * 3
    assert scale_precisions(StyleParams(precision="fp32"), 2) == ("fp32", "fp32")
    assert scale_precisions(StyleParams(precision="bf16"), 1) == ("bf16",)


def test_ycbcr_round_trip_and_grey_has_neutral_chroma(rng):
    image = rng.uniform(0, 255, (5, 6, 3))
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(image)), image, atol=1e-9)
    grey = np.full((2, 2, 3), 77.0)
    expected = np.broadcast_to([77.0, 128.0, 128.0], (2, 2, 3))
    np.testing.assert_allclose(rgb_to_ycbcr(grey), expected, atol=1e-9)


def test_keep_original_colors_takes_luma_from_one_and_chroma_from_the_other(rng):
    stylized = rng.uniform(60, 200, (4, 4, 3))
    content = rng.uniform(60, 200, (4, 4, 3))
    out = rgb_to_ycbcr(keep_original_colors(stylized, content))
    np.testing.assert_allclose(out[..., 0], rgb_to_ycbcr(stylized)[..., 0], atol=0.05)
    np.testing.assert_allclose(out[..., 1:], rgb_to_ycbcr(content)[..., 1:], atol=0.05)


def test_style_mask_from_a_named_mask_and_from_a_picture(photos):
    content = photos[0][:64, :96]
    named = style_mask(content, StyleParams(mask="otsu"))
    assert named.shape == (64, 96) and set(np.unique(named)) == {0.0, 1.0}
    picture = np.zeros((32, 48, 3))
    picture[:, 24:] = 255
    half = style_mask(content, StyleParams(mask="m.png"), picture)
    assert half.shape == (64, 96) and half[:, :47].max() == 0 and half[:, 49:].min() == 1
    assert style_mask(content, StyleParams()) is None


def test_feathering_fades_the_style_inside_the_edge_only():
    mask = np.zeros((20, 40), np.float32)
    mask[:, 20:] = 1
    soft = feathered(mask, 2.0)
    assert soft[:, :20].max() == 0 and soft[:, 32:].min() > 0.99
    assert 0.4 < soft[10, 20] < 0.6 and np.all(np.diff(soft[10, 20:30]) >= 0)
    np.testing.assert_array_equal(feathered(mask, 0.0), mask)


def test_style_mask_rejects_an_unknown_mask_name(photos):
    match = "mask: expected a mask name .* or a mask file, got 'blob'"
    with pytest.raises(InvalidParameterError, match=match):
        style_mask(photos[0], StyleParams(mask="blob"))


def test_stylize_returns_uint8_at_image_size_and_leaves_inputs_alone(photos):
    content, style, _ = photos
    copy = content.copy()
    out = pipeline.style(content, [style], QUICK.replace(num_iterations=3))
    assert out.dtype == np.uint8 and out.shape == (43, 64, 3)
    np.testing.assert_array_equal(content, copy)


def test_original_colors_keep_the_contents_chroma(photos):
    content, style, _ = photos
    params = QUICK.replace(num_iterations=15)
    plain = pipeline.style(content, [style], params)
    kept = pipeline.style(content, [style], params.replace(original_colors=True))
    reference = rgb_to_ycbcr(resize_image(content, base_width=64, height=43))[..., 1:]

    def chroma_error(image):
        return np.abs(rgb_to_ycbcr(image.astype(np.float64))[..., 1:] - reference).mean()

    assert chroma_error(kept) < 2.0  # rounding and the odd clipped pixel
    assert chroma_error(plain) > 10 * chroma_error(kept)
    # the luminance is the stylized picture's
    assert np.abs(rgb_to_ycbcr(kept)[..., 0] - rgb_to_ycbcr(plain)[..., 0]).mean() < 2.0


def test_masked_style_holds_the_content_outside_the_mask(photos):
    content, style, _ = photos
    mask = np.zeros((43, 64), np.uint8)
    mask[:, 32:] = 255
    params = QUICK.replace(num_iterations=15, mask="mask.png", mask_feather=2.0)
    out = pipeline.style(content, [style], params, mask=mask).astype(np.float64)
    small = resize_image(content, base_width=64, height=43)
    np.testing.assert_array_equal(out[:, :32], small[:, :32])
    assert np.abs(out[:, 40:] - small[:, 40:]).mean() > 10


def test_a_monitor_gets_progress_and_finished_checkpoints(photos):
    content, style, _ = photos

    class Recorder(StyleMonitor):
        def __init__(self):
            self.steps, self.saved = [], []

        def progress(self, p):
            self.steps.append((p.iteration, p.losses.content, p.losses.style, p.losses.tv))

        def checkpoint(self, iteration, image):
            self.saved.append((iteration, image.dtype, image.shape))

    rec = Recorder()
    pipeline.style(content, [style], QUICK.replace(num_iterations=6, save_iter=2), callback=rec)
    assert [s[0] for s in rec.steps] == [1, 2, 3, 4, 5, 6] and all(s[2] > 0 for s in rec.steps)
    assert rec.saved == [(2, np.uint8, (43, 64, 3)), (4, np.uint8, (43, 64, 3))]
    plain = []
    pipeline.style(content, [style], QUICK.replace(num_iterations=2), callback=lambda *a: plain.append(a))
    assert [(a[0], a[1]) for a in plain] == [(0, 1), (0, 2)]


def test_evaluate_losses_of_the_content_itself_has_no_content_loss(photos):
    content, style, _ = photos
    losses = evaluate_losses(resize_image(content, base_width=64, height=43), content, [style], QUICK)
    assert losses.content == 0 and losses.style > 0 and losses.total == losses.style + losses.tv


def test_stylize_rejects_mismatched_blend_weights(photos):
    with pytest.raises(InvalidParameterError, match=r"expected one weight per style \(1\), got 2"):
        pipeline.style(photos[0], [photos[1]], QUICK.replace(style_blend_weights=(1.0, 2.0)))


def test_stylize_rejects_an_unknown_layer(photos):
    with pytest.raises(InvalidParameterError, match="unknown layer 'relu9_9' for vgg16; expected one of"):
        pipeline.style(photos[0], [photos[1]], QUICK.replace(style_layers=("relu9_9",)))


def test_stylize_rejects_a_non_rgb_picture():
    with pytest.raises(InvalidImageError, match=r"content: expected an \(M, N, 3\) RGB array"):
        pipeline.style(np.zeros((8, 8)), [np.zeros((8, 8, 3))], QUICK)
