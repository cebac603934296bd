"""ONNX exports of pytorch-examples' TransformerNet, read back into torch.

pytorch-examples' ``neural_style.py eval --export_onnx`` (and any
``torch.onnx.export`` of the network, TorchScript or dynamo exporter) writes
the same 16 convolutions and 15 instance norms as ONNX ``Conv`` and
``InstanceNormalization`` nodes, between reflection ``Pad`` nodes and two
nearest-neighbour ``Resize`` (``Upsample`` before opset 10) nodes.

:func:`load` checks that the graph is that network: along the path from the
input to the output only those ops (plus ``Relu``, the five residual ``Add``
and ``Identity``), the convolutions' kernels and strides in TransformerNet's
order, no padding inside them.  Then it maps the weights, in graph order, onto
a :class:`~prisma_abu.neural.stylenets.transformer_net.TransformerNet`.
Initializer names are not relied on (exporters rename, deduplicate equal
tensors into ``Identity`` nodes or move them into ``Constant`` nodes).

Why map the weights rather than run the graph (onnxruntime): the result is
the same torch module as a ``.pth`` model -- the same speed path, bf16
autocast, any torch device, gradients for fine-tuning -- and no runtime
beyond the ``onnx`` package that reads the file.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from prisma_abu.errors import ModelError
from prisma_abu.neural.stylenets.transformer_net import TransformerStyleNet, transformer_from_state_dict

__all__ = ["SUFFIXES", "CONV_KEYS", "NORM_KEYS", "read_onnx_state_dict", "sniff", "load"]

SUFFIXES = (".onnx",)
_RES = [f"res{i}" for i in range(1, 6)]
#: TransformerNet's convolutions and instance norms in forward order.
CONV_KEYS = ("conv1", "conv2", "conv3", *(f"{r}.conv{j}" for r in _RES for j in (1, 2)),
             "deconv1", "deconv2", "deconv3")
NORM_KEYS = ("in1", "in2", "in3", *(f"{r}.in{j}" for r in _RES for j in (1, 2)), "in4", "in5")
_KERNELS = (9, 3, 3, *([3] * 10), 3, 3, 9)
_STRIDES = (1, 2, 2, *([1] * 10), 1, 1, 1)
_DATA_OPS = {"Conv", "InstanceNormalization", "Pad", "Relu", "Add", "Resize", "Upsample", "Identity"}
_SHAPE_OPS = {"Shape", "Size"}


class _NotTransformer(Exception):
    pass


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _constants(graph: Any) -> dict[str, np.ndarray]:
    """Values known without the input: initializers, Constant nodes and Identity of those."""
    from onnx import numpy_helper

    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.output:
            attrs = _attrs(node)
            if "value" in attrs:
                values[node.output[0]] = numpy_helper.to_array(attrs["value"])
        elif node.op_type == "Identity" and node.input and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]]
    return values


def _data_nodes(graph: Any, constants: dict[str, np.ndarray]) -> list[Any]:
    """Nodes on the path from the graph's real inputs (in graph order, which ONNX keeps topological)."""
    live = {i.name for i in graph.input if i.name not in constants}
    nodes = []
    for node in graph.node:
        if node.op_type in _SHAPE_OPS or not any(name in live for name in node.input):
            continue
        nodes.append(node)
        live.update(node.output)
    return nodes


def _read(graph: Any) -> dict[str, torch.Tensor]:
    constants = _constants(graph)
    nodes = _data_nodes(graph, constants)
    counts = Counter(node.op_type for node in nodes)
    others = sorted(set(counts) - _DATA_OPS)
    if others:
        raise _NotTransformer(f"ops {', '.join(others)} on the data path")
    convs = [n for n in nodes if n.op_type == "Conv"]
    norms = [n for n in nodes if n.op_type == "InstanceNormalization"]
    ups = [n for n in nodes if n.op_type in ("Resize", "Upsample")]
    pads = [n for n in nodes if n.op_type == "Pad"]
    found = f"{len(convs)} Conv, {len(norms)} InstanceNormalization, {len(ups)} Resize, {counts['Add']} Add"
    if (len(convs), len(norms), len(ups), counts["Add"], len(pads)) != (16, 15, 2, 5, 16):
        raise _NotTransformer(f"{found}, {len(pads)} Pad nodes; expected 16, 15, 2, 5 and 16")
    for node in pads:
        mode = _attrs(node).get("mode", b"constant")
        if (mode.decode() if isinstance(mode, bytes) else mode) != "reflect":
            raise _NotTransformer(f"a Pad node {node.name!r} in mode {mode!r}; expected reflect")
    for node in ups:
        mode = _attrs(node).get("mode", b"nearest")
        if (mode.decode() if isinstance(mode, bytes) else mode) != "nearest":
            raise _NotTransformer(f"a {node.op_type} node in mode {mode!r}; expected nearest")
    state: dict[str, torch.Tensor] = {}
    for key, node, kernel, stride in zip(CONV_KEYS, convs, _KERNELS, _STRIDES):
        attrs = _attrs(node)
        if list(attrs.get("pads", [0, 0, 0, 0])) != [0, 0, 0, 0] or attrs.get("group", 1) != 1 \
                or list(attrs.get("strides", [1, 1])) != [stride, stride] \
                or list(attrs.get("dilations", [1, 1])) != [1, 1]:
            raise _NotTransformer(f"Conv {node.name!r} for {key} with {attrs}; expected stride {stride}, no padding")
        if len(node.input) < 3 or any(name not in constants for name in node.input[1:3]):
            raise _NotTransformer(f"Conv {node.name!r} for {key} without constant weights and bias")
        weight, bias = constants[node.input[1]], constants[node.input[2]]
        if weight.ndim != 4 or weight.shape[2:] != (kernel, kernel):
            raise _NotTransformer(f"Conv {node.name!r} for {key} of kernel {weight.shape[2:]}; expected {kernel}")
        state[f"{key}.conv2d.weight"] = torch.from_numpy(np.array(weight, dtype=np.float32))
        state[f"{key}.conv2d.bias"] = torch.from_numpy(np.array(bias, dtype=np.float32))
    for key, node in zip(NORM_KEYS, norms):
        eps = float(_attrs(node).get("epsilon", 1e-5))
        if not np.isclose(eps, 1e-5, rtol=1e-3):
            raise _NotTransformer(f"InstanceNormalization {node.name!r} for {key} with epsilon {eps}; expected 1e-5")
        if len(node.input) < 3 or any(name not in constants for name in node.input[1:3]):
            raise _NotTransformer(f"InstanceNormalization {node.name!r} for {key} without constant scale and bias")
        state[f"{key}.weight"] = torch.from_numpy(np.array(constants[node.input[1]], dtype=np.float32))
        state[f"{key}.bias"] = torch.from_numpy(np.array(constants[node.input[2]], dtype=np.float32))
    return state


def _load_model(path: Path) -> Any:
    import onnx

    from prisma_abu.neural.modelfiles import model_file

    model_file(path, "ONNX style model")
    try:
        return onnx.load(str(path))  # onnx refuses external data outside the model's folder
    except Exception as exc:  # DecodeError, OSError, ValidationError...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"cannot read ONNX style model {path}: corrupt or truncated ({reason[:200]})") from None


def read_onnx_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """A TransformerNet export's weights, in pytorch-examples' state dict layout.

    Raises
    ------
    ModelError
        Unreadable file, or a graph that is not TransformerNet (says what was found).
    """
    path = Path(path)
    model = _load_model(path)
    try:
        return _read(model.graph)
    except _NotTransformer as exc:
        raise ModelError(f"ONNX model {path} is not a pytorch-examples TransformerNet export: {exc}") from None
    except (ValueError, TypeError, KeyError, IndexError, MemoryError) as exc:  # a tensor's dims that its data do not fill
        raise ModelError(f"ONNX model {path}: a corrupt tensor ({str(exc).strip()[:200] or type(exc).__name__}); "
                         f"expected a pytorch-examples TransformerNet export") from None


def sniff(path: str | os.PathLike[str]) -> bool:
    """Whether the file is an ONNX export of TransformerNet (parses the graph)."""
    try:
        read_onnx_state_dict(path)
    except ModelError:
        return False
    return True


def load(path: str | os.PathLike[str]) -> TransformerStyleNet:
    """Read a TransformerNet ONNX export as a torch :class:`TransformerStyleNet`.

    Raises
    ------
    ModelError
        Missing, corrupt or truncated file, or not a TransformerNet export.
    """
    from prisma_abu.neural.weights import sha256_file

    path = Path(path)
    state = read_onnx_state_dict(path)
    net = transformer_from_state_dict(state, source=f"ONNX style model {path}")
    return TransformerStyleNet(net, name=path.stem, sha256=sha256_file(path)).eval()
