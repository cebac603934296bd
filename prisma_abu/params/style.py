"""Gatys style transfer's knobs: neural-style's options and defaults, plus coarse-to-fine and the mask."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import InvalidParameterError
from .base import Params, check_int, check_range, device_knob, knob, register_kind
from .dream import PRECISIONS

__all__ = ["StyleParams", "STYLE_INITS", "STYLE_OPTIMIZERS", "STYLE_POOLINGS"]

#: how a style transfer starts: from noise, or from the content (or ``init_image``).
STYLE_INITS = ("random", "image")
STYLE_OPTIMIZERS = ("lbfgs", "adam")
STYLE_POOLINGS = ("max", "avg")

_W, _OPT, _NET, _SCALE, _MASK, _OUT = "weights", "optimisation", "network", "coarse to fine", "mask", "output"


@dataclass(frozen=True)
class StyleParams(Params):
    """Gatys neural style transfer knobs: neural-style's options and defaults.

    Each field's meaning is in its :func:`~prisma_abu.params.knob`
    (``prisma-abu style --help`` shows them); the names are neural-style's.
    """

    kind: ClassVar[str] = "style"

    style_blend_weights: tuple[float, ...] = knob((), "one weight per style picture (none: equal); they are "
                                                  "normalised to sum 1", metavar="W[,W...]", group=_W)
    size: int = knob(512, "the output's longer side in pixels (neural-style's image_size)", metavar="PIXELS",
                     low=16, high=16_384, unit="px", aliases=("image_size",), group=_OUT)
    content_weight: float = knob(5.0, "how much the picture must keep the content's structure",
                                 metavar="WEIGHT", low=0.0, group=_W)
    style_weight: float = knob(100.0, "how much the picture must take the styles' textures", metavar="WEIGHT",
                               low=0.0, group=_W)
    tv_weight: float = knob(1e-3, "total-variation smoothing (0: none)", metavar="WEIGHT", low=0.0, group=_W)
    num_iterations: int = knob(1000, "optimiser iterations in all, shared among the scales: a ceiling, the run "
                               "ends sooner once the loss stops falling (scale_tol, stop_tol); an iteration is "
                               "one evaluation of the losses, line-search trials included", metavar="N",
                               low=0, high=100_000, group=_OPT)
    init: str = knob("random", "start from noise, or from the content (or the init image)",
                     choices=STYLE_INITS, group=_OPT)
    init_image: str | None = knob(None, "a picture to start from (needs init=image)", metavar="FILE",
                                  group=_OPT)
    optimizer: str = knob("lbfgs", "the optimiser", choices=STYLE_OPTIMIZERS, group=_OPT)
    line_search: bool = knob(True, "L-BFGS with a strong-Wolfe line search, every step lowering the loss (false: "
                             "neural-style's unit steps, whose loss jumps up now and then; normalize_gradients "
                             "implies false)", group=_OPT, legacy=False)
    learning_rate: float = knob(10.0, "Adam's step size (L-BFGS's first trial step is 1)", metavar="RATE", low=0.0,
                                low_open=True, group=_OPT)
    style_scale: float = knob(1.0, "style pictures are resized to this times the output size", metavar="SCALE",
                              low=0.0, high=16.0, low_open=True, group=_W)
    original_colors: bool = knob(False, "keep the content's colours: only the style's luminance is taken",
                                 group=_OUT)
    pooling: str = knob("max", "the network's pooling", choices=STYLE_POOLINGS, group=_NET)
    content_layers: tuple[str, ...] = knob(("relu4_2",), "layers whose activations must match the content's",
                                           metavar="LAYER[,LAYER...]", group=_NET)
    style_layers: tuple[str, ...] = knob(("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"),
                                         "layers whose Gram matrices must match the styles'",
                                         metavar="LAYER[,LAYER...]", group=_NET)
    normalize_gradients: bool = knob(False, "neural-style's gradient normalisation of each content and style "
                                     "term", group=_OPT)
    seed: int = knob(0, "seeds the noise of init=random: same seed, same bytes", metavar="N", low=0,
                     high=2**63 - 1, group=_OPT)
    print_iter: int = knob(50, "report the losses every so many iterations (0: never)", metavar="N", low=0,
                           group=_OUT)
    save_iter: int = knob(100, "write the best picture so far beside the output every so many iterations "
                          "(0: never)", metavar="N", low=0, group=_OUT)
    backbone: str = knob("vgg16", "the network: vgg16 (embedded) or vgg19 / googlenet (with their weights)",
                         metavar="NAME", group=_NET)
    weights: str | None = knob(None, "a weights file, for backbones whose weights are not embedded",
                               metavar="FILE", group=_NET)
    precision: str = knob("auto", "arithmetic of the network: auto is the faster of fp32 and bf16, measured once "
                          "on this machine (fp32 where the device has no native bf16)", choices=PRECISIONS, group=_NET)
    device: str = device_knob()
    scales: int = knob(3, "coarse to fine: optimise at this many sizes, each scale_factor smaller (1: "
                       "neural-style's single scale)", metavar="N", low=1, high=8, group=_SCALE)
    scale_factor: float = knob(2.0, "size ratio between consecutive scales", metavar="RATIO", low=1.0,
                               high=8.0, low_open=True, group=_SCALE)
    scale_iterations: tuple[int, ...] = knob((), "iterations per scale, coarsest first (overrides "
                                             "num_iterations; run exactly, scale_tol and stop_tol ignored)",
                                             metavar="N[,N...]", group=_SCALE)
    scale_tol: float = knob(2e-3, "a coarse scale ends, handing its unused iterations to the next, once its best "
                            "loss falls by less than this fraction per iteration over the last 20 (0: each runs "
                            "its full share)", metavar="FRACTION", low=0.0, high=0.1, group=_SCALE, legacy=0.0)
    stop_tol: float = knob(1e-4, "likewise at the full size: the run stops there (0: it runs all of "
                           "num_iterations)", metavar="FRACTION", low=0.0, high=0.1, group=_SCALE, legacy=0.0)
    mask: str | None = knob(None, "style only inside this mask, the content elsewhere: a PrismaWorker mask "
                            "name (otsu, stdmean, features or a +-sum) or a mask picture (white: style)",
                            metavar="MASK|FILE", group=_MASK)
    dd: bool = knob(True, "the mask's dd (otsu keeps the bright side)", group=_MASK)
    cb: bool = knob(False, "the mask's cb (clear regions touching the border)", group=_MASK)
    std_factor: float = knob(1.0, "the stdmean mask's factor", metavar="FACTOR", low=0.0, high=1000.0,
                             group=_MASK)
    loop_factor: float = knob(1.0, "the features mask's factor", metavar="FACTOR", low=0.0, high=1000.0,
                              group=_MASK)
    mask_feather: float = knob(4.0, "the style fades out inside the mask's edge over about twice this many "
                               "pixels", metavar="PIXELS", low=0.0, high=1000.0, unit="px", group=_MASK)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_tuples()
        if self.init_image is not None and self.init != "image":
            raise InvalidParameterError(f"init_image: expected init='image' with an init image, got init={self.init!r}")
        for name in ("init_image", "mask", "weights"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidParameterError(f"{name}: expected a non-empty string or None, got {value!r}")

    def _check_tuples(self) -> None:
        for name in ("content_layers", "style_layers"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(x, str) and x for x in value):
                raise InvalidParameterError(f"{name}: expected a tuple of layer names, got {value!r}")
        if not self.content_layers and not self.style_layers:
            raise InvalidParameterError("content_layers, style_layers: expected at least one layer, got none")
        if not isinstance(self.style_blend_weights, tuple):
            raise InvalidParameterError(
                f"style_blend_weights: expected a tuple of weights, got {self.style_blend_weights!r}")
        for w in self.style_blend_weights:
            check_range("style_blend_weights", w, 0.0, None)
        if self.style_blend_weights and sum(self.style_blend_weights) <= 0:
            raise InvalidParameterError(
                f"style_blend_weights: expected a positive sum, got {self.style_blend_weights!r}")
        if not isinstance(self.scale_iterations, tuple):
            raise InvalidParameterError(
                f"scale_iterations: expected a tuple of integers, got {self.scale_iterations!r}")
        for n in self.scale_iterations:
            check_int("scale_iterations", n, 0, 100_000)
        if self.scale_iterations and len(self.scale_iterations) != self.scales:
            raise InvalidParameterError(
                f"scale_iterations: expected one count per scale ({self.scales}), "
                f"got {len(self.scale_iterations)}")


register_kind(StyleParams)
