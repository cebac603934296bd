"""Style transfer as a pipeline, a job and a command (real embedded VGG16, small pictures)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from prisma_abu.cli import main
from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.io import read_image, read_metadata, write_image
from prisma_abu.jobs import Job, _style_roles, job_from_metadata, render
from prisma_abu.ops.resize import resize_image
from prisma_abu.params import StyleParams, params_from_dict
from prisma_abu.style import (
    StyleMonitor, evaluate_losses, feathered, iteration_schedule, keep_original_colors, rgb_to_ycbcr,
    scale_precisions, style_mask, stylize, ycbcr_to_rgb,
)

#: small and quick: 64 px, single scale, fp32 (scales and bf16 have their own tests)
QUICK = StyleParams(image_size=64, num_iterations=20, scales=1, precision="fp32", init="image",
                    save_iter=0, print_iter=0)


@pytest.fixture(scope="module")
def photos():
    from prisma_abu.data import guide_path, sample_path

    return (read_image(sample_path("chelsea")), read_image(guide_path("swirl")),
            read_image(guide_path("stained_glass")))


# --- parameters ----------------------------------------------------------------------------------

def test_defaults_mirror_neural_style():
    p = StyleParams()
    assert (p.image_size, p.content_weight, p.style_weight, p.tv_weight) == (512, 5, 100, 1e-3)
    assert (p.num_iterations, p.init, p.optimizer, p.learning_rate) == (1000, "random", "lbfgs", 10.0)
    assert (p.style_scale, p.pooling, p.backbone, p.precision) == (1.0, "max", "vgg16", "auto")
    assert p.content_layers == ("relu4_2",)
    assert p.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    assert (p.print_iter, p.save_iter, p.original_colors, p.normalize_gradients) == (50, 100, False, False)


def test_params_round_trip_and_registered_kind():
    p = StyleParams(style_blend_weights=(2.0, 1.0), mask="otsu", scale_iterations=(5, 4, 3), init="image",
                    init_image="x.png")
    assert StyleParams.from_json(p.to_json()) == p
    assert StyleParams.from_toml(p.to_toml()) == p
    assert params_from_dict({"kind": "style", **p.to_dict()}) == p


@pytest.mark.parametrize("changes,match", [
    ({"image_size": 8}, r"image_size: expected a value in \[16, 16384\], got 8"),
    ({"num_iterations": 1.5}, "num_iterations: expected an integer, got 1.5"),
    ({"content_weight": -1.0}, r"content_weight: expected a value in \[0, inf\], got -1.0"),
    ({"learning_rate": 0.0}, r"learning_rate: expected a value in \(0, inf\], got 0.0"),
    ({"style_scale": 0.0}, r"style_scale: expected a value in \(0, 16\], got 0.0"),
    ({"init": "noise"}, "init: expected one of random, image, got 'noise'"),
    ({"optimizer": "sgd"}, "optimizer: expected one of lbfgs, adam, got 'sgd'"),
    ({"pooling": "min"}, "pooling: expected one of max, avg, got 'min'"),
    ({"precision": "fp16"}, "precision: expected one of auto, fp32, bf16, got 'fp16'"),
    ({"original_colors": 1}, "original_colors: expected true or false, got 1"),
    ({"scales": 0}, r"scales: expected a value in \[1, 8\], got 0"),
    ({"scale_factor": 1.0}, r"scale_factor: expected a value in \(1, 8\], got 1.0"),
    ({"scale_iterations": (5, 5)}, r"scale_iterations: expected one count per scale \(3\), got 2"),
    ({"scale_iterations": (5, -1, 5)}, r"scale_iterations: expected a value in \[0, 1e\+06\], got -1"),
    ({"style_layers": ("relu1_1", "")}, "style_layers: expected a tuple of layer names"),
    ({"content_layers": (), "style_layers": ()}, "expected at least one layer, got none"),
    ({"style_blend_weights": (1.0, -1.0)}, r"style_blend_weights: expected a value in \[0, inf\], got -1.0"),
    ({"style_blend_weights": (0.0, 0.0)}, "style_blend_weights: expected a positive sum"),
    ({"init_image": "a.png"}, "init_image: expected init='image' with an init image, got init='random'"),
    ({"mask": " "}, "mask: expected a non-empty string or None, got ' '"),
    ({"mask_feather": -1.0}, r"mask_feather: expected a value in \[0, 1000\], got -1.0"),
    ({"print_iter": -1}, r"print_iter: expected a value in \[0, inf\], got -1"),
])
def test_params_validation(changes, match):
    with pytest.raises(InvalidParameterError, match=match):
        StyleParams(**changes)


def test_iteration_schedule_splits_num_iterations_and_honours_explicit_counts():
    assert sum(iteration_schedule(StyleParams(num_iterations=999), 3)) == 999
    assert iteration_schedule(StyleParams(), 3) == (300, 150, 550)
    assert iteration_schedule(StyleParams(num_iterations=10, scales=1), 1) == (10,)
    explicit = StyleParams(scale_iterations=(50, 20, 10))
    assert iteration_schedule(explicit) == (50, 20, 10)
    assert iteration_schedule(explicit, 2) == (20, 10)  # a small picture drops its coarsest scale


def test_precision_per_scale():
    from prisma_abu.neural.deepdream import bf16_supported

    auto = "bf16" if bf16_supported() else "fp32"
    assert scale_precisions(StyleParams(precision="auto"), 3) == (auto,) * 3
    assert scale_precisions(StyleParams(precision="fp32"), 2) == ("fp32", "fp32")


# --- colours and masks ----------------------------------------------------------------------------

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


# --- the pipeline ---------------------------------------------------------------------------------

def test_stylize_returns_uint8_at_image_size_and_leaves_inputs_alone(photos):
    content, style, _ = photos
    copy = content.copy()
    out = stylize(content, [style], QUICK.replace(num_iterations=3))
    assert out.dtype == np.uint8 and out.shape == (43, 64, 3)
    np.testing.assert_array_equal(content, copy)


def test_original_colors_keep_the_contents_chroma(photos):
    content, style, _ = photos
    params = QUICK.replace(num_iterations=15)
    plain = stylize(content, [style], params)
    kept = stylize(content, [style], params.replace(original_colors=True))
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
    out = stylize(content, [style], params, mask=mask).astype(np.float64)
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
    stylize(content, [style], QUICK.replace(num_iterations=6, save_iter=2), callback=rec)
    assert [s[0] for s in rec.steps] == [1, 2, 3, 4, 5, 6] and all(s[2] > 0 for s in rec.steps)
    assert rec.saved == [(2, np.uint8, (43, 64, 3)), (4, np.uint8, (43, 64, 3))]
    plain = []
    stylize(content, [style], QUICK.replace(num_iterations=2), callback=lambda *a: plain.append(a))
    assert [(a[0], a[1]) for a in plain] == [(0, 1), (0, 2)]


def test_evaluate_losses_of_the_content_itself_has_no_content_loss(photos):
    content, style, _ = photos
    losses = evaluate_losses(resize_image(content, base_width=64, height=43), content, [style], QUICK)
    assert losses.content == 0 and losses.style > 0 and losses.total == losses.style + losses.tv


def test_stylize_rejects_mismatched_blend_weights(photos):
    with pytest.raises(InvalidParameterError, match=r"expected one weight per style \(1\), got 2"):
        stylize(photos[0], [photos[1]], QUICK.replace(style_blend_weights=(1.0, 2.0)))


def test_stylize_rejects_an_unknown_layer(photos):
    with pytest.raises(InvalidParameterError, match="unknown layer 'relu9_9' for vgg16; expected one of"):
        stylize(photos[0], [photos[1]], QUICK.replace(style_layers=("relu9_9",)))


# --- job and command --------------------------------------------------------------------------

def test_style_roles_are_ordered_by_number():
    job = Job("style", QUICK, {"content": "c", "style10": "k", "style2": "b", "style": "a", "style0": None})
    assert _style_roles(job) == ["style", "style2", "style10"]


def test_cli_writes_a_replayable_picture_and_checkpoints(tmp_path, capsys):
    from prisma_abu.data import guide_path, sample_path

    out = tmp_path / "s.png"
    styles = f"{guide_path('swirl')},{guide_path('brick')}"
    code = main(["style", str(sample_path("chelsea")), "--style", styles, "--style-blend-weights", "3,1",
                 "--image-size", "64", "--num-iterations", "6", "--scales", "1", "--precision", "fp32",
                 "--init", "image", "--save-iter", "3", "--print-iter", "2", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and captured.out.strip() == str(out)
    assert [line.split()[1] for line in captured.err.splitlines()] == ["2/6", "4/6", "6/6"]
    assert "content" in captured.err and "style" in captured.err and "tv" in captured.err
    meta = read_metadata(out)
    assert meta["command"] == "style" and meta["params"]["style_blend_weights"] == [3.0, 1.0]
    assert set(meta["inputs"]) == {"content", "style0", "style1", "init_image", "mask_file"}
    checkpoint = tmp_path / "s_0003.png"
    assert read_metadata(checkpoint)["checkpoint_iteration"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png", "s_0003.png"]
    # replay renders the same bytes
    again = render(job_from_metadata(meta))
    np.testing.assert_array_equal(again, read_image(out).astype(np.uint8))


def test_cli_mask_file_goes_to_the_job_inputs(tmp_path, capsys):
    from prisma_abu.data import guide_path, sample_path

    mask = tmp_path / "m.png"
    half = np.zeros((30, 45, 3), np.uint8)
    half[:, 22:] = 255
    write_image(mask, half)
    out = tmp_path / "o.png"
    code = main(["style", str(sample_path("chelsea")), "--style", str(guide_path("swirl")),
                 "--mask", str(mask),
                 "--image-size", "64", "--num-iterations", "3", "--scales", "1", "--precision", "fp32",
                 "--save-iter", "0", "--print-iter", "0", "-o", str(out)])
    assert code == 0
    meta = read_metadata(out)
    assert meta["inputs"]["mask_file"]["path"] == str(mask.resolve()) and meta["params"]["mask"] == str(mask)


@pytest.mark.parametrize("args,match", [
    (["--style", "no/such/style.jpg"], "no/such/style.jpg: no such file"),
    (["--style", "{swirl}", "--style-layers", "relu1_1,relu9_9"], "unknown layer 'relu9_9' for vgg16"),
    (["--style", "{swirl}", "--image-size", "4"], "image_size: expected a value in"),
    (["--style", "{swirl}", "--mask", "blob"], "mask: expected a mask name"),
])
def test_cli_errors_are_one_line_exit_2_and_no_file(tmp_path, capsys, args, match):
    from prisma_abu.data import guide_path, sample_path

    out = tmp_path / "never.png"
    args = [a.replace("{swirl}", str(guide_path("swirl"))) for a in args]
    quick = [] if "--image-size" in args else ["--image-size", "64", "--scales", "1"]
    code = main(["style", str(sample_path("chelsea")), *args, *quick, "--num-iterations", "1",
                 "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("prisma-abu: error: ")
    assert re.search(match, lines[0])
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_job_render_rejects_a_style_job_without_styles():
    with pytest.raises(InvalidParameterError, match="expected a content picture and at least one style"):
        render(Job("style", QUICK, {"content": "c.png"}))


def test_stylize_rejects_a_non_rgb_picture():
    with pytest.raises(InvalidImageError, match=r"content: expected an \(M, N, 3\) RGB array"):
        stylize(np.zeros((8, 8)), [np.zeros((8, 8, 3))], QUICK)


def test_demo_style_renders_a_picture_with_parameters(tmp_path, monkeypatch):
    import prisma_abu.style as style_module

    quick = style_module.DEMO_PARAMS.replace(scale_iterations=(1, 1))
    monkeypatch.setattr(style_module, "DEMO_PARAMS", quick)
    path = style_module.demo_style(tmp_path)
    meta = read_metadata(path)
    assert path.exists() and meta["command"] == "style" and meta["params"]["image_size"] == 256
