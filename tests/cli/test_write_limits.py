"""Write and path errors the OS raises, provoked for real (issue 18): a file size limit (EFBIG, the full disk
a process can make without root mounts), a place even root cannot write, a file where a folder is expected,
an unreadable photo — one line, exit 2, nothing half-written."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from prisma_abu.cli import main

from cli_support import GUIDE, SAMPLE, _error_line
from video_support import make_clip

ROOT = Path(__file__).resolve().parents[2]
QUICK_MIX = ["--guide", GUIDE, "--layer", "none", "--size", "96", "--n3", "1", "-q"]


def _limited(argv, limit=4096):
    """The CLI in a child that may write files of at most ``limit`` bytes (RLIMIT_FSIZE: writes fail EFBIG)."""
    def child():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the child at the limit
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return subprocess.run([sys.executable, "-m", "prisma_abu", *argv], preexec_fn=child, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=ROOT)


def _one_line(done) -> str:
    """The one error line (a cache that cannot be written is a warning before it: a cache is a cache)."""
    lines = [line for line in done.stderr.strip().splitlines() if not line.startswith("prisma-abu: warning:")]
    assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize("case", ["mix FILE", "mix DIR", "stylize FILE", "stylize DIR", "features", "video",
                                  "train-style"])
def test_a_file_size_limit_is_one_line_and_nothing_half_written(tmp_path, case):
    out = tmp_path / "out"
    out.mkdir()
    argv = {"mix FILE": ["mix", SAMPLE, *QUICK_MIX, "-o", str(out / "m.png")],
            "mix DIR": ["mix", SAMPLE, *QUICK_MIX, "-o", str(out) + "/"],
            "stylize FILE": ["stylize", SAMPLE, "--size", "96", "-q", "-o", str(out / "s.png")],
            "stylize DIR": ["stylize", SAMPLE, "--size", "96", "-q", "-o", str(out) + "/"],
            "features": ["features", SAMPLE, "--size", "96", "-q", "-o", str(out / "f.png")],
            "video": ["stylize", str(make_clip(tmp_path / "clip.mp4", frames=6)), "-q", "-o", str(out / "v.mp4")],
            "train-style": ["train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "1", "--image-size",
                            "16", "--width", "0.25", "--precision", "fp32", "-q", "-o", str(out / "n.pth")]}[case]
    line = _one_line(_limited(argv))
    assert ".part" not in line and "too large" in line.lower() and "room for" in line, line
    assert list(out.iterdir()) == []


def test_without_the_limit_the_same_commands_write(tmp_path):
    # the control: the limit, not the command, is what failed above
    done = _limited(["mix", SAMPLE, *QUICK_MIX, "-o", str(tmp_path / "m.png")], limit=resource.RLIM_INFINITY)
    assert done.returncode == 0 and (tmp_path / "m.png").is_file(), done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file whatever its mode (the root cases are below)")
def test_an_unreadable_photo_is_one_line(tmp_path, capsys):
    photo = tmp_path / "secret.jpg"
    photo.write_bytes(Path(SAMPLE).read_bytes())
    photo.chmod(0)
    assert main(["mix", str(photo), *QUICK_MIX, "-o", str(tmp_path / "out.png")]) == 2
    line = _error_line(capsys)
    assert "secret.jpg: permission denied" in line, line
    assert not (tmp_path / "out.png").exists()


def test_a_place_even_root_cannot_write_is_one_line(tmp_path, capsys):
    if not os.path.isdir("/sys"):
        pytest.skip("no /sys here")
    assert main(["mix", SAMPLE, *QUICK_MIX, "-o", "/sys/prisma-abu-out.png"]) == 2
    line = _error_line(capsys)
    assert "/sys" in line and ("ermission denied" in line or "ead-only" in line), line


def test_a_file_where_a_folder_is_expected_is_one_line(tmp_path, capsys):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 64), (90, 90, 90)).save(photo)
    nested = str(photo / "x.png")  # ENOTDIR, for root too
    cases = {"input": ["mix", nested, *QUICK_MIX, "-o", str(tmp_path / "a.png")],
             "guide": ["mix", SAMPLE, *QUICK_MIX, "--guide", nested, "-o", str(tmp_path / "a.png")],
             "output": ["mix", SAMPLE, *QUICK_MIX, "-o", nested],
             "output folder": ["mix", SAMPLE, *QUICK_MIX, "-o", str(photo / "sub") + "/"],
             "style": ["train-style", nested, "--photos", SAMPLE, "-q", "-o", str(tmp_path / "n.pth")],
             "photos": ["train-style", GUIDE, "--photos", nested, "-q", "-o", str(tmp_path / "n.pth")],
             "network": ["train-style", GUIDE, "--photos", SAMPLE, "-q", "-o", str(photo / "n.pth")],
             "features": ["features", nested, "-q", "-o", str(tmp_path / "a.png")]}
    for name, argv in cases.items():
        code = main(argv)
        line = _error_line(capsys)
        assert code == 2 and "photo.png" in line, (name, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]
