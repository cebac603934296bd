"""The benchmark scripts start and refuse what they cannot do (they are timed by hand, not here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)


def test_the_gpu_check_without_a_gpu_is_one_line_and_exit_2():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is here: run bench/gpu_check.py by hand")
    done = _run(str(BENCH / "gpu_check.py"))
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpu_check: ") and "cuda" in lines[0].lower()


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_every_benchmark_explains_itself(script):
    done = _run(str(BENCH / script), "--help")
    assert done.returncode == 0 and "usage:" in done.stdout
