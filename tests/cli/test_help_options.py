"""Issue 22: a command's --help shows only the options it uses — `mask` and `features` take mix's
parameters but list only the knobs they read (the others provably change nothing in their pictures)."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest

from prisma_abu.cli import build_parser, main
from prisma_abu.cli.pictures import COMMAND_KNOBS
from prisma_abu.io import read_image
from prisma_abu.params import DreamParams, MixParams
from prisma_abu.pipeline import feature_picture, mask_picture

from cli_support import SAMPLE


def _knob_options(command: str) -> set[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    return {a.dest[2:] for a in sub._actions if a.dest.startswith("p_")}


@pytest.mark.parametrize("command", ["mask", "features"])
def test_mask_and_features_list_only_the_knobs_they_read(command, capsys):
    assert _knob_options(command) == set(COMMAND_KNOBS[command])
    with pytest.raises(SystemExit):
        main([command, "--help"])
    shown = capsys.readouterr().out
    for hidden in ("--n3", "--layer", "--iter-n", "--texture", "--enhance", "--precision"):
        assert hidden not in shown
    assert "--size" in shown and ("--mask" in shown) == (command == "mask")


@pytest.mark.parametrize("command, cls", [("mix", MixParams), ("dream", DreamParams)])
def test_mix_and_dream_list_every_knob(command, cls):
    assert _knob_options(command) == {f.name for f in dataclasses.fields(cls)}


#: a value other than the default for knobs mask and features do not list (the painting's knobs)
HIDDEN = {"n1": 9, "n2": 31, "n3": 60, "rb_rate": 0.5, "convd_median_factor": 2.0, "enhance": None, "compose": "paste",
          "texture": "bold", "layer": None, "iter_n": 3, "octave_n": 2, "seed": 7, "precision": "fp32",
          "all_mask": True, "all_mask_rb_rate": 0.5, "jitter": 4, "keep": 0.9, "softness": 0.2, "dream_scale": 0.5}


@pytest.mark.parametrize("command, picture", [("mask", mask_picture), ("features", feature_picture)])
def test_the_knobs_they_do_not_list_change_nothing(command, picture):
    photo = read_image(SAMPLE)
    base = MixParams(size=64)
    changed = {k: v for k, v in HIDDEN.items() if k not in COMMAND_KNOBS[command]}
    assert changed and np.array_equal(picture(photo, base), picture(photo, base.replace(**changed)))
    if command == "mask":  # while a knob it lists does change it
        assert not np.array_equal(picture(photo, base), picture(photo, base.replace(mask="otsu", dd=False,
                                                                                    auto=False)))


def test_a_painting_knob_given_to_mask_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["mask", SAMPLE, "--n3", "1"])
    assert stop.value.code == 2 and "--n3" in capsys.readouterr().err
