"""The one place that knows the device: parse it, check it, put tensors and modules on it, pick its autocast.

``auto`` is the first CUDA device when one works, else the CPU; ``cpu``,
``cuda``, ``cuda:N`` and ``mps`` name one. A device asked for by name that is
not there is one clear :class:`~prisma_abu.errors.InvalidParameterError`
saying what was found — never a silent fallback.

Every engine asks here (:func:`torch_device`, :func:`to_device`,
:func:`autocast`), so no module spells ``.cuda()`` or assumes the CPU. A job's
device is resolved once, as a name (:func:`prisma_abu.pipeline.models.resolve_device`,
which asks :func:`torch_device`); the name is read with the knob's own
:func:`~prisma_abu.params.base.parse_device`.

Examples
--------
>>> str(torch_device("cpu"))
'cpu'
>>> parse_device("cuda:1")
('cuda', 1)
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

import torch

from ..errors import InvalidParameterError
from ..params.base import DEVICES, parse_device  # noqa: F401 (its names: one reading of a device name)

__all__ = ["DEVICES", "parse_device", "torch_device", "device_name", "to_device", "autocast", "found_devices",
           "cuda_bf16", "cpu_bf16", "native_bf16", "resize_tensor"]


def _cuda_count() -> int:
    try:
        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except (RuntimeError, AssertionError):
        return 0


def _mps() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def found_devices() -> str:
    """What this machine has, in words: ``"the CPU and 2 CUDA devices (cuda:0, cuda:1)"``."""
    n = _cuda_count()
    parts = ["the CPU"]
    if n:
        parts.append(f"{n} CUDA device{'s' if n > 1 else ''} ({', '.join(f'cuda:{i}' for i in range(n))})")
    else:
        parts.append("no CUDA device")
    if _mps():
        parts.append("MPS")
    return " and ".join(parts) if len(parts) < 3 else f"{parts[0]}, {parts[1]} and {parts[2]}"


def _works(device: torch.device) -> bool:
    try:
        return bool((torch.ones(2, device=device) * 2).sum().item() == 4)
    except RuntimeError:
        return False


def torch_device(spec: str = "auto") -> torch.device:
    """The torch device ``spec`` names on this machine (``auto``: the first working CUDA device, else the CPU).

    Raises
    ------
    InvalidParameterError
        A malformed name, or a device that is not there (the message says what was found).
    """
    kind, index = parse_device(spec)
    if kind == "auto":
        if _cuda_count() and _works(torch.device("cuda", 0)):
            return _tuned(torch.device("cuda", 0))
        return torch.device("cpu")
    if kind == "cpu":
        return torch.device("cpu")
    if kind == "mps":
        if not _mps():
            raise InvalidParameterError(f"device mps: not available; found {found_devices()}")
        return torch.device("mps")
    count = _cuda_count()
    index = 0 if index is None else index
    if index >= count:
        raise InvalidParameterError(f"device {spec}: not available; found {found_devices()}")
    return _tuned(torch.device("cuda", index))


def _tuned(device: torch.device) -> torch.device:
    """A CUDA device with cuDNN's autotuner on: each run keeps its sizes, so the fastest kernels are found once."""
    torch.backends.cudnn.benchmark = True
    return device


def device_name(device: torch.device | str) -> str:
    """``"cpu"``, ``"cuda:0"``, ``"mps"``: what a picture records."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda:{0 if device.index is None else device.index}"
    return device.type


def to_device(value: Any, device: torch.device) -> Any:
    """A tensor (pinned first, for a fast copy to a GPU) or a module, on ``device``."""
    if isinstance(value, torch.Tensor):
        if device.type == "cuda" and value.device.type == "cpu":
            return value.pin_memory().to(device, non_blocking=True)
        return value.to(device)
    return value.to(device)


def cuda_bf16(device: torch.device) -> bool:
    """Whether a CUDA device does bf16 (Ampere and newer); else fp16 with a gradient scaler."""
    if device.type != "cuda":
        return False
    try:
        return bool(torch.cuda.is_bf16_supported())
    except (RuntimeError, AssertionError):
        return False


@functools.lru_cache(maxsize=4)
def cpu_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU has native bf16 instructions (``avx512_bf16`` or ``amx_bf16``).

    Read from the kernel's CPU flags (``cpuinfo``; no public torch API says it): False where there is
    no such file (then ``auto`` runs fp32 on the CPU without measuring).
    """
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as info:
            flags = next((line.split(":", 1)[1].split() for line in info if line.startswith("flags")), [])
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` runs bf16 natively: a CUDA device with bf16, or a CPU with :func:`cpu_bf16`."""
    return cuda_bf16(device) if device.type == "cuda" else device.type == "cpu" and cpu_bf16()


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """The autocast of ``precision`` on ``device``: bf16 on a CPU; bf16, or fp16 without it, on a GPU.

    ``fp16`` asks for fp16 wherever it runs; ``fp32`` (and a device without autocast) runs as it is.
    """
    if precision == "fp32" or device.type not in ("cpu", "cuda"):
        yield
        return
    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    if device.type == "cuda" and dtype == torch.bfloat16 and not cuda_bf16(device):
        dtype = torch.float16
    with torch.autocast(device.type, dtype=dtype):
        yield


# -- a network's device; pictures as tensors: the one conversion between (M, N, 3) arrays and 1x3xMxN
# tensors, and their check

__all__ += ["device_of", "to_tensor", "to_array", "check_image_tensor"]


def device_of(module: torch.nn.Module) -> torch.device:
    """Where a network's weights live (the CPU for one without any)."""
    for parameter in module.parameters():
        return parameter.device
    for buffer in module.buffers():
        return buffer.device
    return torch.device("cpu")


def to_tensor(image: Any) -> torch.Tensor:
    """(M, N, 3) float 0..255 array -> 1x3xMxN float32 tensor on the CPU (a copy: the array may be read-only)."""
    import numpy as np

    return torch.from_numpy(np.array(np.moveaxis(np.asarray(image), -1, 0), dtype=np.float32, order="C"))[None]


def to_array(tensor: torch.Tensor) -> Any:
    """1x3xMxN tensor -> (M, N, 3) float32 array (detached, a copy)."""
    return tensor.detach()[0].permute(1, 2, 0).float().cpu().contiguous().numpy().copy()


def check_image_tensor(image: Any, min_size: int = 1, *, name: str = "", net: str = "") -> tuple[int, int]:
    """Height and width of an ``Nx3xHxW`` float tensor (RGB 0..255) with both sides >= ``min_size``.

    ``name`` (the picture) prefixes the messages and ``net`` says whose minimum size it is.

    Raises
    ------
    InvalidImageError
        On anything else; the message names what was wrong and what was expected.
    """
    from ..errors import InvalidImageError

    where = f"{name}: " if name else ""
    if not isinstance(image, torch.Tensor):
        raise InvalidImageError(f"{where}expected a torch.Tensor image, got {type(image).__name__}")
    if image.ndim != 4 or image.shape[1] != 3:
        shape = "x".join(map(str, image.shape))
        raise InvalidImageError(f"{where}expected an Nx3xHxW image tensor, got shape {shape}")
    if not image.is_floating_point():
        raise InvalidImageError(f"{where}expected a float image tensor (RGB 0..255), got {image.dtype}")
    h, w = int(image.shape[-2]), int(image.shape[-1])
    if min(h, w) < min_size:
        whose = f" for {net}" if net else ""
        raise InvalidImageError(f"{name or 'picture'} too small{whose}: expected both sides >= {min_size} px, "
                                f"got {w}x{h}")
    return h, w


def resize_tensor(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A 3xHxW or Nx3xHxW picture tensor at ``size``: bilinear, antialiased when shrinking."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    batch = x if x.ndim == 4 else x[None]
    shrink = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    out = torch.nn.functional.interpolate(batch, size=size, mode="bilinear", align_corners=False, antialias=shrink)
    return out if x.ndim == 4 else out[0]
