"""Stylize from stored ONNX graphs, without importing torch: when a network's torch path would run its graph.

A built-in ``multistyle26`` network runs its stored graph from the second run on
(:func:`stored_plan`; the first run's torch path stores it); ``arbitrary`` with a
style picture runs its two stored graphs on every CPU fp32 run
(:func:`stored_arbitrary`; the first builds them with torch). Both through
:mod:`prisma_abu.neural.ortcache`; :func:`prisma_abu.pipeline.stylize.stylize`
asks here first.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..params import StylizeParams
from .dream import check_rgb

__all__ = ["onnx_on_cpu", "stored_plan", "stored_arbitrary", "remember_arbitrary"]


def onnx_on_cpu(params: StylizeParams) -> bool:
    """Whether the network runs in fp32 on the CPU, where its torch path runs the ONNX graph (onnxruntime installed)."""
    from ..neural.ortcache import onnxruntime_installed
    from .models import resolve_device

    if params.precision not in ("auto", "fp32") or not onnxruntime_installed():
        return False
    return resolve_device(params.device) == "cpu"  # (without torch where only the CPU is possible)


def stored_plan(params: StylizeParams, shape: tuple[int, ...], model_file, style_image) -> tuple[dict, int] | None:
    """The stored graph and thread count to run ``params.model`` with, when its torch path would run that graph."""
    from ..neural import ortcache

    if model_file is not None or style_image is not None or not onnx_on_cpu(params):
        return None
    entry = ortcache.lookup(params.model)
    if entry is None or min(shape[:2]) < entry["min_size"]:
        return None
    threads = ortcache.threads_here(entry["threads"])
    return None if threads is None else (entry, threads)


def stored_arbitrary(photo: np.ndarray, params: StylizeParams, style_image: np.ndarray, overlap: int,
                     load: Callable[[], Any]) -> tuple[np.ndarray | None, dict[str, Any] | None]:
    """``arbitrary`` with a style picture on the CPU in fp32: its two graphs (predictor, transformer) from the
    cache, the style picture's crop and resize in numpy, all in onnxruntime: ``(painting, how)``, or
    ``(None, None)`` where the torch path must run (a picture under the network's size, an unwritable cache).

    The first run builds and stores the graphs with torch, then runs this same path: every run gives the
    same bytes (the style vector within float rounding of the torch path's). ``overlap``: the tiles'
    (``params.tile``); ``load()``: the arbitrary stylizer (torch), for building the graphs."""
    from ..neural import ortcache

    style = check_rgb(style_image, "style image")
    if not onnx_on_cpu(params) or min(style.shape[:2]) < 32 or min(photo.shape[:2]) < 32:
        return None, None
    for attempt in range(2):
        entry = ortcache.arbitrary_lookup() if attempt == 0 else None
        if entry is None or ortcache.threads_here(entry["threads"]) is None:
            remember_arbitrary(load())  # the first run here, or a damaged graph: built (with torch) and stored
            entry = ortcache.arbitrary_lookup()
        threads = None if entry is None else ortcache.threads_here(entry["threads"])
        if threads is None:
            return None, None
        vector = ortcache.style_vector(entry, style, threads)
        if vector is None:  # a damaged predictor graph: built again
            continue
        mixed = None
        if params.strength < 1.0:
            strength = np.float32(params.strength)

            def mixed(piece: np.ndarray) -> np.ndarray:
                own = ortcache.style_vector(entry, piece, threads)
                return strength * vector + (np.float32(1.0) - strength) * own

        painted = ortcache.run({**entry, "style": vector[0].tolist()}, photo, threads, params.tile, overlap,
                               style=mixed)
        if painted is None:  # a damaged transformer graph
            continue
        return painted, {"threads": threads, "device": "cpu", "model": entry["name"], "model_sha256": entry["sha256"],
                         "precision": "fp32", "runtime": "onnxruntime"}
    return None, None


def remember_arbitrary(stylizer: Any) -> None:
    """Build the arbitrary network's two graphs (an :class:`~prisma_abu.neural.stylenets.magenta.ArbitraryStylizer`
    on the CPU) with torch and store them (and torch's thread count here)."""
    import torch

    from ..neural import ortcache
    from ..neural.stylenets.magenta import MIN_SIZE, STYLE_SIZE
    from ..neural.stylenets.magenta_files import MODEL_SHA256
    from ..neural.stylenets.runtime import build_graph, build_predictor_graph

    ortcache.store(ortcache.ARBITRARY, name="arbitrary", sha256=MODEL_SHA256["arbitrary_transform"],
                   min_size=MIN_SIZE, style=np.zeros(0, np.float32), graph=build_graph(stylizer.transformer),
                   threads=torch.get_num_threads(),
                   extra={"predictor": build_predictor_graph(stylizer.predictor, STYLE_SIZE),
                          "predictor_model_sha256": MODEL_SHA256["arbitrary_predict"]})
