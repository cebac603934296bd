"""Feed-forward style networks: one interface, a registry of sources, one inference call.

A :class:`StyleNet` maps ``Nx3xHxW`` float32 RGB in 0..255 to the same shape
and range (the project's tensor convention), at any size from
:attr:`StyleNet.min_size` up.  Networks come from *sources*, named by a
spec string given to :func:`load_stylenet`:

``multistyle26:7``, ``multistyle26:3=0.5,12=0.5``
    The 26-style network (one style or a blend), see
    :mod:`prisma_abu.neural.stylenets.magenta`.
``arbitrary``
    Any picture as the style: ``load_stylenet("arbitrary", style_image=array)``.
``path/to/model.pth`` (a file)
    Dispatched by suffix to the loaders registered with
    :func:`register_file_loader`.

Modules of this package register their sources when imported; the package
imports them all (lazily, on the first :func:`load_stylenet` or
:func:`builtin_models`), so a new module dropped here registers itself
without any edit to this file.  Importing this package loads no model.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from prisma_abu.errors import InvalidParameterError, ModelError

__all__ = [
    "StyleNet",
    "SourceLoader",
    "FileLoader",
    "register_source",
    "register_file_loader",
    "load_stylenet",
    "builtin_models",
    "source_names",
    "file_suffixes",
    "check_strength",
    "stylize_tensor",
    "run_plan",
    "PRECISIONS",
    "RUNTIMES",
]

#: ``precision`` values of :func:`stylize_tensor`.
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
#: ``runtime`` values of :func:`stylize_tensor`.
RUNTIMES = ("auto", "torch", "onnxruntime")


class StyleNet(nn.Module):
    """A feed-forward stylization network: picture in, picture out.

    Subclasses implement :meth:`forward` on ``Nx3xHxW`` float32 RGB 0..255
    (any H, W >= :attr:`min_size`) returning the same shape in 0..255, and set
    the attributes below.  A subclass may also implement ``onnx_core()``
    (the module :func:`prisma_abu.neural.stylenets.runtime.build_graph`
    writes as ONNX) and ``onnx_style(image)`` (its ``1xD`` style input) to
    get the ONNX Runtime path of :func:`stylize_tensor`.

    Attributes
    ----------
    name : str
        The spec that reloads it, e.g. ``"multistyle26:7"``.
    min_size : int
        Smallest accepted picture side, in pixels.
    sha256 : str
        Identity of the weights (the source file's sha256) for provenance.
    """

    name: str = ""
    min_size: int = 32
    sha256: str = ""

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


#: ``loader(argument, device=..., **options) -> StyleNet``; ``argument`` is what follows ``prefix:``.
SourceLoader = Callable[..., StyleNet]
#: ``loader(path, device=..., **options) -> StyleNet``.
FileLoader = Callable[..., StyleNet]


@dataclass(frozen=True)
class _Source:
    prefix: str
    loader: SourceLoader
    description: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class _FileKind:
    name: str
    suffixes: tuple[str, ...]
    loader: FileLoader
    sniff: Callable[[Path], bool] | None = field(default=None)


_lock = threading.RLock()
_sources: dict[str, _Source] = {}
_file_kinds: list[_FileKind] = []
_discovered = False


def register_source(prefix: str, loader: SourceLoader, *, description: str,
                    examples: Sequence[str] = ()) -> None:
    """Register a named model source (``prefix`` or ``prefix:argument`` specs).

    Parameters
    ----------
    prefix : str
        Lower-case name without ``:`` or path separators.
    loader : callable
        ``loader(argument: str, *, device, **options) -> StyleNet``;
        ``argument`` is ``""`` for a bare prefix.
    description : str
        One line for ``prisma-abu models``.
    examples : sequence of str
        Specs shown in listings and error messages.
    """
    if not prefix or any(ch in prefix for ch in ":/\\") or prefix != prefix.lower():
        raise InvalidParameterError(f"source prefix: expected a lower-case word, got {prefix!r}")
    with _lock:
        _sources[prefix] = _Source(prefix, loader, description, tuple(examples) or (prefix,))


def register_file_loader(name: str, suffixes: Sequence[str], loader: FileLoader, *,
                         sniff: Callable[[Path], bool] | None = None) -> None:
    """Register a loader for model files by suffix (and optionally content).

    Parameters
    ----------
    name : str
        What the files are, e.g. ``"TransformerNet state dict"``; re-registering
        a name replaces it.
    suffixes : sequence of str
        Lower-case suffixes with the dot, e.g. ``(".pth", ".model")``.
    loader : callable
        ``loader(path: Path, *, device, **options) -> StyleNet``.
    sniff : callable, optional
        ``sniff(path) -> bool``: whether this loader takes the file, when
        several loaders share a suffix (tried in registration order).
    """
    kind = _FileKind(name, tuple(s.lower() for s in suffixes), loader, sniff)
    with _lock:
        _file_kinds[:] = [k for k in _file_kinds if k.name != name] + [kind]


def _discover() -> None:
    """Import every module of this package once, so each registers its sources."""
    global _discovered
    with _lock:
        if _discovered:
            return
        _discovered = True
        for module in pkgutil.iter_modules(__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{__name__}.{module.name}")


def source_names() -> list[str]:
    """Registered source prefixes, sorted."""
    _discover()
    return sorted(_sources)


def file_suffixes() -> list[str]:
    """Model file suffixes some loader takes."""
    _discover()
    return sorted({s for kind in _file_kinds for s in kind.suffixes})


def builtin_models() -> list[tuple[str, str]]:
    """``(spec, description)`` for every registered source, for ``prisma-abu models``."""
    _discover()
    return [(", ".join(src.examples), src.description) for _, src in sorted(_sources.items())]


def _valid_specs() -> str:
    examples = [e for src in sorted(_sources.values(), key=lambda s: s.prefix) for e in src.examples]
    suffixes = file_suffixes()
    files = f", or a model file ({', '.join(suffixes)})" if suffixes else ""
    return ", ".join(examples) + files


def _looks_like_path(spec: str) -> bool:
    if os.sep in spec or "/" in spec or Path(spec).suffix.lower() in file_suffixes():
        return True
    try:
        return Path(spec).is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte: not a file there
        return len(spec) > 255


def _load_file(path: Path, device: Any, options: dict[str, Any]) -> StyleNet:
    from prisma_abu.neural.modelfiles import model_file

    model_file(path, "model file")  # a regular file within the size limit, before sniffing its first bytes
    candidates = [k for k in _file_kinds if path.suffix.lower() in k.suffixes]
    if not candidates:
        raise ModelError(
            f"no loader for {path.name}: expected a file ending in {', '.join(file_suffixes()) or '(none registered)'}"
        )
    for kind in candidates:
        if kind.sniff is None or kind.sniff(path):
            return kind.loader(path, device=device, **options)
    names = ", ".join(k.name for k in candidates)
    raise ModelError(f"{path} is not a model file prisma_abu can read: expected one of {names}")


def load_stylenet(spec: str, *, device: torch.device | str | None = None, **options: Any) -> StyleNet:
    """Load a style network from a spec string.

    Parameters
    ----------
    spec : str
        ``prefix`` or ``prefix:argument`` of a registered source
        (``multistyle26:7``, ``multistyle26:3=0.5,12=0.5``, ``arbitrary``), or
        the path of a model file.
    device : torch.device or str, optional
        Where to put the network (default CPU).
    **options
        Passed to the source's loader, e.g. ``style_image=`` and ``strength=``
        for ``arbitrary``.

    Returns
    -------
    StyleNet
        In eval mode, on ``device``.

    Raises
    ------
    InvalidParameterError
        Unknown name (the message lists the valid ones) or bad argument.
    ModelError
        The weights cannot be had.
    """
    _discover()
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidParameterError(f"model: expected one of {_valid_specs()}, got {spec!r}")
    spec = spec.strip()
    prefix, _, argument = spec.partition(":")
    source = _sources.get(prefix.lower())
    if source is not None:
        net = source.loader(argument, device=device, **options)
    elif _looks_like_path(spec):
        net = _load_file(Path(spec).expanduser(), device, options)
    else:
        raise InvalidParameterError(f"unknown model {spec!r}; expected one of {_valid_specs()}")
    net.eval()
    return net.to(device) if device is not None else net


# -- checks ---------------------------------------------------------------------------


def check_strength(strength: float) -> float:
    """``strength`` as a float in 0..1, else InvalidParameterError."""
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"strength: expected a number in 0..1, got {strength!r}") from None
    if not 0.0 <= value <= 1.0:
        raise InvalidParameterError(f"strength: expected a number in 0..1, got {strength!r}")
    return value


# -- inference -------------------------------------------------------------------------


def _resolve(net: StyleNet, image: torch.Tensor, precision: str, runtime: str) -> tuple[str, str]:
    if precision not in PRECISIONS:
        raise InvalidParameterError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
    if runtime not in RUNTIMES:
        raise InvalidParameterError(f"runtime: expected one of {', '.join(RUNTIMES)}, got {runtime!r}")
    on_cpu = image.device.type == "cpu"
    exportable = hasattr(net, "onnx_core") and hasattr(net, "onnx_style")
    if runtime == "onnxruntime" and not (exportable and on_cpu):
        raise InvalidParameterError(
            f"runtime: onnxruntime needs a CPU tensor and a network with an ONNX graph, got "
            f"{type(net).__name__} on {image.device}"
        )
    if precision == "auto":
        precision = "fp32" if on_cpu else ("bf16" if torch.cuda.is_bf16_supported() else "fp16")
    if runtime == "auto":
        from prisma_abu.neural.stylenets import runtime as rt

        use_ort = on_cpu and exportable and precision == "fp32" and rt.available()
        runtime = "onnxruntime" if use_ort else "torch"
    if runtime == "onnxruntime" and precision != "fp32":
        raise InvalidParameterError(f"precision: the onnxruntime path runs fp32, got {precision!r}")
    return precision, runtime


def run_plan(net: StyleNet, device: torch.device | str = "cpu", precision: str = "auto",
             runtime: str = "auto") -> tuple[str, str]:
    """``(precision, runtime)`` that :func:`stylize_tensor` uses for ``net`` on ``device`` (what a picture records)."""
    return _resolve(net, torch.empty(0, device=device), precision, runtime)


def _run_whole(net: StyleNet, image: torch.Tensor, precision: str, runtime: str) -> torch.Tensor:
    if runtime == "onnxruntime":
        from prisma_abu.neural.stylenets import runtime as rt

        return rt.run(net, image)
    from prisma_abu.neural.device import autocast

    with torch.inference_mode(), autocast(image.device, precision):
        return net(image.float()).float()




def stylize_tensor(net: StyleNet, image: torch.Tensor, *, tile: int | None = None, overlap: int = 64,
                   precision: str = "auto", runtime: str = "auto") -> torch.Tensor:
    """Run a style network on a batch of pictures.

    Parameters
    ----------
    net : StyleNet
    image : torch.Tensor
        ``Nx3xHxW`` float RGB 0..255, on the network's device.
    tile : int, optional
        Run overlapping ``tile x tile`` pieces (for pictures too large for
        memory) and blend them with linear ramps over ``overlap`` pixels.
        Instance-norm networks compute their statistics per tile, so very
        small tiles change the look; keep tiles >= 512.
    overlap : int
        Overlap between tiles, in pixels (< ``tile / 2``).
    precision : {"auto", "fp32", "bf16", "fp16"}
        ``auto``: fp32 on CPU, bf16 (or fp16) autocast on a GPU.
    runtime : {"auto", "torch", "onnxruntime"}
        ``auto``: ONNX Runtime on CPU in fp32 for networks with an ONNX graph
        (the measured faster path, see ``bench/stylize.py``), torch otherwise.

    Returns
    -------
    torch.Tensor
        ``Nx3xHxW`` float32 RGB 0..255 on the input's device.

    Raises
    ------
    InvalidImageError
        Not ``Nx3xHxW`` floats, or smaller than ``net.min_size``.
    InvalidParameterError
        Bad ``tile``/``overlap``/``precision``/``runtime``.
    """
    from prisma_abu.neural.device import check_image_tensor

    check_image_tensor(image, net.min_size, net=net.name or type(net).__name__)
    precision, runtime = _resolve(net, image, precision, runtime)
    h, w = image.shape[-2:]
    if tile is None or (h <= tile and w <= tile):
        return _run_whole(net, image, precision, runtime).clamp(0.0, 255.0)
    from prisma_abu.neural.tiles import check_tile, pieces

    check_tile(tile, overlap, net.min_size)
    out = torch.zeros(image.shape, dtype=torch.float32, device=image.device)
    total = torch.zeros((1, 1, h, w), dtype=torch.float32, device=image.device)
    for y, x, weight in pieces(h, w, tile, overlap):  # the weights the stored-graph path uses too
        th, tw = weight.shape
        result = _run_whole(net, image[:, :, y:y + th, x:x + tw], precision, runtime).float()
        weight = torch.from_numpy(weight).to(image.device)
        out[:, :, y:y + th, x:x + tw] += result * weight
        total[:, :, y:y + th, x:x + tw] += weight
    return (out / total).clamp(0.0, 255.0)
