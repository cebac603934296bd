"""The networks the pipelines run, as the shells and batches see them.

Names, layers, whether the weights are at hand, the checks a batch makes
before it renders anything, and the machine report of ``prisma-abu doctor``.
The command line, the window and the batch runner ask here rather than in
:mod:`prisma_abu.neural`, so the networks have one public face.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..errors import InvalidParameterError, ModelError

__all__ = ["backbone_names", "layer_names", "backbone_status", "shallow_layers", "check_layers", "check_names",
           "check_weights", "fetch_weights", "environment", "resolve_run", "resolve_precision", "resolve_device",
           "arithmetic", "set_threads", "devices", "precision_verdicts", "forget_precision_verdicts",
           "backbone_report", "machine_report"]


def backbone_names() -> tuple[str, ...]:
    """Every backbone name, in the registry's order."""
    from ..neural.backbones import backbone_names as names

    return names()


def layer_names(backbone: str) -> tuple[str, ...]:
    """``backbone``'s canonical layer names in network order (no weights are loaded)."""
    from ..neural.backbones import layer_names as names

    return names(backbone)


def backbone_status(backbone: str) -> dict[str, Any]:
    """``{"weights_present": bool, "source": str, ...}`` for ``backbone``."""
    from ..neural.backbones import backbone_status as status

    return status(backbone)


def shallow_layers(backbone: str, weights: str | None = None) -> tuple[str, ...]:
    """About ten early layers of ``backbone`` (the original's all-mask loop)."""
    from ..neural.backbones import load_backbone

    return load_backbone(backbone, weights=weights).shallow_layers


def check_layers(wanted: Iterable[tuple[str, str | None, str]]) -> None:
    """Refuse an unknown layer of any ``(backbone, weights, layer)``, listing the valid ones (torch-free, but
    for a weights file: its network may have layers of its own, a Caffe model's)."""
    from ..neural.names import canonical_layer

    for backbone, weights, layer in sorted(set(wanted), key=str):
        if weights is None:
            canonical_layer(backbone, layer)
        elif layer not in layer_names(backbone):
            from ..neural.backbones import load_backbone

            load_backbone(backbone, weights=weights).resolve_layer(layer)


#: the parameter fields that name layers of ``backbone`` (``layer``: ``auto`` and None name none)
_LAYER_FIELDS = ("layer", "layers", "content_layers", "style_layers")


def check_names(params: Any) -> None:
    """Refuse, without importing torch, an unknown backbone or layer that ``params`` names: one line with the
    valid names and the closest one (``--backbone vgg17``, ``--layer blok.3``); with a ``weights`` file the
    layers are that file's, checked when it loads."""
    from ..neural.names import canonical_layer, check_backbone

    backbone = getattr(params, "backbone", None)
    if backbone is None:
        return
    check_backbone(backbone)
    if getattr(params, "weights", None) is not None:
        return  # a weights file's network may have layers of its own (a Caffe model's): checked when it loads
    for name in _LAYER_FIELDS:
        value = getattr(params, name, None)
        for layer in (value if isinstance(value, tuple) else (value,)):
            if layer is not None and layer != "auto":
                canonical_layer(backbone, layer)


def check_weights(wanted: Iterable[tuple[str, str | None]]) -> None:
    """Refuse an unknown backbone, a missing weights file, or a backbone whose weights are not at hand."""
    for backbone, weights in sorted(set(wanted), key=str):
        layer_names(backbone)  # an unknown backbone lists the valid ones
        if weights is not None:
            if not Path(weights).expanduser().is_file():
                raise InvalidParameterError(f"weights: {weights}: no such file; expected a weights file")
        elif not backbone_status(backbone)["weights_present"]:
            raise ModelError(f"{backbone}: no weights at hand ({backbone_status(backbone)['source']})")


def fetch_weights(backbone: str) -> Path:
    """Download torchvision weights once (the only call that touches the network)."""
    from ..neural.fetch import fetch_weights as fetch

    return fetch(backbone)


def environment() -> dict[str, Any]:
    """Versions, torch threads, native bf16 and CUDA, for ``prisma-abu doctor``."""
    import platform

    import numpy
    import torch
    import torchvision

    from ..neural.device import cpu_bf16

    return {"python": platform.python_version(), "numpy": numpy.__version__, "torch": torch.__version__,
            "torchvision": torchvision.__version__, "threads": torch.get_num_threads(),
            "bf16": cpu_bf16(), "cuda": torch.cuda.is_available()}


def resolve_precision(precision: str, backbone: str | None = None, device: str = "cpu",
                      weights: str | None = None) -> str:
    """The precision ``precision`` means here: ``auto`` becomes ``fp32`` or ``bf16``; the only place it is decided.

    A job resolves it once (:func:`prisma_abu.commands.resolve_job`) and records what ran; a resolved value comes
    back as it is. With a ``backbone`` (and its ``weights`` file, if the job names one), ``auto`` is measured
    once on this machine and remembered (:mod:`prisma_abu.neural.calibrate`); without one, bf16 where the
    device has it natively.

    Raises
    ------
    InvalidParameterError
        Not one of :data:`prisma_abu.params.PRECISIONS`.
    """
    from ..params import PRECISIONS

    if precision not in PRECISIONS:
        raise InvalidParameterError(f"precision: expected {', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}, "
                                    f"got {precision!r}")
    if precision != "auto":
        return precision
    from ..neural.device import native_bf16, torch_device

    where = torch_device(device)
    if backbone is None:
        return "bf16" if native_bf16(where) else "fp32"
    from ..neural.calibrate import calibrated_precision

    return calibrated_precision(backbone, where, weights=weights)


def resolve_run(params: Any, *, precision: bool = True) -> Any:
    """``params`` with its ``device`` and (with ``precision``) its ``precision`` resolved: what runs here.

    The one place both are decided together; a job's are resolved once
    (:func:`prisma_abu.commands.resolve_job`) and a resolved object comes back as it is, so a pipeline
    called from a script (``auto`` still in it) resolves it the same way on entry.
    """
    changes: dict[str, Any] = {}
    if getattr(params, "device", None) is not None:
        changes["device"] = resolve_device(params.device)
    if precision and getattr(params, "precision", None) is not None:
        changes["precision"] = resolve_precision(params.precision, getattr(params, "backbone", None),
                                                 changes.get("device", "cpu"), getattr(params, "weights", None))
    changed = {k: v for k, v in changes.items() if getattr(params, k) != v}
    return params.replace(**changed) if changed else params


def _cpu_only_here() -> bool:
    """Whether ``--device auto`` can only mean the CPU here, known without importing torch (Linux, no GPU driver)."""
    import os
    import sys

    if not sys.platform.startswith("linux"):
        return False
    return not any(os.path.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidia0", "/dev/kfd"))


def resolve_device(spec: str = "auto") -> str:
    """The device ``spec`` names here, as a picture records it (``cpu``, ``cuda:0``); a missing one is refused.

    The only place a device is decided: a job resolves it once (:func:`prisma_abu.commands.resolve_job`) and
    everything below takes the name as it is (``torch.device(name)``)."""
    from ..params.base import parse_device

    kind, _ = parse_device(spec)
    if kind == "cpu" or (kind == "auto" and _cpu_only_here()):  # known without importing torch
        return "cpu"
    from ..neural.device import device_name, torch_device

    return device_name(torch_device(spec))


def devices() -> str:
    """What this machine has: ``"the CPU and no CUDA device"``..."""
    from ..neural.device import found_devices

    return found_devices()


def forget_precision_verdicts() -> int:
    """Forget every remembered ``--precision auto`` measurement (``doctor --recalibrate``); returns how many."""
    from ..neural.calibrate import forget

    return forget()


def precision_verdicts() -> dict[str, dict[str, Any]]:
    """The remembered ``--precision auto`` measurements (``prisma-abu doctor``)."""
    from ..neural.calibrate import verdicts

    return verdicts()


def arithmetic() -> dict[str, Any]:
    """What, besides the parameters, decides a network run's bytes here: torch's thread count (the one
    recorded for this environment while torch is not imported: :func:`prisma_abu.neural.ortcache.torch_threads`)."""
    from ..neural.ortcache import torch_threads

    return {"threads": torch_threads(load=True)}


def set_threads(threads: int) -> int:
    """Run torch with ``threads`` intra-op threads; returns the count before."""
    import torch

    from ..neural.ortcache import torch_threads

    before = torch.get_num_threads()
    torch_threads()  # torch's own count is recorded for the processes that run without torch, not this one
    if threads != before:
        torch.set_num_threads(threads)
    return before


def backbone_report(name: str | None = None) -> list[dict[str, Any]]:
    """Every backbone (or ``name`` alone): its weights' status, its layers in network order and mix's default
    layer; what ``prisma-abu layers --json`` and the web studio's ``/api/backbones`` give."""
    from . import PRISMA_LAYERS

    names = backbone_names() if name is None else (name,)
    return [{"name": n, **backbone_status(n), "layers": list(layer_names(n)), "mix_default": PRISMA_LAYERS.get(n)}
            for n in names]


def machine_report() -> dict[str, Any]:
    """Versions, threads, bf16, the devices and the remembered precision verdicts: ``prisma-abu doctor --json``
    and the web studio's ``/api/devices``."""
    return {"environment": environment(), "devices": devices(), "precision": precision_verdicts(),
            "backbones": {n: backbone_status(n) for n in backbone_names()}}
