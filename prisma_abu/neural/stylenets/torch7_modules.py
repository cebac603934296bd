"""A Torch7 ``nn`` network (as :mod:`.torch7_reader` reads it) rebuilt from torch modules: :func:`to_module`.

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
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from prisma_abu.errors import ModelError
from prisma_abu.neural.stylenets.torch7_reader import TorchObject

__all__ = ["to_module", "PREFIXES"]



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
PREFIXES = ("nn.", "cudnn.", "cunn.", "fbcunn.")


def _convert(obj: Any, where: str) -> nn.Module:
    cls = obj.cls if isinstance(obj, TorchObject) else type(obj).__name__
    name = next((cls[len(p):] for p in PREFIXES if isinstance(obj, TorchObject) and cls.startswith(p)), None)
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
    if not isinstance(obj, TorchObject) or not obj.cls.startswith(PREFIXES):
        what = obj.cls if isinstance(obj, TorchObject) else type(obj).__name__
        raise ModelError(f"holds a {what}, expected an nn network (nn.Sequential) or a "
                         f"{{model=, opt=}} checkpoint")
    try:
        module = _convert(obj, "model")
    except _Unsupported as exc:
        raise ModelError(str(exc)) from None
    return module.eval().requires_grad_(False), opt
