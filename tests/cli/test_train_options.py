"""Issue 22: --width means one thing — the output size (dream); train-style's channel multiplier is
--channel-multiplier, its old --width still accepted (hidden from the options, noted under the examples); the
knob keeps its name `width` in Python, experiment files and the models' metadata, so those written before read
as they did."""

from __future__ import annotations

import pytest

from prisma_abu.cli import build_parser, main
from prisma_abu.cli.common import params_from_args
from prisma_abu.params import DreamParams, TrainStyleParams, params_from_metadata

from cli_support import GUIDE

TRAIN = ["train-style", GUIDE, "--photos", "sample/coffee.jpg", "-o", "x.pth"]


def test_train_style_help_says_channel_multiplier_not_width(capsys):
    with pytest.raises(SystemExit):
        main(["train-style", "--help"])
    shown = capsys.readouterr().out
    options, note = shown.split("examples:")
    assert "--channel-multiplier FACTOR" in options and "--width" not in options
    # the old spelling: a note, not an option
    assert "--channel-multiplier used to be spelled --width" in " ".join(note.split())


def test_the_old_width_still_works():
    new = params_from_args(TrainStyleParams, build_parser().parse_args([*TRAIN, "--channel-multiplier", "0.25"]))
    old = params_from_args(TrainStyleParams, build_parser().parse_args([*TRAIN, "--width", "0.25"]))
    assert old == new and new.width == 0.25 and new != TrainStyleParams()


def test_dreams_width_is_still_the_output_size():
    args = build_parser().parse_args(["dream", GUIDE, "--width", "64"])
    assert params_from_args(DreamParams, args).size == 64


def test_a_model_trained_with_the_new_spelling_paints(tmp_path):
    model = tmp_path / "swirl.pth"
    assert main(["train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "1", "--image-size", "32",
                 "--batch-size", "1", "--channel-multiplier", "0.25", "--style-image-size", "32",
                 "--precision", "fp32", "-q", "-o", str(model)]) == 0
    assert main(["stylize", "sample/coffee.jpg", "--model", str(model), "--size", "48", "-q",
                 "-o", str(tmp_path / "p.png")]) == 0
    assert params_from_metadata({"kind": "train_style", "width": 0.5}).width == 0.5  # what models store
