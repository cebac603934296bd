"""``--precision auto`` by measurement: fp32 against bf16 on this machine, once per backbone, remembered.

A CPU flag does not tell whether bf16 pays: on an AMD EPYC with avx512_bf16 it
was 2–3x faster than fp32, on an Intel Xeon with the same flag 1.06–1.65x
slower. So the first time a backbone runs with ``auto`` on a device that has
native bf16, forward+backward steps are timed in both precisions and the
faster one is kept, in the user cache (``precision.json``), keyed by CPU (or
GPU) model, torch version, thread count, backbone (and weights file) and
device kind. A CPU without native bf16 is fp32 with no measurement (bf16
would be emulated). ``PRISMA_ABU_PRECISION_AUTO=fp32|bf16`` forces the
verdict.

One noisy sample must not decide for ever (a busy machine once stored the
slower precision for vgg16, costing 1.9x on every later run): the steps
alternate fp32, bf16, fp32, bf16... so a burst of load hits both steps of
a pair, each pair gives a ratio, and the quartiles of the ratios decide
(:func:`decide`); a difference inside the noise is *not settled*: fp32
(exact) is used and the next run measures again, up to ``ATTEMPTS`` times.
``prisma-abu doctor --recalibrate`` forgets every verdict.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import torch

from ..errors import InvalidParameterError
from .cache import read_json, write
from .weights import cache_dir

__all__ = ["calibrated_precision", "verdicts", "forget", "machine_key", "calibration_file", "measure", "decide",
           "step_seconds", "FORCE_ENV"]

FORCE_ENV = "PRISMA_ABU_PRECISION_AUTO"
#: forward+backward steps timed per precision (alternating, after one warm-up each), at this side
STEPS, SIDE = 9, 192
#: bf16 must be faster than fp32 by this fraction (in three quarters of the step pairs) to be chosen
MARGIN = 0.05
#: measurements of an unsettled verdict before fp32 is kept for good
ATTEMPTS = 3


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
    """``"<CPU or GPU model> | torch <version> | <n> threads | <backbone> | <device kind>"``, then ``| <weights file>``.

    A user's weights file may hold another network than the default one of the
    same name (a smaller Caffe GoogLeNet, say), so its verdict is its own.
    """
    if device.type == "cuda":
        chip = torch.cuda.get_device_name(device)
    else:
        chip = _cpu_model()
    key = f"{chip} | torch {torch.__version__} | {torch.get_num_threads()} threads | {backbone} | {device.type}"
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
    fields = ("verdict", "fp32_s", "bf16_s", "measured", "settled", "attempts", "ratio", "spread")
    return {k: {f: v[f] for f in fields if f in v}
            for k, v in data.items() if isinstance(k, str) and len(k) < 5000 and _valid(v)}


def _write(data: dict[str, Any]) -> None:
    write(calibration_file(), json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


def step_seconds(backbone: Any, device: torch.device, precision: str, image: torch.Tensor) -> float:
    """Seconds of one forward+backward step of ``backbone`` at its default layer in ``precision``."""
    from .device import autocast

    layer = backbone.default_layer
    image = image.clone().requires_grad_(True)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    with autocast(device, precision):
        value = backbone(image, [layer])[layer].float().pow(2).sum()
    value.backward()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def measure(backbone: Any, device: torch.device, steps: int = STEPS) -> dict[str, list[float]]:
    """Seconds of ``steps`` steps in each precision, taken alternately (fp32, bf16, fp32...) after a warm-up of each."""
    x = torch.rand(1, 3, SIDE, SIDE, device=device) * 255
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for precision in times:
        step_seconds(backbone, device, precision, x)
    for _ in range(steps):
        for precision in times:
            times[precision].append(step_seconds(backbone, device, precision, x))
    return times


def decide(times: dict[str, list[float]]) -> dict[str, Any]:
    """The verdict from alternating timings: bf16 only when it beats fp32 by more than ``MARGIN`` beyond the noise.

    Each bf16 step is compared with the fp32 step just before it (a burst of
    load slows both), and the quartiles of those ratios decide: bf16 if even
    the upper quartile is under ``1 - MARGIN``, fp32 if even the lower one is
    over it, otherwise not settled (fp32, measured again on the next run).
    Returns ``{"verdict", "settled", "fp32_s", "bf16_s", "ratio", "spread"}``
    (medians in seconds; the median ratio bf16/fp32 and its interquartile range).
    """
    ratios = [b / a for a, b in zip(times["fp32"], times["bf16"]) if a > 0]
    if len(ratios) < 2:
        return {"verdict": "fp32", "settled": False, "fp32_s": 0.0, "bf16_s": 0.0, "ratio": 1.0, "spread": 1.0}
    q1, ratio, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    faster_bf16 = q3 < 1 - MARGIN
    return {"verdict": "bf16" if faster_bf16 else "fp32", "settled": faster_bf16 or q1 > 1 - MARGIN,
            "fp32_s": round(statistics.median(times["fp32"]), 5), "bf16_s": round(statistics.median(times["bf16"]), 5),
            "ratio": round(ratio, 3), "spread": round(q3 - q1, 3)}


def _native_bf16(device: torch.device) -> bool:
    """:func:`prisma_abu.neural.device.native_bf16` (the tests force either answer here, so the measuring
    path runs on every CPU)."""
    from .device import native_bf16

    return native_bf16(device)


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
    attempts = 0
    if isinstance(entry, dict) and entry.get("verdict") in ("fp32", "bf16"):
        attempts = entry.get("attempts", 1) if isinstance(entry.get("attempts", 1), int) else ATTEMPTS
        if entry.get("settled", True) or attempts >= ATTEMPTS:
            return entry["verdict"]
    if load is None:
        from .backbones import load_backbone

        def load():
            return load_backbone(backbone, weights=weights, device=device)

    net = load()
    entry = {**decide(measure(net, device)), "attempts": attempts + 1,
             "measured": _dt.datetime.now().isoformat(timespec="seconds")}
    data[key] = entry
    _write(data)
    return entry["verdict"]


def forget() -> int:
    """Forget every remembered verdict (``prisma-abu doctor --recalibrate``); returns how many there were."""
    count = len(verdicts())
    try:
        calibration_file().unlink()
    except FileNotFoundError:
        pass
    return count


def verdicts() -> dict[str, dict[str, Any]]:
    """Every remembered verdict (``prisma-abu doctor`` lists them)."""
    return _read()
