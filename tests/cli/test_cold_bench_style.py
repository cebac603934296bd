"""bench/style.py labels ``auto`` with what the style pipeline really runs (the stored verdict), not a CPU flag."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")

BENCH = Path(__file__).resolve().parents[2] / "bench" / "style.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_style", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("stored", ["fp32", "bf16"])
def test_auto_is_labelled_with_the_stored_verdict(stored, monkeypatch):
    from prisma_abu.neural.calibrate import FORCE_ENV, calibration_file, machine_key
    from prisma_abu.neural.device import cpu_bf16
    from prisma_abu.neural.device import torch_device
    from prisma_abu.params import StyleParams

    monkeypatch.delenv(FORCE_ENV, raising=False)
    params = StyleParams(device="cpu")
    key = machine_key(params.backbone, torch_device("cpu"), params.weights)
    path = calibration_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_bytes() if path.exists() else None
    path.write_text(json.dumps({key: {"verdict": stored, "settled": True, "fp32_s": 0.05, "bf16_s": 0.03,
                                      "ratio": 0.6, "spread": 0.02, "attempts": 1,
                                      "measured": "2026-12-05T08:00:00"}}))
    try:
        bench = _bench()
        labels = bench._labels("auto", params, 3)
        reason = bench.auto_reason(params)
    finally:
        if before is None:
            path.unlink()
        else:
            path.write_bytes(before)
    ran = stored if cpu_bf16() else "fp32"  # no native bf16: fp32 whatever is stored
    assert labels == {f"auto (= {ran})": ran}
    if cpu_bf16():
        assert reason.startswith(f"stored verdict {stored} for {params.backbone} (settled")
    else:
        assert "without native bf16" in reason


def test_a_forced_verdict_is_what_auto_runs_and_says(monkeypatch):
    from prisma_abu.neural.calibrate import FORCE_ENV
    from prisma_abu.params import StyleParams

    bench = _bench()
    for forced in ("fp32", "bf16"):
        monkeypatch.setenv(FORCE_ENV, forced)
        assert bench._labels("all", StyleParams(device="cpu"), 2) == {"fp32": "fp32", "bf16": "bf16",
                                                                      f"auto (= {forced})": forced}
        assert bench.auto_reason(StyleParams(device="cpu")) == f"forced by {FORCE_ENV}={forced}"
