"""Issue 18: long runs without a terminal log a line every few seconds — train-style and the Python verbs
write the picture commands' lines (one writer: prisma_abu.pipeline.progress.LogSteps)."""

from __future__ import annotations

import numpy as np
import pytest

import prisma_abu
import prisma_abu.pipeline.progress as progress
from prisma_abu.cli import main

from cli_support import GUIDE, SAMPLE


@pytest.fixture
def every_step(monkeypatch):
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)


def test_log_steps_writes_at_most_every_few_seconds(monkeypatch):
    lines: list[str] = []
    clock = iter([0.0, 1.0, 6.0, 7.0, 12.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    log = progress.LogSteps("x", 4, write=lines.append)
    for _ in range(4):
        log(0, 0, 1.0)
    assert lines == ["x: step 2/4", "x: step 4/4"]


def test_train_style_without_a_terminal_logs_its_steps(tmp_path, capsys, every_step):
    model = tmp_path / "swirl.pth"
    assert main(["train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "2", "--image-size", "32",
                 "--batch-size", "1", "--width", "0.25", "--style-image-size", "32", "--precision", "fp32",
                 "-o", str(model)]) == 0
    err = capsys.readouterr().err
    assert "swirl.pth: step 1/2 " in err and "swirl.pth: step 2/2 " in err and "total=" in err


def test_train_style_quiet_logs_nothing(tmp_path, capsys, every_step):
    assert main(["train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "1", "--image-size", "32",
                 "--batch-size", "1", "--width", "0.25", "--style-image-size", "32", "--precision", "fp32",
                 "-q", "-o", str(tmp_path / "s.pth")]) == 0
    assert "step" not in capsys.readouterr().err


def test_the_python_dream_logs_its_steps_without_a_callback(capsys, every_step):
    prisma_abu.dream(np.full((24, 24, 3), 128.0), iter_n=2, octave_n=1)
    assert "dream: step 2/2" in capsys.readouterr().err


def test_the_python_mix_counts_its_dream_steps(capsys, every_step):
    prisma_abu.mix(SAMPLE, GUIDE, size=48, n3=1, texture=None, iter_n=2, octave_n=1, auto=False)
    assert "mix: step 2/2" in capsys.readouterr().err


def test_a_callback_of_your_own_replaces_the_lines(capsys, every_step):
    calls = []
    prisma_abu.dream(np.full((24, 24, 3), 128.0), iter_n=2, octave_n=1, callback=lambda *a: calls.append(a))
    assert len(calls) == 2 and "step" not in capsys.readouterr().err


def test_a_stylized_guide_counts_the_guided_dream():
    # the guide a style network paints is a guide: mix dreams iter_n, not 10 / rb_rate, iterations
    from prisma_abu.params import MixParams

    p = MixParams(guide_model="multistyle26:1", texture=None, iter_n=3, octave_n=2, auto=False)
    assert progress.mix_steps(p, False) == 6
    assert progress.mix_steps(p.replace(guide_model=None), False) == 2 * int(10 / p.rb_rate)
