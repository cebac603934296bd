"""A bad input is refused in a fresh process before torch (or scipy, onnxruntime) is imported: one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: runs ``prisma-abu ARGV`` in this process, then prints which heavy libraries it imported
_PROBE = """
import json, sys
from prisma_abu.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "imported": sorted(m for m in ("torch", "torchvision", "onnxruntime", "scipy")
                                                   if m in sys.modules)}))
"""


def _refuse(argv: list[str], cache) -> tuple[dict, list[str]]:
    """``prisma-abu ARGV`` in a fresh process with an empty cache (the first run ever: nothing remembered)."""
    env = {**os.environ, "PRISMA_ABU_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr.strip().splitlines()


@pytest.mark.parametrize("argv", [
    ["stylize", "nosuch.jpg", "--model", "multistyle26:7"],
    ["stylize", "sample/chelsea.jpg", "--model", "arbitrary", "--style-image", "nosuch.jpg"],
    ["mix", "nosuch.jpg", "--guide", "stylized:multistyle26:7"],
    ["replay", "nosuch.png"],
    ["mix", "nosuch.jpg"],
    ["mix", "sample/chelsea.jpg", "--guide", "nosuch.jpg"],
    ["dream", "nosuch.jpg"],
    ["dream", "sample/chelsea.jpg", "--guide", "README.md"],  # a file that is no picture
    ["mask", "nosuch.jpg"],
    ["style", "sample/chelsea.jpg", "--style", "nosuch.jpg"],
    ["style", "nosuch.jpg", "--style", "sample/chelsea.jpg"],
], ids=lambda argv: "-".join(a.replace("/", "_") for a in argv))
def test_bad_input_refused_before_torch(argv, tmp_path):
    result, stderr = _refuse([*argv, "-o", str(tmp_path / "out.png")], tmp_path / "cache")
    assert result == {"code": 2, "imported": []}
    assert len(stderr) == 1 and stderr[0].startswith("prisma-abu: error: ") and "expected" in stderr[0]
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("argv", [
    ["stylize", "sample/chelsea.jpg", "--model", "multistyle26:7"],
    ["dream", "sample/chelsea.jpg"],
], ids=["stylize", "dream"])
def test_an_output_that_cannot_be_written_is_refused_before_torch(argv, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    result, stderr = _refuse([*argv, "-o", str(blocker / "out.png")], tmp_path / "cache")  # below a file
    assert result == {"code": 2, "imported": []}
    assert len(stderr) == 1 and str(blocker) in stderr[0] and "expected" in stderr[0]
