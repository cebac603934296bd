"""Hostile inputs (issue 18): what is not a regular file, strips, stdin floods, 16-bit greys — one line, exit 2, no hang."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from prisma_abu import io as pio
from prisma_abu.cli import main
from prisma_abu.errors import InvalidImageError

from cli_support import _error_line

QUICK_MIX = ["--layer", "none", "--size", "48", "--n3", "1", "-q"]


def _run(argv, timeout=60):
    """The CLI in a child process, so a regression that blocks fails on the timeout instead of hanging the suite."""
    return subprocess.run([sys.executable, "-m", "prisma_abu", *argv], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_what_is_not_a_regular_file_is_refused_before_reading(tmp_path, kind):
    if kind == "fifo":
        source = tmp_path / "photo.png"
        os.mkfifo(source)
    else:
        source = "/dev/zero"
    done = _run(["mix", str(source), *QUICK_MIX, "-o", str(tmp_path / "out.png")], timeout=60)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "not a regular file" in lines[0], lines
    assert not (tmp_path / "out.png").exists()


def test_a_strip_is_refused_by_the_guard_from_its_header(tmp_path):
    strip = tmp_path / "strip.png"
    Image.new("L", (1, 80_000_000)).save(strip)  # 155 KB on disk, 80 M pixels declared
    with pytest.raises(InvalidImageError, match="1x80000000 pixels; expected each side at most"):
        pio.read_image(strip)


def test_a_name_too_long_or_a_symlink_loop_as_input_is_one_line(tmp_path, capsys):
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    for path in (tmp_path / ("n" * 300 + ".png"), loop):
        code = main(["mix", str(path), *QUICK_MIX, "-o", str(tmp_path / "out.png")])
        line = _error_line(capsys)
        assert code == 2 and str(path)[:40] in line and ("cannot be opened" in line or "symlink loop" in line), line


def test_standard_input_is_read_with_a_size_limit(monkeypatch):
    monkeypatch.setattr(pio, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(InvalidImageError, match="more than 1000 bytes"):
        pio.read_stream(io.BytesIO(b"\0" * 5000))
    with pytest.raises(InvalidImageError, match="closed"):
        pio.read_stream(None)
    assert pio.read_stream(io.BytesIO(b"abc")) == b"abc"


def test_a_sixteen_bit_grey_png_is_scaled_by_65535_not_by_its_maximum(tmp_path):
    path = tmp_path / "grey16.png"
    Image.fromarray(np.full((4, 4), 200, np.uint16)).save(path)
    with Image.open(path) as img:
        assert img.mode.startswith("I;16")
    image = pio.read_image(path)
    assert np.allclose(image, 200 / 257.0, atol=1e-3)


def test_write_errors_from_the_os_are_one_line(tmp_path, capsys, monkeypatch):
    import errno

    from prisma_abu import cli

    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out.png"))

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    args = parser.parse_args(["mix", "sample/chelsea.jpg"])  # an input that exists: main checks a lone one
    monkeypatch.setattr(parser, "parse_args", lambda argv: args)
    args.func = full
    assert main(["mix", "sample/chelsea.jpg"]) == 2
    line = _error_line(capsys)
    assert "out.png: no space left on the device" in line, line


@pytest.mark.parametrize("redirect", ["closed", "full"])
def test_standard_output_closed_or_full_is_one_line(redirect):
    argv = [sys.executable, "-m", "prisma_abu", "mix", os.path.join(os.path.dirname(__file__), "..", "..", "sample",
                                                                    "chelsea.jpg"), *QUICK_MIX, "-o", "-"]
    if redirect == "closed":
        done = subprocess.run(argv, stdout=None, stderr=subprocess.PIPE, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, close_fds=True, preexec_fn=lambda: os.close(1))
    else:
        with open("/dev/full", "wb") as full:
            done = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                                  stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("size", [(1, 20000), (20000, 1)])
@pytest.mark.parametrize("command", ["mix", "mask"])
def test_a_one_pixel_strip_is_one_line(tmp_path, capsys, size, command):
    strip = tmp_path / "strip.png"
    Image.new("RGB", size, (9, 80, 20)).save(strip)
    code = main([command, str(strip), "-q", "-o", str(tmp_path / "out.png")])
    line = _error_line(capsys)
    assert code == 2 and "a strip; expected the longer side at most" in line, line
    assert not (tmp_path / "out.png").exists()


STRIPS = {"1x100000": (1, 100_000), "100000x1": (100_000, 1), "2001x2": (2001, 2)}


@pytest.mark.parametrize("size", STRIPS.values(), ids=STRIPS.keys())
def test_features_and_train_style_refuse_a_strip_in_one_line(tmp_path, capsys, size):
    strip = tmp_path / "strip.png"
    Image.new("RGB", size, (9, 80, 20)).save(strip)
    good = os.path.join(os.path.dirname(__file__), "..", "..", "sample", "coffee.jpg")
    content = tmp_path / "content"
    content.mkdir()
    Image.new("RGB", size, (9, 80, 20)).save(content / "strip.png")
    train = ["train-style", "--steps", "1", "--image-size", "16", "--width", "0.25", "-q", "-o",
             str(tmp_path / "n.pth")]
    for argv in (["features", str(strip), "-q", "-o", str(tmp_path / "out.png")],
                 [*train, str(strip), "--photos", good],      # the style picture
                 [*train, good, "--photos", str(content)]):   # the content folder
        code = main(argv)
        line = _error_line(capsys)
        assert code == 2 and "strip.png: " in line and ("a strip; expected" in line or "each side at most" in line), \
            (argv[0], line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "strip.png"]


def _strip_arrays():
    return {"array 1x3000": np.zeros((1, 3000, 3), np.float32), "array 3000x2": np.zeros((3000, 2, 3), np.uint8),
            "PIL 3000x1": Image.new("RGB", (3000, 1))}


@pytest.mark.parametrize("verb", ["mix", "dream", "style", "train_style"])
def test_the_python_api_refuses_a_strip_at_the_door(verb):
    # arrays and PIL images go through no file: the reader's rule applies at the door (mix and dream painted them)
    import prisma_abu
    from prisma_abu.params import TrainStyleParams
    from prisma_abu.pipeline.train import train_style

    ok = np.full((64, 64, 3), 128.0, np.float32)
    calls = {"mix": lambda a: prisma_abu.mix(a, layer=None, size=48),
             "dream": lambda a: prisma_abu.dream(a, iter_n=1, octave_n=1, size=48),
             "style": lambda a: prisma_abu.style(ok, [a], num_iterations=1),
             "train_style": lambda a: train_style(ok, [a], TrainStyleParams(steps=1, image_size=16, width=0.25))}
    for name, strip in _strip_arrays().items():
        if verb == "train_style" and not isinstance(strip, np.ndarray):
            continue
        with pytest.raises(InvalidImageError, match="a strip; expected the longer side at most 1000 times"):
            calls[verb](strip)


def test_a_strip_video_is_one_line(tmp_path, capsys):
    from video_support import make_clip

    clip = make_clip(tmp_path / "strip.mp4", frames=2, size=(2, 2004), audio=False)
    code = main(["stylize", str(clip), "-q", "-o", str(tmp_path / "out.mp4")])
    line = _error_line(capsys)
    assert code == 2 and "strip.mp4: 2004x2 pixels, a strip; expected" in line, line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strip.mp4"]
