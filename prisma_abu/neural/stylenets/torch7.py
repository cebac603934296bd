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
The Torch7 modules become torch ones in :mod:`.torch7_modules` (which lists the supported ones).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from prisma_abu.errors import ModelError
from prisma_abu.neural.device import check_image_tensor
from prisma_abu.neural.preprocess import PixelNorm
from prisma_abu.neural.stylenets import StyleNet
from prisma_abu.neural.stylenets.torch7_modules import PREFIXES, to_module
from prisma_abu.neural.stylenets.torch7_reader import TABLE, TORCH, TorchObject, read_t7  # noqa: F401 (its names)

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
            and any(p.encode() + b"Sequential" in head for p in PREFIXES))


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
