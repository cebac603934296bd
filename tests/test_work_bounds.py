"""Ranges bound the work (issue 18: iter_n=100000 and 1e7 training steps were accepted)."""

from __future__ import annotations

import pytest

from prisma_abu.cli import main
from prisma_abu.errors import InvalidParameterError
from prisma_abu.params import TrainStyleParams

from cli_support import GUIDE


def test_a_real_training_fits_and_a_runaway_one_is_refused():
    assert TrainStyleParams(steps=40_000).steps == 40_000  # the published recipe: 2 epochs of COCO at batch 4
    assert TrainStyleParams(steps=1_000_000).steps == 1_000_000
    with pytest.raises(InvalidParameterError, match=r"steps: expected a value in \[1, 1e\+06\], got 10000000"):
        TrainStyleParams(steps=10_000_000)
    with pytest.raises(InvalidParameterError, match=r"checkpoint_every: expected a value in \[0, 1e\+06\]"):
        TrainStyleParams(checkpoint_every=10**12)


def test_train_style_refuses_runaway_steps_in_one_line_before_any_work(tmp_path, capsys):
    assert main(["train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "10000000", "-q",
                 "-o", str(tmp_path / "s.pth")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "steps: expected a value in [1, 1e+06]" in err[0], err
    assert list(tmp_path.iterdir()) == []
