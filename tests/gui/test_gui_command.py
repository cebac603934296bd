"""``command_line``: only the options that differ, and prisma-abu's parser gives the parameters back."""

from __future__ import annotations

import shlex

import pytest

from prisma_abu.cli import build_parser, params_from_args
from prisma_abu.params import MixParams
from prisma_abu_gui.command import command_line

pytestmark = pytest.mark.gui


def parse(line: str):
    words = shlex.split(line)
    assert words[:2] == ["prisma-abu", "mix"]
    args = build_parser().parse_args(words[1:])
    return args, params_from_args(MixParams, args)


CASES = [
    MixParams(),
    MixParams(layer=None, n3=60),
    MixParams(mask="otsu+stdmean+features", dd=False, cb=True, all_mask=True, keep_size=True),
    MixParams(enhance="CONTOUR", enhance_p=0.1 + 0.2, rb_rate=0.88, all_mask_rb_rate=1 / 3, std_factor=1e-7),
    MixParams(spots_keep=((1, 2, 3),), spots_drop=((10, 20, 0), (5, 5, 5)), force_iter_n=0, seed=2**40),
    MixParams(mask="otsu_func + stdmean_func", layer="conv2/3x3_reduce", backbone="googlenet",
              weights="/tmp/my weights.pt", precision="bf16", octave_scale=1.3, step_size=0.0, jitter=0),
    MixParams(square=True, auto=False),  # painted: the line must say so (--square --no-auto alone pastes)
    MixParams(square=True, auto=False, compose="paste"),
]


@pytest.mark.parametrize("params", CASES)
def test_command_line_round_trip(params):
    args, parsed = parse(command_line(params, "sample/a b.jpg", "prisma_gd/swirl.jpg", "out/x.png"))
    assert parsed == params
    assert (args.inputs, args.guide, args.output) == (["sample/a b.jpg"], "prisma_gd/swirl.jpg", "out/x.png")


def test_command_line_names_only_what_differs_from_the_defaults():
    assert command_line(MixParams(), "s.jpg", None, "o.png") == "prisma-abu mix s.jpg -o o.png"
    line = command_line(MixParams(n3=60, dd=False, layer=None, spots_keep=((1, 2, 3), (4, 5, 6))),
                        "s.jpg", None, "o.png")
    # auto and the texture stay on in these parameters: the line says so (a chosen knob turns them off)
    assert line == ("prisma-abu mix s.jpg -o o.png --no-dd --n3 60 --spots-keep '1,2,3;4,5,6' --layer none "
                    "--auto --texture auto")
    args, _ = parse(line)
    assert args.guide is None
