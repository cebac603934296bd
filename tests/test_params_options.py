"""``params.option_words``, the one writer of option text: the CLI's parser reads every kind's words back."""

from __future__ import annotations

import pytest

from prisma_abu.cli import build_parser, params_from_args
from prisma_abu.params import DreamParams, StyleParams, StylizeParams, option_words

CASES = [
    ("dream", DreamParams(layers=("blocks.3", "blocks.5"), iter_n=3, octave_n=2, jitter=0, step_size=0.25,
                          precision="fp32", seed=7)),
    ("stylize", StylizeParams(model="multistyle26:3", strength=0.5)),
    ("style", StyleParams(size=96, num_iterations=5, content_weight=0.1 + 0.2, style_scale=0.5,
                          optimizer="adam", original_colors=True, seed=3)),
]


@pytest.mark.parametrize(("command", "params"), CASES, ids=[c for c, _ in CASES])
def test_every_kinds_words_parse_back_to_the_same_parameters(command, params):
    words = option_words(params)
    assert words  # they differ from the defaults
    extra = ["--style", "s.jpg"] if command == "style" else []
    args = build_parser().parse_args([command, "in.jpg", *extra, *words])
    assert params_from_args(type(params), args) == params


def test_only_what_differs_is_written_and_floats_keep_every_digit():
    assert option_words(DreamParams()) == []
    words = option_words(StyleParams(content_weight=0.1 + 0.2))
    assert words == ["--content-weight", repr(0.1 + 0.2)]
