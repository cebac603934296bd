"""The arbitrary network's converted weights and onnxruntime graphs are kept in the cache: a later process
paints the same bytes without importing onnx, and a damaged cache file is rebuilt, never fatal."""

from __future__ import annotations

import subprocess
import sys

import pytest

from prisma_abu.data import guide_path, sample_path

MIX = ("import sys; from prisma_abu.cli import main; "
       "code = main(['mix', {photo!r}, '--guide', {guide!r}, '--size', '96', '-q', '-o', {out!r}]); "
       "print('onnx' in sys.modules); sys.exit(code)")


def _mix(tmp_path, out, cache):
    code = MIX.format(photo=str(sample_path("chelsea")), guide=str(guide_path("swirl")), out=str(out))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**_env(), "PRISMA_ABU_CACHE": str(cache)})
    assert run.returncode == 0, run.stderr
    return run.stdout.split()[-1] == "True"  # after the path the command prints


def _env():
    import os

    return {k: v for k, v in os.environ.items() if k != "PRISMA_ABU_CACHE"}


@pytest.mark.slow
def test_the_second_process_skips_onnx_and_paints_the_same_bytes(tmp_path):
    cache = tmp_path / "cache"
    assert _mix(tmp_path, tmp_path / "first.png", cache) is True  # the first run builds (and imports onnx)
    stored = sorted(p.name.split("-")[0] for p in (cache / "stylenets").iterdir())
    assert {"arbitrary_predict", "arbitrary_transform", "graph"} <= set(stored)  # the weights, the two graphs
    assert len([name for name in stored if name == "graph"]) == 2 and any(p.suffix == ".json" for p in
                                                                          (cache / "stylenets").iterdir())
    assert _mix(tmp_path, tmp_path / "second.png", cache) is False
    assert (tmp_path / "second.png").read_bytes() == (tmp_path / "first.png").read_bytes()
    for damaged in (cache / "stylenets").iterdir():  # every stored file damaged: built again, same bytes
        damaged.write_bytes(b"not what it was")
    assert _mix(tmp_path, tmp_path / "third.png", cache) is True
    assert (tmp_path / "third.png").read_bytes() == (tmp_path / "first.png").read_bytes()
