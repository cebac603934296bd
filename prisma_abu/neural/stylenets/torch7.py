"""jcjohnson's Torch7 ``.t7`` style models (fast-neural-style), read into torch.

The ``.t7`` files of jcjohnson/fast-neural-style (``eccv16/*.t7``,
``instance_norm/*.t7``), the ones OpenCV's ``cv2.dnn.readNetFromTorch`` runs,
are Torch7 binary serializations of an ``nn.Sequential`` (alone, or as the
``model`` entry of a ``{model=, opt=}`` checkpoint table).  :func:`load`
parses the file with a small bounds-checked reader
(:func:`~prisma_abu.neural.stylenets.torch7_reader.read_t7`) and
rebuilds the network module for module in torch (:func:`to_module`).

The network works on Caffe-style input, as fast-neural-style's ``vgg``
preprocessing made it: BGR, 0..255, minus VGG's mean pixel
(:class:`~prisma_abu.neural.preprocess.PixelNorm` ``"caffe"``), and gives its result in the same space.  :class:`Torch7StyleNet`
does that conversion inside, so it takes and returns RGB 0..255 like every
:class:`~prisma_abu.neural.stylenets.StyleNet` (a checkpoint whose
``opt.preprocessing`` is ``resnet`` gets ImageNet mean/std on RGB 0..1).

Why not ``torchfile`` (PyPI, 2017): it works on Python 3.11 and numpy 2 for
intact files, but it builds tensors with ``numpy.lib.stride_tricks.as_strided``
from the sizes in the file without checking them against the storage, so a
corrupt size field reads outside the buffer (a segmentation fault here); it
also reads longs in the platform's size (4 bytes on Windows) and needs a real
file object.  A corrupt file must be one clear :class:`ModelError`.

Supported modules: ``Sequential``, ``ConcatTable`` + ``CAddTable``,
``SpatialConvolution`` (``MM``, dilated), ``SpatialFullConvolution``,
``InstanceNormalization``, ``SpatialBatchNormalization``, ``ReLU``, ``Tanh``,
``Sigmoid``, ``MulConstant``, ``AddConstant``, ``Spatial{Reflection,
Replication,Zero}Padding``, ``SpatialUpSamplingNearest``, ``ShaveImage``,
``TotalVariation``, ``Identity``, ``Dropout`` (``nn.``, ``cudnn.``, ``cunn.``
prefixes).
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from prisma_abu.errors import ModelError
from prisma_abu.neural.device import check_image_tensor
from prisma_abu.neural.preprocess import PixelNorm
from prisma_abu.neural.stylenets import StyleNet
from prisma_abu.neural.stylenets.torch7_reader import TABLE, TORCH, TorchObject, read_t7

__all__ = [
    "SUFFIXES",
    "TorchObject",
    "read_t7",
    "to_module",
    "Torch7StyleNet",
    "sniff",
    "load",
]

SUFFIXES = (".t7",)

# -- modules -----------------------------------------------------------------------------


class _ConcatTable(nn.ModuleList):
    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [branch(x) for branch in self]


class _CAddTable(nn.Module):
    def forward(self, xs: list[torch.Tensor]) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class _Affine(nn.Module):
    """``x * scale + shift`` (MulConstant, AddConstant)."""

    def __init__(self, scale: float = 1.0, shift: float = 0.0) -> None:
        super().__init__()
        self.scale, self.shift = float(scale), float(shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift

    def extra_repr(self) -> str:
        return f"scale={self.scale}, shift={self.shift}"


class _Shave(nn.Module):
    """fast-neural-style's ShaveImage: drop ``size`` pixels on every side."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = int(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.size
        return x[..., s:x.shape[-2] - s, s:x.shape[-1] - s] if s else x


class _Unsupported(Exception):
    pass


def _num(obj: TorchObject, key: str, default: Any = None) -> int:
    value = obj.get(key, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _Unsupported(f"{obj.cls} without a numeric {key!r}")
    return int(value)


def _tensor(obj: TorchObject, key: str, shape: tuple[int, ...] | None = None) -> torch.Tensor:
    value = obj.get(key)
    if not isinstance(value, np.ndarray) or value.size == 0:
        raise _Unsupported(f"{obj.cls} without its {key!r} tensor")
    if shape is not None:
        if value.size != math.prod(shape) or min(shape) < 0:
            raise _Unsupported(f"{obj.cls}.{key} has {value.size} values, expected {shape}")
        value = value.reshape(shape)
    return torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))


def _children(obj: TorchObject, where: str) -> list[nn.Module]:
    table = obj.get("modules")
    if not isinstance(table, dict):
        raise _Unsupported(f"{obj.cls} without a modules table")
    keys = sorted(k for k in table if isinstance(k, int))
    return [_convert(table[k], f"{where}.modules[{k}]") for k in keys]


def _conv(obj: TorchObject) -> nn.Module:
    cin, cout = _num(obj, "nInputPlane"), _num(obj, "nOutputPlane")
    kh, kw, dh, dw = _num(obj, "kH"), _num(obj, "kW"), _num(obj, "dH", 1), _num(obj, "dW", 1)
    ph, pw = _num(obj, "padH", 0), _num(obj, "padW", 0)
    dil = (_num(obj, "dilationH", 1), _num(obj, "dilationW", 1))
    _check_geometry(obj, (ph, pw), (dh, dw, *dil))
    weight = _tensor(obj, "weight", (cout, cin, kh, kw))  # the file's values first: no layer larger than them
    bias = _tensor(obj, "bias", (cout,)) if isinstance(obj.get("bias"), np.ndarray) else None
    with torch.device("meta"):
        conv = nn.Conv2d(cin, cout, (kh, kw), (dh, dw), (ph, pw), dil, bias=bias is not None)
    conv.weight = nn.Parameter(weight)
    if bias is not None:
        conv.bias = nn.Parameter(bias)
    return conv


def _full_conv(obj: TorchObject) -> nn.Module:
    cin, cout = _num(obj, "nInputPlane"), _num(obj, "nOutputPlane")
    kh, kw, dh, dw = _num(obj, "kH"), _num(obj, "kW"), _num(obj, "dH", 1), _num(obj, "dW", 1)
    ph, pw, ah, aw = _num(obj, "padH", 0), _num(obj, "padW", 0), _num(obj, "adjH", 0), _num(obj, "adjW", 0)
    if ah >= dh or aw >= dw:
        raise _Unsupported(f"{obj.cls} with adj ({ah}, {aw}) not below its stride ({dh}, {dw})")
    _check_geometry(obj, (ph, pw), (dh, dw))
    weight = _tensor(obj, "weight", (cin, cout, kh, kw))
    bias = _tensor(obj, "bias", (cout,)) if isinstance(obj.get("bias"), np.ndarray) else None
    with torch.device("meta"):
        conv = nn.ConvTranspose2d(cin, cout, (kh, kw), (dh, dw), (ph, pw), (ah, aw), bias=bias is not None)
    conv.weight = nn.Parameter(weight)
    if bias is not None:
        conv.bias = nn.Parameter(bias)
    return conv


#: the widest padding and the largest stride, dilation or upsampling factor a layer may declare
#: (fast-neural-style's largest is a 40-pixel reflection padding); more would only cost memory
MAX_PADDING, MAX_FACTOR = 256, 16


def _check_geometry(obj: TorchObject, pads: tuple[int, ...], factors: tuple[int, ...]) -> None:
    if any(not 0 <= p <= MAX_PADDING for p in pads) or any(not 1 <= f <= MAX_FACTOR for f in factors):
        raise _Unsupported(f"{obj.cls} with padding {pads} and strides/dilations/factors {factors}; expected "
                           f"padding in 0..{MAX_PADDING} and factors in 1..{MAX_FACTOR}")


def _norm(obj: TorchObject, instance: bool) -> nn.Module:
    weight = obj.get("weight")
    source = weight if isinstance(weight, np.ndarray) else obj.get("running_mean")
    channels = int(source.size) if isinstance(source, np.ndarray) else _num(obj, "nOutput")
    if not instance and not isinstance(obj.get("running_mean"), np.ndarray):
        raise _Unsupported(f"{obj.cls} without its 'running_mean' tensor")
    if not 1 <= channels <= (source.size if isinstance(source, np.ndarray) else 1 << 16):
        raise _Unsupported(f"{obj.cls} of {channels} channels; expected 1..65536")
    eps = float(obj.get("eps", 1e-5))
    affine = isinstance(weight, np.ndarray) and weight.size > 0
    if instance:  # statistics of each picture, as fast-neural-style and OpenCV run it
        norm: nn.Module = nn.InstanceNorm2d(channels, eps=eps, affine=affine)
    else:
        norm = nn.BatchNorm2d(channels, eps=eps, affine=affine).eval()
        if isinstance(obj.get("running_var"), np.ndarray):
            var = _tensor(obj, "running_var", (channels,))
        else:  # torch7 before 2016 stored 1 / sqrt(var + eps)
            var = _tensor(obj, "running_std", (channels,)).pow(-2) - eps
        norm.running_mean.copy_(_tensor(obj, "running_mean", (channels,)))
        norm.running_var.copy_(var)
    if affine:
        norm.weight = nn.Parameter(_tensor(obj, "weight", (channels,)))
        norm.bias = nn.Parameter(_tensor(obj, "bias", (channels,)))
    return norm


def _padding(obj: TorchObject, mode: str) -> nn.Module:
    pads = tuple(_num(obj, key, 0) for key in ("pad_l", "pad_r", "pad_t", "pad_b"))
    if min(pads) < 0:
        raise _Unsupported(f"{obj.cls} with negative (cropping) padding {pads}")
    _check_geometry(obj, pads, ())
    return {"reflect": nn.ReflectionPad2d, "replicate": nn.ReplicationPad2d, "zero": nn.ZeroPad2d}[mode](pads)


def _upsample(obj: TorchObject) -> nn.Module:
    factor = _num(obj, "scale_factor")
    _check_geometry(obj, (), (factor,))
    return nn.Upsample(scale_factor=factor, mode="nearest")


_BUILDERS: dict[str, Callable[[TorchObject], nn.Module]] = {
    "SpatialConvolution": _conv,
    "SpatialConvolutionMM": _conv,
    "SpatialDilatedConvolution": _conv,
    "SpatialFullConvolution": _full_conv,
    "InstanceNormalization": lambda o: _norm(o, instance=True),
    "SpatialBatchNormalization": lambda o: _norm(o, instance=False),
    "ReLU": lambda o: nn.ReLU(),
    "Tanh": lambda o: nn.Tanh(),
    "Sigmoid": lambda o: nn.Sigmoid(),
    "MulConstant": lambda o: _Affine(scale=float(o.get("constant_scalar", 1.0))),
    "AddConstant": lambda o: _Affine(shift=float(o.get("constant_scalar", 0.0))),
    "SpatialReflectionPadding": lambda o: _padding(o, "reflect"),
    "SpatialReplicationPadding": lambda o: _padding(o, "replicate"),
    "SpatialZeroPadding": lambda o: _padding(o, "zero"),
    "SpatialUpSamplingNearest": lambda o: _upsample(o),
    "ShaveImage": lambda o: _Shave(_num(o, "size", 0)),
    "TotalVariation": lambda o: nn.Identity(),
    "Identity": lambda o: nn.Identity(),
    "Dropout": lambda o: nn.Identity(),
    "SpatialDropout": lambda o: nn.Identity(),
}
_PREFIXES = ("nn.", "cudnn.", "cunn.", "fbcunn.")


def _convert(obj: Any, where: str) -> nn.Module:
    cls = obj.cls if isinstance(obj, TorchObject) else type(obj).__name__
    name = next((cls[len(p):] for p in _PREFIXES if isinstance(obj, TorchObject) and cls.startswith(p)), None)
    if name in ("Sequential", "ConcatTable"):
        children = _children(obj, where)
        if not children:
            raise _Unsupported(f"an empty {cls} at {where}")
        return nn.Sequential(*children) if name == "Sequential" else _ConcatTable(children)
    if name == "CAddTable":
        return _CAddTable()
    if name not in _BUILDERS:
        raise _Unsupported(f"unsupported module {cls} at {where}; expected a fast-neural-style network of "
                           f"{', '.join(sorted(_BUILDERS))}, Sequential, ConcatTable, CAddTable")
    try:
        return _BUILDERS[name](obj)
    except _Unsupported as exc:
        raise _Unsupported(f"{exc} at {where}") from None


def to_module(obj: Any) -> tuple[nn.Module, dict]:
    """The torch equivalent of a parsed Torch7 network.

    Parameters
    ----------
    obj : object
        :func:`read_t7`'s result: an ``nn`` module, or a table with a
        ``model`` entry (fast-neural-style checkpoints; ``opt`` is returned).

    Returns
    -------
    module : torch.nn.Module
        Eval mode, working on the Torch7 network's own input (e.g. Caffe BGR
        minus the mean pixel).
    opt : dict
        The checkpoint's options (empty for a bare network).

    Raises
    ------
    ModelError
        Not a network, or a module this reader does not know (named, with
        where it sits).
    """
    opt: dict = {}
    if isinstance(obj, dict) and isinstance(obj.get("model"), TorchObject):
        opt = obj.get("opt") if isinstance(obj.get("opt"), dict) else {}
        obj = obj["model"]
    if not isinstance(obj, TorchObject) or not obj.cls.startswith(_PREFIXES):
        what = obj.cls if isinstance(obj, TorchObject) else type(obj).__name__
        raise ModelError(f"holds a {what}, expected an nn network (nn.Sequential) or a "
                         f"{{model=, opt=}} checkpoint")
    try:
        module = _convert(obj, "model")
    except _Unsupported as exc:
        raise ModelError(str(exc)) from None
    return module.eval().requires_grad_(False), opt


# -- the style network -------------------------------------------------------------------


def _strides(module: nn.Module) -> int:
    """Product of the convolutions' strides along the main path (the picture's needed multiple)."""
    total = 1
    for sub in module.modules():
        if isinstance(sub, nn.Conv2d):
            total *= max(sub.stride)
    return total


class Torch7StyleNet(StyleNet):
    """A fast-neural-style Torch7 network behind the :class:`StyleNet` contract.

    ``forward`` turns RGB 0..255 into the network's input (``vgg``: BGR minus
    the mean pixel; ``resnet``: ImageNet mean/std of RGB 0..1), reflects the
    picture out to a multiple of the network's total stride, runs it, crops
    back to ``H x W`` and turns the result into RGB 0..255 (clamped).

    Parameters
    ----------
    body : torch.nn.Module
        From :func:`to_module`.
    preprocessing : {"vgg", "resnet"}
    name, sha256 : str
    """

    def __init__(self, body: nn.Module, *, preprocessing: str = "vgg", name: str = "torch7",
                 sha256: str = "") -> None:
        super().__init__()
        if preprocessing not in ("vgg", "resnet"):
            raise ModelError(f"unknown preprocessing {preprocessing!r}; expected vgg or resnet")
        self.body = body.to(memory_format=torch.channels_last)  # oneDNN's fast layout on the CPU
        self.preprocessing, self.name, self.sha256 = preprocessing, name, sha256
        self.multiple = _strides(body)
        self.min_size = self.multiple
        self.pixels = PixelNorm("caffe" if preprocessing == "vgg" else "imagenet")

    def to_network(self, image: torch.Tensor) -> torch.Tensor:
        """RGB 0..255 -> the Torch7 network's input space."""
        return self.pixels(image)

    def from_network(self, out: torch.Tensor) -> torch.Tensor:
        """The Torch7 network's output space -> RGB 0..255 (unclamped)."""
        return self.pixels.inverse(out)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``Nx3xHxW`` RGB 0..255 -> ``Nx3xHxW`` RGB 0..255."""
        h, w = check_image_tensor(image, self.min_size, net=self.name)
        x = self.to_network(image)
        pad_h, pad_w = -h % self.multiple, -w % self.multiple
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="reflect")
        y = self.body(x.contiguous(memory_format=torch.channels_last))
        if y.shape[-2] >= h and y.shape[-1] >= w:
            y = y[..., :h, :w]
        else:  # a network whose output is smaller than its input (no reflect-start padding)
            y = F.interpolate(y, size=(h, w), mode="bilinear", align_corners=False)
        return self.from_network(y.float()).clamp(0.0, 255.0).contiguous()

    def extra_repr(self) -> str:
        return f"name={self.name!r}, preprocessing={self.preprocessing!r}, min_size={self.min_size}"


def _probe(net: Torch7StyleNet, size: int) -> torch.Tensor | str:
    """The network's output for a black ``size`` square, or why it failed."""
    try:
        with torch.no_grad():
            return net.body(torch.zeros(1, 3, size, size))
    except (RuntimeError, ValueError, IndexError) as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _find_min_size(net: Torch7StyleNet, path: Path, largest: int = 512) -> None:
    """Smallest working side (a multiple of the stride) and a check that the layers fit together.

    Doubles the side from the stride until the network runs, then bisects.
    """
    m = net.multiple
    low, size = 0, m
    while True:
        out = _probe(net, size)
        if isinstance(out, torch.Tensor):
            break
        if size * 2 > largest:
            raise ModelError(f"Torch7 model {path}: the network's layers do not fit together ({out[:200]})")
        low, size = size, size * 2
    if out.ndim != 4 or out.shape[1] != 3:
        raise ModelError(f"Torch7 model {path}: the network gives {tuple(out.shape)} for a "
                         f"1x3x{size}x{size} picture; expected 3 channels out")
    while size - low > m:  # low fails (or is 0), size works
        mid = (low + size) // (2 * m) * m
        if isinstance(_probe(net, mid), torch.Tensor):
            size = mid
        else:
            low = mid
    net.min_size = size


def sniff(path: str | os.PathLike[str]) -> bool:
    """Whether the file looks like a Torch7 binary holding an ``nn`` network (reads 64 KiB)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16)
    except OSError:
        return False
    return (len(head) >= 8 and struct.unpack("<i", head[:4])[0] in (TABLE, TORCH)
            and any(p.encode() + b"Sequential" in head for p in _PREFIXES))


def load(path: str | os.PathLike[str]) -> Torch7StyleNet:
    """Read a fast-neural-style ``.t7`` model.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    Torch7StyleNet
        Eval mode, no gradients; ``name`` is the file's stem, ``sha256`` its hash.

    Raises
    ------
    ModelError
        Missing, truncated or corrupt file; not a network; a module this
        reader does not support (named); layers that do not fit together.
    """
    from prisma_abu.neural.weights import sha256_file

    path = Path(path)
    obj = read_t7(path)  # checks the path (a regular file, within the size limit) first
    try:
        body, opt = to_module(obj)
    except ModelError as exc:
        raise ModelError(f"Torch7 model {path}: {exc}") from None
    preprocessing = opt.get("preprocessing", "vgg")
    if preprocessing not in ("vgg", "resnet"):
        raise ModelError(f"Torch7 model {path}: unknown preprocessing {preprocessing!r}; expected vgg or resnet")
    net = Torch7StyleNet(body, preprocessing=preprocessing, name=path.stem, sha256=sha256_file(path))
    _find_min_size(net, path)
    return net.eval()
