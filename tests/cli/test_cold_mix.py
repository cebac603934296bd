"""The default ``mix`` in a fresh process: from the second run on, no torch (the classifier's saliency and the
arbitrary style network run from their stored ONNX graphs), and the same bytes as the first run, which built them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from prisma_abu.data import guide_path, sample_path

_PROBE = """
import json, sys
from prisma_abu.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "torch": "torch" in sys.modules}))
"""


def _mix(cache, out, *extra: str) -> dict:
    env = {**os.environ, "PRISMA_ABU_CACHE": str(cache)}
    argv = ["mix", str(sample_path("chelsea")), "--guide", str(guide_path("swirl")), "-q", "-o", str(out), *extra]
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_second_default_mix_imports_no_torch_and_writes_the_first_runs_bytes(tmp_path):
    cache = tmp_path / "cache"
    first = _mix(cache, tmp_path / "first.png")
    assert first == {"code": 0, "torch": True}  # the first run builds the graphs with torch
    second = _mix(cache, tmp_path / "second.png")
    assert second == {"code": 0, "torch": False}
    assert (tmp_path / "second.png").read_bytes() == (tmp_path / "first.png").read_bytes()
    for graph in (cache / "saliency").glob("graph-*.onnx"):  # a damaged stored graph: built again, same bytes
        graph.write_bytes(b"not what it was")
    assert _mix(cache, tmp_path / "third.png") == {"code": 0, "torch": True}
    assert (tmp_path / "third.png").read_bytes() == (tmp_path / "first.png").read_bytes()
    assert _mix(cache, tmp_path / "fourth.png")["torch"] is False


@pytest.mark.slow
def test_a_mix_that_dreams_still_resolves_its_precision(tmp_path):
    """Only a mix without a dream skips the precision verdict: a texture's dream runs in torch, as asked."""
    cache = tmp_path / "cache"
    _mix(cache, tmp_path / "a.png", "--size", "64")
    done = _mix(cache, tmp_path / "b.png", "--size", "64", "--texture", "fine", "--force-iter-n", "1")
    assert done == {"code": 0, "torch": True}
    from prisma_abu.io import read_metadata

    assert read_metadata(tmp_path / "a.png")["params"]["precision"] == "fp32"  # what the painting ran
