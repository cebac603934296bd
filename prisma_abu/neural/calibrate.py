"""``--precision auto`` by measurement: fp32 against bf16 on this machine, once per backbone, remembered.

A CPU flag does not tell whether bf16 pays: on an AMD EPYC with avx512_bf16 it
was 2–3x faster than fp32, on an Intel Xeon with the same flag 1.06–1.65x
slower. So the first time a backbone runs with ``auto`` on a device that has
native bf16, a few forward+backward steps at a small size are timed in both
precisions and the faster one is kept, in the user cache
(``precision.json``), keyed by CPU (or GPU) model, torch version, backbone
and device kind. A CPU without native bf16 is fp32 with no measurement (bf16
would be emulated). ``PRISMA_ABU_PRECISION_AUTO=fp32|bf16`` forces the
verdict (the tests use it to run a bf16 machine's path anywhere).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import time
from pathlib import Path
from typing import Any, Callable

import torch

from ..errors import InvalidParameterError
from .cache import read_json, write
from .weights import cache_dir

__all__ = ["calibrated_precision", "verdicts", "machine_key", "calibration_file", "measure", "FORCE_ENV"]

FORCE_ENV = "PRISMA_ABU_PRECISION_AUTO"
#: forward+backward steps timed per precision (after one warm-up), at this side
STEPS, SIDE = 3, 128


def calibration_file() -> Path:
    return cache_dir() / "precision.json"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key(backbone: str, device: torch.device, weights: str | os.PathLike[str] | None = None) -> str:
    """``"<CPU or GPU model> | torch <version> | <backbone> | <device kind>"``, then ``| <weights file>`` if one is given.

    A user's weights file may hold another network than the default one of the
    same name (a smaller Caffe GoogLeNet, say), so its verdict is its own.
    """
    if device.type == "cuda":
        chip = torch.cuda.get_device_name(device)
    else:
        chip = _cpu_model()
    key = f"{chip} | torch {torch.__version__} | {backbone} | {device.type}"
    if weights is not None:
        key += f" | {os.path.abspath(os.fspath(weights))}"
    return key


def _valid(entry: Any) -> bool:
    """A verdict as :func:`calibrated_precision` writes it."""
    return (isinstance(entry, dict) and entry.get("verdict") in ("fp32", "bf16")
            and all(isinstance(entry.get(k), (int, float)) and not isinstance(entry.get(k), bool)
                    for k in ("fp32_s", "bf16_s"))
            and isinstance(entry.get("measured"), str))


def _read() -> dict[str, Any]:
    """The remembered verdicts; a broken ``precision.json`` is ignored (one warning) and rebuilt."""
    data = read_json(calibration_file()) or {}
    return {k: {f: v[f] for f in ("verdict", "fp32_s", "bf16_s", "measured")}
            for k, v in data.items() if isinstance(k, str) and len(k) < 5000 and _valid(v)}


def _write(data: dict[str, Any]) -> None:
    write(calibration_file(), json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def measure(backbone: Any, device: torch.device, precision: str) -> float:
    """Median seconds of a forward+backward step of ``backbone`` at its default layer in ``precision``."""
    from .device import autocast

    x = torch.rand(1, 3, SIDE, SIDE, device=device) * 255
    layer = backbone.default_layer
    times = []
    for step in range(STEPS + 1):
        image = x.clone().requires_grad_(True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        with autocast(device, precision):
            value = backbone(image, [layer])[layer].float().pow(2).sum()
        value.backward()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if step:
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _native_bf16(device: torch.device) -> bool:
    from .deepdream import bf16_supported
    from .device import cuda_bf16

    return cuda_bf16(device) if device.type == "cuda" else device.type == "cpu" and bf16_supported()


def calibrated_precision(backbone: str, device: torch.device, *,
                         weights: str | os.PathLike[str] | None = None,
                         load: Callable[[], Any] | None = None) -> str:
    """``fp32`` or ``bf16``: what ``auto`` means for ``backbone`` on ``device``, measured once and remembered.

    The network timed is the job's own: ``backbone`` with its ``weights`` file
    when one is given (the default location is never looked up then).
    ``load()`` gives the backbone to time instead
    (default: :func:`~prisma_abu.neural.backbones.load_backbone`).
    """
    forced = os.environ.get(FORCE_ENV)
    if forced:
        if forced not in ("fp32", "bf16"):
            raise InvalidParameterError(f"{FORCE_ENV}: expected fp32 or bf16, got {forced!r}")
        return forced
    if not _native_bf16(device):
        return "fp32"
    key = machine_key(backbone, device, weights)
    data = _read()
    entry = data.get(key)
    if entry is not None:
        return entry["verdict"]
    if load is None:
        from .backbones import load_backbone

        def load():
            return load_backbone(backbone, weights=weights, device=device)

    net = load()
    fp32, bf16 = measure(net, device, "fp32"), measure(net, device, "bf16")
    verdict = "bf16" if bf16 < fp32 else "fp32"
    data[key] = {"verdict": verdict, "fp32_s": round(fp32, 5), "bf16_s": round(bf16, 5),
                 "measured": _dt.datetime.now().isoformat(timespec="seconds")}
    _write(data)
    return verdict


def verdicts() -> dict[str, dict[str, Any]]:
    """Every remembered verdict (``prisma-abu doctor`` lists them)."""
    return _read()
