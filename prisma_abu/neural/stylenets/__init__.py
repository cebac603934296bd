"""Feed-forward style networks: one interface, a registry of sources, one inference call.

A :class:`StyleNet` maps ``Nx3xHxW`` float32 RGB in 0..255 to the same shape
and range (the project's tensor convention), at any size from
:attr:`StyleNet.min_size` up.  Networks come from *sources*, named by a
spec string given to :func:`load_stylenet`:

``multistyle26:7``, ``multistyle26:3=0.5,12=0.5``
    The 26-style network (one style or a blend), see
    :mod:`prisma_abu.neural.stylenets.magenta`.
``arbitrary``
    Any picture as the style: ``load_stylenet("arbitrary", style_image=array)``.
``path/to/model.pth`` (a file)
    Dispatched by suffix to the loaders registered with
    :func:`register_file_loader`.

Modules of this package register their sources when imported; the package
imports them all (lazily, on the first :func:`load_stylenet` or
:func:`builtin_models`), so a new module dropped here registers itself
without any edit to this file.  Importing this package loads no model.

This module holds the interface; :mod:`.registry` the sources, their
discovery and :func:`load_stylenet`; :mod:`.inference` the one inference call
(:func:`stylize_tensor`, its precision and runtime plan, tiling).  Their
names are this package's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from prisma_abu.errors import InvalidParameterError
from prisma_abu.params import PRECISIONS

__all__ = [
    "StyleNet",
    "SourceLoader",
    "FileLoader",
    "register_source",
    "register_file_loader",
    "load_stylenet",
    "builtin_models",
    "source_names",
    "file_suffixes",
    "check_strength",
    "stylize_tensor",
    "run_plan",
    "RUN_PRECISIONS",
    "RUNTIMES",
]

#: ``precision`` values of :func:`stylize_tensor`: the knob's (:data:`prisma_abu.params.PRECISIONS`) and fp16,
#: what ``auto`` runs on a GPU without bf16.
RUN_PRECISIONS = (*PRECISIONS, "fp16")
#: ``runtime`` values of :func:`stylize_tensor`.
RUNTIMES = ("auto", "torch", "onnxruntime")


class StyleNet(nn.Module):
    """A feed-forward stylization network: picture in, picture out.

    Subclasses implement :meth:`forward` on ``Nx3xHxW`` float32 RGB 0..255
    (any H, W >= :attr:`min_size`) returning the same shape in 0..255, and set
    the attributes below.  A subclass may also implement ``onnx_core()``
    (the module :func:`prisma_abu.neural.stylenets.runtime.build_graph`
    writes as ONNX) and ``onnx_style(image)`` (its ``1xD`` style input) to
    get the ONNX Runtime path of :func:`stylize_tensor`.

    Attributes
    ----------
    name : str
        The spec that reloads it, e.g. ``"multistyle26:7"``.
    min_size : int
        Smallest accepted picture side, in pixels.
    sha256 : str
        Identity of the weights (the source file's sha256) for provenance.
    """

    name: str = ""
    min_size: int = 32
    sha256: str = ""

    def forward(self, image: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError


#: ``loader(argument, device=..., **options) -> StyleNet``; ``argument`` is what follows ``prefix:``.
SourceLoader = Callable[..., StyleNet]
#: ``loader(path, device=..., **options) -> StyleNet``.
FileLoader = Callable[..., StyleNet]


# -- checks ---------------------------------------------------------------------------


def check_strength(strength: float) -> float:
    """``strength`` as a float in 0..1, else InvalidParameterError."""
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"strength: expected a number in 0..1, got {strength!r}") from None
    if not 0.0 <= value <= 1.0:
        raise InvalidParameterError(f"strength: expected a number in 0..1, got {strength!r}")
    return value


# the registry and the inference call, by idea in their own modules; their names are this package's
from prisma_abu.neural.stylenets.registry import (builtin_models, file_suffixes, load_stylenet,  # noqa: E402
                                                  register_file_loader, register_source, source_names)
from prisma_abu.neural.stylenets.inference import run_plan, stylize_tensor  # noqa: E402
