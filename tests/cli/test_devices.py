"""--device (and neural-style's -gpu) on every network command: what ran is recorded; a missing one is one line."""

from __future__ import annotations

import pytest
import torch

from prisma_abu.cli import main
from prisma_abu.io import read_metadata

from cli_support import GUIDE, SAMPLE, _error_line

NO_GPU = not torch.cuda.is_available()


@pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
@pytest.mark.parametrize("argv", [
    ["dream", SAMPLE, "--iter-n", "1", "--octave-n", "1", "--size", "48", "--device", "cuda"],
    ["mix", SAMPLE, "--guide", GUIDE, "--size", "48", "--device", "cuda:1"],
    ["style", SAMPLE, "--style", GUIDE, "--size", "32", "--num-iterations", "1", "-gpu", "0"],
    ["stylize", SAMPLE, "--size", "48", "--device", "cuda"],
])
def test_a_device_that_is_not_there_is_one_line_and_nothing_written(tmp_path, capsys, argv):
    out = tmp_path / "o.png"
    assert main([*argv, "-q", "-o", str(out)]) == 2
    assert "not available; found the CPU and no CUDA device" in _error_line(capsys)
    assert not out.exists()


def test_a_bad_device_name_is_one_line(tmp_path, capsys):
    assert main(["dream", SAMPLE, "--device", "gpu", "-q", "-o", str(tmp_path / "o.png")]) == 2
    assert "device: expected auto, cpu, cuda, cuda:N or mps, got 'gpu'" in _error_line(capsys)


@pytest.mark.parametrize("argv, command", [
    (["dream", SAMPLE, "--iter-n", "1", "--octave-n", "1", "--size", "48"], "dream"),
    (["style", SAMPLE, "--style", GUIDE, "--size", "32", "--num-iterations", "1", "--scales", "1", "-gpu", "-1"],
     "style"),
    (["stylize", SAMPLE, "--size", "64"], "stylize"),
])
def test_the_device_and_precision_that_ran_are_recorded(tmp_path, argv, command):
    out = tmp_path / "o.png"
    assert main([*argv, "-q", "-o", str(out)]) == 0
    meta = read_metadata(out)
    expected = "cuda:0" if not NO_GPU and "-gpu" not in argv else "cpu"
    assert meta["params"]["device"] == expected and meta["arithmetic"]["device"] == expected
    assert meta["requested"]["device"] == ("cpu" if "-gpu" in argv else "auto")
    if command != "stylize":
        assert meta["params"]["precision"] in ("fp32", "bf16") and meta["requested"]["precision"] == "auto"
    else:
        assert meta["arithmetic"]["precision"] in ("fp32", "bf16", "fp16") and meta["arithmetic"]["runtime"]


def test_a_picture_without_a_device_replays_on_the_cpu(tmp_path):
    """0.1.0 pictures carry no device: they ran on the CPU, and replay there."""
    from prisma_abu.params import DreamParams, params_from_metadata

    data = {"kind": "dream", **DreamParams().to_dict()}
    data.pop("device")
    assert params_from_metadata(data).device == "cpu"


@pytest.mark.skipif(not NO_GPU, reason="this machine has a GPU")
def test_a_batch_on_a_device_that_is_not_there_writes_nothing(tmp_path, capsys):
    out = tmp_path / "b"
    argv = ["batch", "--command", "dream", "--source", SAMPLE, "--set", "iter_n=1", "--set", "octave_n=1",
            "--set", "size=32", "-q", "-o", str(out)]
    assert main([*argv, "--device", "cuda:1"]) == 2
    assert "device cuda:1: not available; found the CPU and no CUDA device" in _error_line(capsys)
    assert not out.exists()
    assert main([*argv, "--set", "device=cpu,cuda"]) == 2  # a grid of devices is checked too
    assert not out.exists()


def test_a_batch_records_the_device_it_was_given(tmp_path):
    out = tmp_path / "b"
    assert main(["batch", "--command", "dream", "--source", SAMPLE, "--set", "iter_n=1", "--set", "octave_n=1",
                 "--set", "size=32", "--device", "cpu", "-q", "-o", str(out), "--date", "2026-01-02"]) == 0
    (picture,) = (out / "2026-01-02").rglob("*_default.png")
    meta = read_metadata(picture)
    assert meta["params"]["device"] == "cpu" and meta["requested"]["device"] == "cpu"
