"""Johnson's feed-forward style network as pytorch/examples ``fast_neural_style`` built it.

:class:`TransformerNet` is that network module for module, with the same
attribute names, so the state dicts users downloaded (``.pth`` / ``.model``:
``conv1.conv2d.weight``, ``in1.weight``, ``res1.conv1.conv2d.weight``, ...)
load as they are.  ``channels`` (or :func:`channels_for_width`) makes a
narrower network: ``(32, 64, 128)`` is pytorch-examples', width 0.25 gives
``(8, 16, 32)``, 16 times fewer weights, for training on a CPU.

:class:`TransformerStyleNet` wraps a :class:`TransformerNet` as a
:class:`~prisma_abu.neural.stylenets.StyleNet`: any height and width (the
picture is reflected out to a multiple of 4 and the result cropped back),
output clamped to 0..255, run in the channels-last layout (oneDNN's fast path
on the CPU).

The network's layers: :mod:`.transformer_layers`.  Files: :func:`load` reads pytorch-examples state dicts (old ones' unused
``in*.running_mean`` / ``running_var`` entries dropped, as pytorch-examples
itself does) and the files :func:`save_model` writes, which carry the
training parameters beside the weights.

Examples
--------
>>> net = TransformerNet(channels_for_width(0.25))
>>> net.channels
(8, 16, 32)
>>> sorted(net.state_dict())[:2]
['conv1.conv2d.bias', 'conv1.conv2d.weight']
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.device import check_image_tensor
from prisma_abu.neural.stylenets import StyleNet
from prisma_abu.neural.stylenets.transformer_layers import (DEFAULT_CHANNELS, ConvLayer,  # noqa: F401 (its names)
                                                            ResidualBlock, TransformerNet, UpsampleConvLayer,
                                                            channels_for_width)

__all__ = [
    "SUFFIXES",
    "FORMAT",
    "DEFAULT_CHANNELS",
    "ConvLayer",
    "ResidualBlock",
    "UpsampleConvLayer",
    "TransformerNet",
    "TransformerStyleNet",
    "channels_for_width",
    "drop_legacy_keys",
    "transformer_from_state_dict",
    "sniff",
    "load",
    "save_model",
]

#: File suffixes of pytorch-examples state dicts and of :func:`save_model`'s files.
SUFFIXES = (".pth", ".model")
#: Marker of the files :func:`save_model` writes.
FORMAT = "prisma_abu.transformer_net"
_VERSION = 1
#: The picture is padded to a multiple of this (two stride-2 convolutions).
MULTIPLE = 4
_LEGACY_KEY = re.compile(r"in\d+\.running_(mean|var)$")


class TransformerStyleNet(StyleNet):
    """A :class:`TransformerNet` behind the :class:`StyleNet` contract.

    Parameters
    ----------
    net : TransformerNet
    name : str
        Style name (usually the file's stem).
    sha256 : str
        The weights file's sha256 ("" for a network not read from a file).
    training_params : dict, optional
        The parameters it was trained with (``TrainStyleParams.to_dict()``
        plus ``"kind"``), when known.
    """

    #: Smallest side: 4 is reflected out to 4, which conv1's 4-pixel reflection cannot pad.
    min_size = 5

    def __init__(self, net: TransformerNet, *, name: str = "transformer_net", sha256: str = "",
                 training_params: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.net = net.to(memory_format=torch.channels_last)  # oneDNN's fast layout on the CPU
        self.name = name
        self.sha256 = sha256
        self.training_params = None if training_params is None else dict(training_params)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``Nx3xHxW`` RGB 0..255 -> ``Nx3xHxW`` RGB 0..255.

        Raises
        ------
        InvalidImageError
            If the tensor is not ``Nx3xHxW`` or a side is under :attr:`min_size`.
        """
        h, w = check_image_tensor(image, self.min_size, net=self.name)
        pad_h, pad_w = -h % MULTIPLE, -w % MULTIPLE
        x = F.pad(image, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else image
        y = self.net(x.contiguous(memory_format=torch.channels_last))
        return y[..., :h, :w].float().clamp(0.0, 255.0).contiguous()

    def extra_repr(self) -> str:
        return f"name={self.name!r}, channels={self.net.channels}"


# -- state dicts -----------------------------------------------------------------------


def drop_legacy_keys(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop the ``in*.running_mean`` / ``running_var`` entries of old (torch < 0.4) files."""
    return {key: value for key, value in state.items() if not _LEGACY_KEY.search(key)}


def _few(items: list[str], limit: int = 4) -> str:
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _channels_of(state: Mapping[str, Any]) -> tuple[int, int, int]:
    """conv1/conv2/conv3 output channels from the weights' shapes (defaults where absent)."""
    found = []
    for key, default in zip(("conv1", "conv2", "conv3"), DEFAULT_CHANNELS):
        weight = state.get(f"{key}.conv2d.weight")
        found.append(int(weight.shape[0]) if isinstance(weight, torch.Tensor) and weight.ndim == 4 else default)
    return tuple(found)  # type: ignore[return-value]


def transformer_from_state_dict(state: Mapping[str, Any], *, source: str = "state dict") -> TransformerNet:
    """Build the :class:`TransformerNet` a state dict holds.

    Parameters
    ----------
    state : mapping of str to tensor
        pytorch-examples layout; old ``in*.running_*`` entries are dropped and
        the channel counts read from the weights' shapes.
    source : str
        Named in error messages (the file).

    Raises
    ------
    ModelError
        Missing or unexpected keys (named), or tensors of the wrong shape.
    """
    state = drop_legacy_keys(state)
    with torch.device("meta"):
        net = TransformerNet(_channels_of(state))
    expected = net.state_dict()
    missing = [key for key in expected if key not in state]
    unexpected = [key for key in state if key not in expected]
    if missing or unexpected:
        parts = ([f"missing keys {_few(missing)}"] if missing else []) + (
            [f"unexpected keys {_few(unexpected)}"] if unexpected else [])
        raise ModelError(f"{source}: not a pytorch-examples TransformerNet state dict: {'; '.join(parts)} "
                         f"(a state dict of another architecture?)")
    wrong = [f"{key} {tuple(state[key].shape)} (expected {tuple(value.shape)})"
             for key, value in expected.items()
             if not isinstance(state[key], torch.Tensor) or tuple(state[key].shape) != tuple(value.shape)]
    if wrong:
        raise ModelError(f"{source}: TransformerNet tensors of the wrong shape: {_few(wrong)}")
    net.load_state_dict({key: state[key].float() for key in expected}, assign=True)
    return net.eval()


# -- files ---------------------------------------------------------------------------------

_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a"
_SNIFF_BYTES = 1 << 16


def _pickle_head(path: Path) -> bytes:
    """The pickle part of a torch file (zip's ``data.pkl`` or a legacy file's start); b"" otherwise."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [n for n in archive.namelist() if n.endswith("data.pkl")]
                return archive.read(names[0])[:_SNIFF_BYTES * 4] if names else b""
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except (OSError, zipfile.BadZipFile, KeyError):
        return b""
    return head if head.startswith(_TORCH_LEGACY_MAGIC) else b""


def sniff(path: str | os.PathLike[str]) -> bool:
    """Whether the file looks like a TransformerNet state dict (or :func:`save_model`'s file).

    Reads only the file's pickle index, not its tensors.
    """
    head = _pickle_head(Path(path))
    return FORMAT.encode() in head or all(
        key in head for key in (b"conv1.conv2d.weight", b"res1.conv1.conv2d.weight", b"deconv3.conv2d.weight"))


def _read_torch(path: Path) -> Any:
    from prisma_abu.neural.modelfiles import model_file, torch_load

    model_file(path, "style model")
    return torch_load(path, f"style model {path}")


def _unwrap(obj: Any) -> Any:
    for wrapper in ("state_dict", "model"):
        if isinstance(obj, dict) and len(obj) == 1 and isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
    if isinstance(obj, dict) and obj and all(isinstance(k, str) and k.startswith("module.") for k in obj):
        obj = {key[len("module."):]: value for key, value in obj.items()}
    return obj


def load(path: str | os.PathLike[str]) -> TransformerStyleNet:
    """Read a pytorch-examples state dict or a :func:`save_model` file.

    Parameters
    ----------
    path : path-like
        ``.pth`` / ``.model`` file.

    Returns
    -------
    TransformerStyleNet
        In eval mode; ``name`` is the file's stem, ``sha256`` its hash and
        ``training_params`` the saved training parameters (None for
        pytorch-examples files).

    Raises
    ------
    ModelError
        Missing, corrupt or truncated file, or a state dict of another network.
    """
    from prisma_abu.neural.weights import sha256_file

    path = Path(path)
    obj = _read_torch(path)
    params = None
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        if not isinstance(obj.get("state_dict"), dict):
            raise ModelError(f"style model {path}: expected a state_dict entry in a {FORMAT} file, got none")
        params = obj.get("training_params")
        obj = obj["state_dict"]
    obj = _unwrap(obj)
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ModelError(f"style model {path}: expected a state dict of tensors, got {type(obj).__name__}")
    net = transformer_from_state_dict(obj, source=f"style model {path}")
    return TransformerStyleNet(net, name=path.stem, sha256=sha256_file(path), training_params=params).eval()


def save_model(path: str | os.PathLike[str], net: TransformerNet | TransformerStyleNet,
               training_params: Any = None) -> str:
    """Write a network and its training parameters to one file, atomically.

    The file is a torch file ``{"format", "version", "channels",
    "state_dict", "training_params"}`` (tensors, strings and numbers only,
    so ``torch.load(weights_only=True)`` reads it); :func:`load` reads it back
    as a first-class style model.

    Parameters
    ----------
    path : path-like
        Usually ``NAME.pth``; the folder must exist.
    net : TransformerNet or TransformerStyleNet
    training_params : TrainStyleParams, dict or None
        Stored as a plain dict (with ``"kind"``).

    Returns
    -------
    str
        The file's sha256.
    """
    from prisma_abu.neural.modelfiles import write_model_bytes

    inner = net.net if isinstance(net, TransformerStyleNet) else net
    if not isinstance(inner, TransformerNet):
        raise InvalidParameterError(f"expected a TransformerNet to save, got {type(net).__name__}")
    if training_params is not None and hasattr(training_params, "to_json"):
        training_params = json.loads(training_params.to_json())
    elif training_params is not None:
        training_params = json.loads(json.dumps(dict(training_params)))
    state = {key: value.detach().to("cpu", torch.float32).contiguous().clone()
             for key, value in inner.state_dict().items()}
    payload = {"format": FORMAT, "version": _VERSION, "channels": list(inner.channels),
               "state_dict": state, "training_params": training_params}
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    path = Path(path)
    write_model_bytes(path, data, "style network")  # readable as the umask allows, not a private temporary
    digest = hashlib.sha256(data).hexdigest()
    if isinstance(net, TransformerStyleNet):
        net.sha256 = digest
    return digest
