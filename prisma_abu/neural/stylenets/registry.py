"""The style networks' registry: named sources, file loaders by suffix, their discovery, and loading by spec.

Modules of :mod:`prisma_abu.neural.stylenets` register their sources when imported; :func:`load_stylenet` and the
listings import them all once (lazily), so a new module dropped into the package registers itself.
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

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.stylenets import FileLoader, SourceLoader, StyleNet

__all__ = ["register_source", "register_file_loader", "load_stylenet", "builtin_models", "source_names",
           "file_suffixes"]


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
        package = importlib.import_module("prisma_abu.neural.stylenets")
        for module in pkgutil.iter_modules(package.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{module.name}")


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
