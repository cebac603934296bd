"""Every knob of prisma_abu as a frozen parameter object.

The command line, the GUI, the batch grid, replay and the PNG metadata all
build the same objects, so a picture's parameters can be read back and the
picture rendered again bit for bit.

Examples
--------
>>> p = DreamParams(iter_n=5, seed=3)
>>> DreamParams.from_json(p.to_json()) == p
True
>>> p.replace(iter_n=7).iter_n
7
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, TypeVar

from .errors import InvalidParameterError

__all__ = [
    "DreamParams",
    "MixParams",
    "PRECISIONS",
    "OBJECTIVES",
    "params_from_dict",
]

P = TypeVar("P", bound="_Params")

#: numeric precisions the networks run in. ``auto`` is bf16 where the CPU has
#: native bf16 support, fp32 elsewhere.
PRECISIONS = ("auto", "fp32", "bf16")
#: DeepDream objectives: amplify the layer, or pull it toward a guide.
OBJECTIVES = ("l2", "guide")


def _check_range(name: str, value: float, lo: float | None, hi: float | None,
                 *, lo_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidParameterError(f"{name}: expected a finite number, got {value!r}")
    below = value <= lo if (lo is not None and lo_open) else (lo is not None and value < lo)
    if below or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        bracket = "(" if lo_open else "["
        raise InvalidParameterError(f"{name}: expected a value in {bracket}{lo_s}, {hi_s}], got {value!r}")


def _check_int(name: str, value: Any, lo: int, hi: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"{name}: expected an integer, got {value!r}")
    _check_range(name, value, lo, hi)


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise InvalidParameterError(
            f"{name}: expected one of {', '.join(map(str, choices))}, got {value!r}")


class _Params:
    """Shared behaviour: dict / JSON / TOML round trip and ``replace``."""

    kind: ClassVar[str] = ""

    def replace(self: P, **changes: Any) -> P:
        """A copy with some fields changed (validated again)."""
        return self.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, **self.to_dict()}, sort_keys=True)

    def to_toml(self) -> str:
        import tomli_w

        data = {k: ("None" if v is None else v) for k, v in self.to_dict().items()}
        return tomli_w.dumps({"kind": self.kind, **data})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls: type[P], data: Mapping[str, Any]) -> P:
        """Build from a mapping; unknown keys are an error naming the valid ones."""
        data = dict(data)
        kind = data.pop("kind", cls.kind)
        if kind != cls.kind:
            raise InvalidParameterError(f"expected parameters of kind {cls.kind!r}, got {kind!r}")
        names = cls.field_names()
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise InvalidParameterError(
                f"unknown parameter(s) {', '.join(unknown)} for {cls.kind}; "
                f"expected some of: {', '.join(names)}")
        hints = typing.get_type_hints(cls)
        return cls(**{k: _coerce(hints[k], v) for k, v in data.items()})  # type: ignore[call-arg]

    @classmethod
    def from_json(cls: type[P], text: str) -> P:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidParameterError(f"expected JSON parameters, got invalid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidParameterError(f"expected a JSON object, got {type(data).__name__}")
        return cls.from_dict(data)

    @classmethod
    def from_toml(cls: type[P], text: str) -> P:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidParameterError(f"expected TOML parameters, got invalid TOML ({exc})") from None
        return cls.from_dict(data)


def _coerce(hint: Any, value: Any) -> Any:
    """Lists from JSON/TOML back to tuples; the string "None" to None where allowed."""
    args = typing.get_args(hint)
    optional = type(None) in args
    if optional and isinstance(value, str) and value in ("None", "none"):
        return None
    if isinstance(value, list):
        return tuple(_coerce_item(v) for v in value)
    return value


def _coerce_item(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class DreamParams(_Params):
    """DeepDream knobs (the original's ``do_prisma`` / ``do_prisma_step``).

    Parameters
    ----------
    backbone : str
        Network name (see ``prisma-abu layers``).
    layers : tuple of str
        End layer(s); empty means the backbone's default layer.
    layer_weights : tuple of float
        One weight per layer (empty: all 1).
    channels : tuple of int
        Channel subset the objective looks at (empty: all channels).
    iter_n, octave_n, octave_scale, step_size, jitter
        The original's pyramid: ``iter_n`` gradient steps per octave, ``octave_n``
        octaves each ``octave_scale`` smaller, steps of ``step_size`` on 0-255
        pixels normalised by mean |gradient|, random rolls of up to ``jitter`` px.
    objective : {'l2', 'guide'}
        Amplify the layer, or pull it toward the guide image's features.
    tile_size : int
        Largest tile (px) run through the network at once; bounds memory.
    precision : {'auto', 'fp32', 'bf16'}
    seed : int
        Seeds the jitter and tile shifts: same seed, same bytes.
    weights : str or None
        A weights file for backbones that are not embedded.
    width : int or None
        Resize the input to this width first (keeping its aspect); None keeps it.
    """

    kind: ClassVar[str] = "dream"

    backbone: str = "efficientnet_lite0"
    layers: tuple[str, ...] = ()
    layer_weights: tuple[float, ...] = ()
    channels: tuple[int, ...] = ()
    iter_n: int = 10
    octave_n: int = 4
    octave_scale: float = 1.4
    step_size: float = 1.5
    jitter: int = 32
    objective: str = "l2"
    tile_size: int = 512
    precision: str = "auto"
    seed: int = 0
    weights: str | None = None
    width: int | None = None

    def __post_init__(self) -> None:
        _check_int("iter_n", self.iter_n, 0, 100_000)
        _check_int("octave_n", self.octave_n, 1, 64)
        _check_range("octave_scale", self.octave_scale, 1.0, 16.0)
        _check_range("step_size", self.step_size, 0.0, None)
        _check_int("jitter", self.jitter, 0)
        _check_int("tile_size", self.tile_size, 32)
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_choice("objective", self.objective, OBJECTIVES)
        _check_choice("precision", self.precision, PRECISIONS)
        if self.width is not None:
            _check_int("width", self.width, 1, 100_000)
        if not isinstance(self.layers, tuple) or not all(isinstance(x, str) and x for x in self.layers):
            raise InvalidParameterError(f"layers: expected a tuple of layer names, got {self.layers!r}")
        if self.layer_weights and len(self.layer_weights) != len(self.layers):
            raise InvalidParameterError(
                f"layer_weights: expected one weight per layer ({len(self.layers)}), "
                f"got {len(self.layer_weights)}")
        for w in self.layer_weights:
            _check_range("layer_weights", w, None, None)
        for c in self.channels:
            _check_int("channels", c, 0)


@dataclass(frozen=True)
class MixParams(_Params):
    """PrismaWorker knobs: mask, convolution-weighted blend, enhance, shallow dream.

    One flat object (rather than nested mask/blend/dream objects) so that a
    batch grid, a GUI form and a command line address every knob by one name.
    ``dream_params()`` gives the DeepDream part as a :class:`DreamParams`.

    The fields keep the original's names and defaults: ``mask`` (``otsu``,
    ``stdmean``, ``features`` or a ``+``-sum, the original's ``otsu_func``
    strings too), ``dd``, ``cb``, ``std_factor``, ``loop_factor``, windows
    ``n1 n2 n3``, ``convd_median_factor``, ``convd_big_factor``, ``rb_rate``,
    ``all_mask`` and ``all_mask_rb_rate`` (0.88), spot masks ``spots_keep`` /
    ``spots_drop`` as (y, x, size) triples, ``enhance`` preset and its factor
    ``enhance_p``, the dream ``layer`` (the original's ``nbk``; ``"auto"`` is the
    backbone's Prisma layer, None skips the dream), ``iter_n`` (10) and
    ``force_iter_n``, and the resize ``base_width`` (480) / ``keep_size``.
    """

    kind: ClassVar[str] = "mix"

    mask: str = "otsu"
    dd: bool = True
    cb: bool = False
    std_factor: float = 1.0
    loop_factor: float = 1.0
    n1: int = 5
    n2: int = 25
    n3: int = 120
    convd_median_factor: float = 5.0
    convd_big_factor: float = 1.0
    rb_rate: float = 1.0
    all_mask: bool = False
    all_mask_rb_rate: float = 0.88
    spots_keep: tuple[tuple[int, int, int], ...] = ()
    spots_drop: tuple[tuple[int, int, int], ...] = ()
    enhance: str | None = None
    enhance_p: float | None = None
    layer: str | None = "auto"
    backbone: str = "efficientnet_lite0"
    iter_n: int = 10
    force_iter_n: int | None = None
    octave_n: int = 4
    octave_scale: float = 1.4
    step_size: float = 1.5
    jitter: int = 32
    precision: str = "auto"
    base_width: int = 480
    keep_size: bool = False
    seed: int = 0
    weights: str | None = None

    def __post_init__(self) -> None:
        for name in ("dd", "cb", "all_mask", "keep_size"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameterError(f"{name}: expected true or false, got {getattr(self, name)!r}")
        if not isinstance(self.mask, str) or not self.mask.strip():
            raise InvalidParameterError(f"mask: expected a mask name such as 'otsu+features', got {self.mask!r}")
        for name in ("n1", "n2", "n3"):
            _check_int(name, getattr(self, name), 1, 100_000)
        for name in ("std_factor", "loop_factor", "convd_median_factor", "convd_big_factor"):
            _check_range(name, getattr(self, name), 0.0, 1000.0)
        _check_range("rb_rate", self.rb_rate, 0.0, 1.0, lo_open=True)
        _check_range("all_mask_rb_rate", self.all_mask_rb_rate, 0.0, 1.0, lo_open=True)
        if self.enhance_p is not None:
            _check_range("enhance_p", self.enhance_p, 0.0, 100.0)
        if self.force_iter_n is not None:
            _check_int("force_iter_n", self.force_iter_n, 0, 100_000)
        _check_int("base_width", self.base_width, 8, 100_000)
        for name in ("spots_keep", "spots_drop"):
            for spot in getattr(self, name):
                if len(spot) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in spot) \
                        or spot[2] < 0:
                    raise InvalidParameterError(
                        f"{name}: expected (y, x, size) triples of integers with size >= 0, got {spot!r}")
        self.dream_params()  # validates the dream knobs too

    def dream_params(self, *, iter_n: int | None = None) -> DreamParams:
        """The DeepDream part of these parameters."""
        if iter_n is None:
            iter_n = self.iter_n
        if self.force_iter_n is not None:
            iter_n = self.force_iter_n
        layers = () if self.layer in (None, "auto") else (self.layer,)
        return DreamParams(
            backbone=self.backbone, layers=layers, iter_n=iter_n, octave_n=self.octave_n,
            octave_scale=self.octave_scale, step_size=self.step_size, jitter=self.jitter,
            precision=self.precision, seed=self.seed, weights=self.weights,
        )


_KINDS: dict[str, type[_Params]] = {"dream": DreamParams, "mix": MixParams}


def register_kind(cls: type[_Params]) -> type[_Params]:
    """Make a parameter class known to :func:`params_from_dict` (style, batch...)."""
    _KINDS[cls.kind] = cls
    return cls


def params_from_dict(data: Mapping[str, Any]) -> _Params:
    """Build whichever parameter object ``data['kind']`` names."""
    kind = data.get("kind")
    if kind not in _KINDS:
        raise InvalidParameterError(
            f"expected a parameter kind in {', '.join(sorted(_KINDS))}, got {kind!r}")
    return _KINDS[kind].from_dict(data)


#: how a style transfer starts: from noise, or from the content (or ``init_image``).
STYLE_INITS = ("random", "image")
STYLE_OPTIMIZERS = ("lbfgs", "adam")
STYLE_POOLINGS = ("max", "avg")


@dataclass(frozen=True)
class StyleParams(_Params):
    """Gatys neural style transfer knobs: neural-style's options and defaults.

    Parameters
    ----------
    style_blend_weights : tuple of float
        One weight per style image (empty: equal weights); normalised to sum 1.
    image_size : int
        The output's longer side (px); the content is resized to it.
    content_weight, style_weight, tv_weight : float
        5, 100 and 1e-3 as in neural-style (each content / style layer's loss
        is weighted by its weight; see :mod:`prisma_abu.neural.losses`).
    num_iterations : int
        Iterations in all, shared among the scales (see ``scales``).
    init : {'random', 'image'}
        Start from noise, or from the content (or ``init_image`` when set).
    init_image : str or None
        A picture to start from (needs ``init='image'``).
    optimizer : {'lbfgs', 'adam'}
    learning_rate : float
        Adam's step size (neural-style's 1e1); L-BFGS takes unit steps.
    style_scale : float
        Style images are resized to ``style_scale * image_size`` (longer side).
    original_colors : bool
        Keep the content's colours: the result's luminance with the content's
        chroma (YCbCr).
    pooling : {'max', 'avg'}
    content_layers, style_layers : tuple of str
    normalize_gradients : bool
        neural-style's gradient normalisation of each content / style term.
    seed : int
        Seeds the noise of ``init='random'``: same seed, same bytes.
    print_iter, save_iter : int
        Report the losses / write a checkpoint (the best picture so far)
        every so many iterations (0: never).
    backbone : str
        ``vgg16`` (embedded) or ``vgg19`` (user weights).
    weights : str or None
        A weights file for backbones that are not embedded.
    precision : {'auto', 'fp32', 'bf16'}
        ``auto``: bf16 autocast on CPUs with native bf16, else fp32 (measured
        at 512 px: as many iterations to a given loss as fp32, 0.6x the time).
    scales : int
        Coarse to fine: optimise at ``scale_factor``-times smaller sizes first
        (1 = neural-style's single scale). Scales under 64 px are skipped.
    scale_factor : float
        Size ratio between consecutive scales.
    scale_iterations : tuple of int
        Iterations per scale, coarsest first (overrides ``num_iterations``);
        empty: ``num_iterations`` split by a fixed rule (see
        :func:`prisma_abu.style.iteration_schedule`).
    mask : str or None
        Style only where this mask is on, the content elsewhere: a PrismaWorker
        mask name (``otsu``, ``stdmean``, ``features`` or a ``+``-sum; on where
        not 0) or a mask picture file (on where >= 128). None: everywhere.
    dd, cb, std_factor, loop_factor : bool, bool, float, float
        The mask's knobs (as in :class:`MixParams`).
    mask_feather : float
        The style fades out inside the mask's edge over about twice this
        (a Gaussian's sigma, px at the output size).
    """

    kind: ClassVar[str] = "style"

    style_blend_weights: tuple[float, ...] = ()
    image_size: int = 512
    content_weight: float = 5.0
    style_weight: float = 100.0
    tv_weight: float = 1e-3
    num_iterations: int = 1000
    init: str = "random"
    init_image: str | None = None
    optimizer: str = "lbfgs"
    learning_rate: float = 10.0
    style_scale: float = 1.0
    original_colors: bool = False
    pooling: str = "max"
    content_layers: tuple[str, ...] = ("relu4_2",)
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    normalize_gradients: bool = False
    seed: int = 0
    print_iter: int = 50
    save_iter: int = 100
    backbone: str = "vgg16"
    weights: str | None = None
    precision: str = "auto"
    scales: int = 3
    scale_factor: float = 2.0
    scale_iterations: tuple[int, ...] = ()
    mask: str | None = None
    dd: bool = True
    cb: bool = False
    std_factor: float = 1.0
    loop_factor: float = 1.0
    mask_feather: float = 4.0

    def __post_init__(self) -> None:
        for name in ("original_colors", "normalize_gradients", "dd", "cb"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidParameterError(f"{name}: expected true or false, got {getattr(self, name)!r}")
        _check_int("image_size", self.image_size, 16, 16_384)
        _check_int("num_iterations", self.num_iterations, 0, 1_000_000)
        for name in ("content_weight", "style_weight", "tv_weight"):
            _check_range(name, getattr(self, name), 0.0, None)
        _check_range("learning_rate", self.learning_rate, 0.0, None, lo_open=True)
        _check_range("style_scale", self.style_scale, 0.0, 16.0, lo_open=True)
        _check_choice("init", self.init, STYLE_INITS)
        _check_choice("optimizer", self.optimizer, STYLE_OPTIMIZERS)
        _check_choice("pooling", self.pooling, STYLE_POOLINGS)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("print_iter", self.print_iter, 0)
        _check_int("save_iter", self.save_iter, 0)
        _check_int("scales", self.scales, 1, 8)
        _check_range("scale_factor", self.scale_factor, 1.0, 8.0, lo_open=True)
        _check_range("std_factor", self.std_factor, 0.0, 1000.0)
        _check_range("loop_factor", self.loop_factor, 0.0, 1000.0)
        _check_range("mask_feather", self.mask_feather, 0.0, 1000.0)
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
            _check_range("style_blend_weights", w, 0.0, None)
        if self.style_blend_weights and sum(self.style_blend_weights) <= 0:
            raise InvalidParameterError(
                f"style_blend_weights: expected a positive sum, got {self.style_blend_weights!r}")
        if not isinstance(self.scale_iterations, tuple):
            raise InvalidParameterError(
                f"scale_iterations: expected a tuple of integers, got {self.scale_iterations!r}")
        for n in self.scale_iterations:
            _check_int("scale_iterations", n, 0, 1_000_000)
        if self.scale_iterations and len(self.scale_iterations) != self.scales:
            raise InvalidParameterError(
                f"scale_iterations: expected one count per scale ({self.scales}), "
                f"got {len(self.scale_iterations)}")


register_kind(StyleParams)


@dataclass(frozen=True)
class TrainStyleParams(_Params):
    """Training knobs of a feed-forward style network (Johnson et al. 2016).

    The network is pytorch-examples' ``TransformerNet`` (instance norm),
    trained with Adam on random crops (and flips) of photos against Johnson's
    perceptual loss on the embedded VGG16: content at ``relu2_2``, style
    (Gram matrices) at ``relu1_2, relu2_2, relu3_3, relu4_3``, plus total
    variation.  See :mod:`prisma_abu.neural.stylenets.train`.

    Parameters
    ----------
    style_image_size : int or None
        The style picture's longer side (px) for its Gram matrices; None
        keeps its size.
    image_size : int
        Side of the square training crops (px, a multiple of 4).
    batch_size : int
        Crops per step.
    steps : int
        Optimiser steps in all.
    learning_rate : float
        Adam's step size (pytorch-examples' 1e-3).
    content_weight, style_weight, tv_weight : float
        Weights of the three losses: Johnson's fast-neural-style values
        (1, 5, 1e-6), made for exactly this loss (Caffe VGG16 on 0..255 BGR
        minus the mean pixel, Gram matrices over ``C·H·W``, mean squared
        errors).  pytorch-examples' 1e5 and 1e10 belong to torchvision's
        VGG16 on normalised 0..1 input, about 58 times smaller (and so,
        roughly, its activations).  Total variation is ``½ Σ (Δx² + Δy²)`` over each painting's
        0..255 pixels, averaged over the batch.
    width : float
        Channel multiplier: 1.0 is pytorch-examples' network (32, 64, 128
        channels); 0.25 is 16 times cheaper, for a CPU.
    precision : {'auto', 'fp32', 'bf16'}
        bf16 autocast (``auto``: where the device runs bf16 natively).
    seed : int
        Seeds the network's initial weights and the crops: same seed, same run.
    checkpoint_every : int
        Write a checkpoint (network, optimiser, random state, step) every so
        many steps and at the end (0: never).
    """

    kind: ClassVar[str] = "train_style"

    style_image_size: int | None = 256
    image_size: int = 256
    batch_size: int = 4
    steps: int = 4000
    learning_rate: float = 1e-3
    content_weight: float = 1.0
    style_weight: float = 5.0
    tv_weight: float = 1e-6
    width: float = 1.0
    precision: str = "auto"
    seed: int = 0
    checkpoint_every: int = 500

    def __post_init__(self) -> None:
        if self.style_image_size is not None:
            _check_int("style_image_size", self.style_image_size, 16, 8192)
        _check_int("image_size", self.image_size, 16, 4096)
        if self.image_size % 4:
            raise InvalidParameterError(f"image_size: expected a multiple of 4, got {self.image_size}")
        _check_int("batch_size", self.batch_size, 1, 256)
        _check_int("steps", self.steps, 1, 10_000_000)
        _check_range("learning_rate", self.learning_rate, 0.0, 1.0, lo_open=True)
        for name in ("content_weight", "style_weight", "tv_weight"):
            _check_range(name, getattr(self, name), 0.0, None)
        _check_range("width", self.width, 0.0, 8.0, lo_open=True)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("checkpoint_every", self.checkpoint_every, 0)


register_kind(TrainStyleParams)
