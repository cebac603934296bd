"""The one place that knows how a network wants its pixels: the mean pixels and scales, and the conversion.

Every network here takes ``Nx3xHxW`` RGB in ``0..255`` (the project's tensor
convention) and converts it with a :class:`PixelNorm` of its kind:

``caffe``
    BGR, ``0..255``, minus VGG's mean pixel :data:`CAFFE_MEAN_BGR` (Caffe's VGG16, the Torch7 style networks).
``bvlc``
    BGR, ``0..255``, minus the mean pixel the original Prisma gave ``caffe.Classifier``
    (:data:`BVLC_MEAN_BGR`, BVLC GoogLeNet).
``imagenet``
    RGB, ``(rgb / 255 - IMAGENET_MEAN) / IMAGENET_STD`` (torchvision's weights, the Torch7 ``resnet`` networks).
``googlenet``
    ``imagenet``, then rescaled to what the TensorFlow-ported GoogLeNet weights expect (``(rgb / 255 - 0.5) / 0.5``
    as torchvision's ``transform_input=True`` computes it, channel by channel).
``tf``
    RGB, ``(rgb - 127) / 128`` (the TensorFlow EfficientNet).

Examples
--------
>>> import torch
>>> PixelNorm("caffe")(torch.zeros(1, 3, 1, 1)).flatten().tolist()
[-103.93900299072266, -116.77899932861328, -123.68000030517578]
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ModelError

__all__ = ["CAFFE_MEAN_BGR", "BVLC_MEAN_BGR", "IMAGENET_MEAN", "IMAGENET_STD", "TF_MEAN", "TF_STD", "PIXEL_NORMS",
           "PixelNorm"]

#: VGG's mean pixel (B, G, R) on 0..255 (Simonyan & Zisserman; Caffe's VGG16, Johnson's Torch7 networks)
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
#: the mean pixel the original subtracted, in BGR order (``PrismaCaffe.py``'s ``caffe.Classifier(mean=...)``)
BVLC_MEAN_BGR = (104.0, 117.0, 123.0)
#: torchvision's ImageNet statistics, RGB on 0..1
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: the TensorFlow EfficientNet's input scaling, on 0..255
TF_MEAN = 127.0
TF_STD = 128.0
#: the kinds :class:`PixelNorm` takes
PIXEL_NORMS = ("caffe", "bvlc", "imagenet", "googlenet", "tf")


class PixelNorm(nn.Module):
    """RGB ``0..255`` to a network's input space (:meth:`forward`) and back (:meth:`inverse`).

    Parameters
    ----------
    kind : {"caffe", "bvlc", "imagenet", "googlenet", "tf"}
        See the module's description.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in PIXEL_NORMS:
            raise ModelError(f"unknown pixel preprocessing {kind!r}; expected one of {', '.join(PIXEL_NORMS)}")
        self.kind = kind
        self.bgr = kind in ("caffe", "bvlc")
        if self.bgr:
            mean, std = torch.tensor(CAFFE_MEAN_BGR if kind == "caffe" else BVLC_MEAN_BGR), None
        elif kind in ("imagenet", "googlenet"):
            mean, std = torch.tensor(IMAGENET_MEAN) * 255, torch.tensor(IMAGENET_STD) * 255
        else:
            mean, std = torch.full((3,), TF_MEAN), torch.full((3,), TF_STD)
        self.register_buffer("mean", mean.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", None if std is None else std.view(1, 3, 1, 1), persistent=False)
        # torchvision's GoogLeNet ``transform_input``: x * (std / 0.5) + (mean - 0.5) / 0.5, per channel
        tf = kind == "googlenet"
        scale = torch.tensor([s / 0.5 for s in IMAGENET_STD]) if tf else None
        shift = torch.tensor([(m - 0.5) / 0.5 for m in IMAGENET_MEAN]) if tf else None
        self.register_buffer("tf_scale", None if scale is None else scale.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("tf_shift", None if shift is None else shift.view(1, 3, 1, 1), persistent=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``Nx3xHxW`` RGB 0..255 -> the network's input space."""
        if self.bgr:
            return image.flip(1) - self.mean
        x = (image - self.mean) / self.std
        return x if self.tf_scale is None else x * self.tf_scale + self.tf_shift

    def inverse(self, out: torch.Tensor) -> torch.Tensor:
        """The network's input space -> ``Nx3xHxW`` RGB 0..255 (unclamped)."""
        if self.bgr:
            return (out + self.mean).flip(1)
        if self.tf_scale is not None:
            out = (out - self.tf_shift) / self.tf_scale
        return out * self.std + self.mean

    def extra_repr(self) -> str:
        return repr(self.kind)
