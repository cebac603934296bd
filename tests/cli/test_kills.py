"""A video stylize or a training killed (SIGTERM, Ctrl-C) leaves nothing half-written (issue 18); a video's
--json says what ran (issue 20: it wrote "device": "cpu" and the requested precision whatever ran)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from prisma_abu.cli import main

from video_support import make_clip


def _kill_when(child, ready, sig, seconds=90):
    """Send ``sig`` to ``child`` once ``ready()``; returns its stderr."""
    try:
        deadline = time.monotonic() + seconds
        while not ready() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready(), "the child never got there"
        child.send_signal(sig)
        return child.communicate(timeout=60)[1]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _default_signals():
    """In the child: SIGINT and SIGTERM as a shell gives them (a CI job started with ``&`` ignores SIGINT, and an
    ignored SIGINT stays ignored: Python would never turn it into Ctrl-C)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start(*argv, env=None):
    return subprocess.Popen([sys.executable, "-m", "prisma_abu", *argv], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_default_signals)


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_killed_video_stylize_leaves_no_part_file(tmp_path, sig, code):
    clip = make_clip(tmp_path / "clip.mp4", frames=600, size=(64, 96), audio=False)
    folder = tmp_path / "out"
    folder.mkdir()
    child = _start("stylize", str(clip), "-q", "-o", str(folder / "painted.mp4"))
    err = _kill_when(child, lambda: list(folder.glob(".*.part")), sig)
    assert child.returncode == code, err
    assert "Traceback" not in err and "interrupted" in err, err
    assert list(folder.iterdir()) == []


def test_video_json_says_the_device_and_precision_that_ran(tmp_path, capsys):
    from prisma_abu.video import read_video_metadata

    clip = make_clip(tmp_path / "clip.mp4", frames=2, size=(32, 48), audio=False)
    out = tmp_path / "painted.mp4"
    assert main(["stylize", str(clip), "--json", "-q", "--precision", "auto", "-o", str(out)]) == 0
    row = json.loads(capsys.readouterr().out)
    ran = read_video_metadata(out)["arithmetic"]
    assert row["precision"] in ("fp32", "bf16") and row["precision"] == ran["precision"]
    assert row["device"] == ran["device"] and isinstance(row["threads"], int) and row["threads"] == ran["threads"]


def test_a_training_terminated_while_checkpointing_leaves_no_part_file(tmp_path):
    from cli_support import GUIDE

    folder = tmp_path / "nets"
    folder.mkdir()
    child = _start("train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "100000", "--image-size", "16",
                   "--batch-size", "1", "--width", "0.25", "--style-image-size", "16", "--precision", "fp32",
                   "--checkpoint-every", "1", "-q", "-o", str(folder / "s.pth"))
    err = _kill_when(child, lambda: (folder / "s.ckpt").exists(), signal.SIGTERM)
    assert child.returncode == 143 and "interrupted" in err and "Traceback" not in err, err
    assert [p.name for p in folder.iterdir()] == ["s.ckpt"]


def test_a_video_name_is_taken_atomically_never_over_another_runs(tmp_path, monkeypatch, capsys):
    # issue 18's default-name race, for videos: the name was chosen before painting and the rename replaced
    # whatever another run had written there meanwhile
    import importlib

    stylize = importlib.import_module("prisma_abu.pipeline.stylize")  # the module (the package names a function so)
    clip = make_clip(tmp_path / "clip.mp4", frames=2, size=(32, 48), audio=False)
    folder = tmp_path / "out"
    paint = stylize.stylize_frames

    def another_run_writes_first(frames, *a, **kw):
        folder.mkdir(exist_ok=True)
        (folder / "clip_stylize.mp4").write_bytes(b"the other run's video")
        yield from paint(frames, *a, **kw)
    monkeypatch.setattr(stylize, "stylize_frames", another_run_writes_first)
    assert main(["stylize", str(clip), "-q", "-o", str(folder) + "/"]) == 0
    assert (folder / "clip_stylize.mp4").read_bytes() == b"the other run's video"
    assert capsys.readouterr().out.split() == [str(folder / "clip_stylize_1.mp4")]
    assert sorted(p.name for p in folder.iterdir()) == ["clip_stylize.mp4", "clip_stylize_1.mp4"]


def test_a_terminated_picture_command_exits_143_and_leaves_nothing(tmp_path):
    # every picture command (run_pictures): SIGTERM is Ctrl-C; its temporary folder (made under TMPDIR once
    # the command runs) and any .part go
    import os

    from cli_support import SAMPLE

    folder, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    child = _start("style", SAMPLE, "--style", SAMPLE, "--num-iterations", "100000", "--image-size", "64",
                   "-o", str(folder) + "/", env={**os.environ, "TMPDIR": str(scratch)})
    err = _kill_when(child, lambda: any(p.name.startswith("prisma-abu-") for p in scratch.iterdir()),
                     signal.SIGTERM)
    assert child.returncode == 143 and "interrupted" in err and "Traceback" not in err, err
    assert not folder.exists() or list(folder.iterdir()) == []
    assert not any(p.name.startswith("prisma-abu-") for p in scratch.iterdir())
