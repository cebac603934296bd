"""A video stylize rerun into the same folder skips what is done there, as pictures do (--force redoes it);
without a terminal it logs a line every few seconds (issue 18)."""

from __future__ import annotations

import pytest

import prisma_abu.pipeline.progress as progress
from prisma_abu.cli import main

from video_support import make_clip


@pytest.fixture
def clip(tmp_path):
    return str(make_clip(tmp_path / "clip.mp4", frames=3, size=(32, 48), audio=False))


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_rerun_into_the_folder_skips_the_video_done_there(tmp_path, clip, capsys):
    out = str(tmp_path / "out") + "/"
    assert main(["stylize", clip, "-q", "-o", out]) == 0
    capsys.readouterr()
    assert main(["stylize", clip, "-o", out]) == 0
    captured = capsys.readouterr()
    assert "done before" in captured.err and captured.out.split() == [str(tmp_path / "out" / "clip_stylize.mp4")]
    assert _names(tmp_path / "out") == ["clip_stylize.mp4"]
    assert main(["stylize", clip, "-q", "--temporal", "0.5", "-o", out]) == 0  # another job: painted beside it
    assert main(["stylize", clip, "-q", "--force", "-o", out]) == 0
    assert _names(tmp_path / "out") == ["clip_stylize.mp4", "clip_stylize_1.mp4", "clip_stylize_2.mp4"]


def test_a_video_without_a_terminal_logs_its_frames(tmp_path, clip, capsys, monkeypatch):
    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    assert main(["stylize", clip, "-o", str(tmp_path / "v.mp4")]) == 0
    err = capsys.readouterr().err
    assert "clip.mp4: step 1/3" in err and "clip.mp4: step 3/3" in err
