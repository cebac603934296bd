"""The PrismaWorker's knobs: mask, convolution-weighted blend, enhance preset, shallow dream."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Mapping

from ..errors import InvalidParameterError
from .base import NO_LEGACY, Params, device_knob, knob, knobs, register_kind
from .dream import PRECISIONS, DreamParams

__all__ = ["MixParams", "TEXTURES", "TEXTURE_FIELDS"]

_MASK, _BLEND, _LOOK, _DREAM, _OUT = "mask", "blend", "look", "dream", "output"

#: the fields a texture preset sets
TEXTURE_FIELDS = ("backbone", "layer", "iter_n", "octave_n", "step_size", "dream_scale")

#: the named brush textures: each a backbone, a shallow layer and the dream's steps
#: (README "The Prisma look" says how they were chosen; docs/textures.png shows them)
TEXTURES: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "fine": MappingProxyType({"backbone": "vgg16", "layer": "relu1_1", "iter_n": 4, "octave_n": 1,
                              "step_size": 3.0, "dream_scale": 1.0}),
    "strokes": MappingProxyType({"backbone": "vgg16", "layer": "relu1_2", "iter_n": 6, "octave_n": 2,
                                 "step_size": 3.0, "dream_scale": 0.5}),
    "bold": MappingProxyType({"backbone": "vgg16", "layer": "relu1_2", "iter_n": 8, "octave_n": 2,
                              "step_size": 3.0, "dream_scale": 0.33}),
})


@dataclass(frozen=True)
class MixParams(Params):
    """PrismaWorker knobs: mask, convolution-weighted blend, enhance, shallow dream.

    One flat object (rather than nested mask/blend/dream objects) so that a
    batch grid, a GUI form and a command line address every knob by one name;
    the fields keep the original's names and defaults. ``dream_params()``
    gives the DeepDream part as a :class:`~prisma_abu.params.DreamParams`.
    Each field's meaning is in its :func:`~prisma_abu.params.knob`
    (``prisma-abu mix --help`` shows them).
    """

    kind: ClassVar[str] = "mix"
    #: the fields ``auto`` chooses for each photo (given explicitly, they turn ``auto`` off)
    AUTO_KNOBS: ClassVar[tuple[str, ...]] = (
        "mask", "dd", "cb", "std_factor", "loop_factor", "n1", "n2", "n3", "convd_median_factor",
        "convd_big_factor")
    #: the fields a ``texture`` preset sets (given explicitly, they turn ``texture`` off)
    TEXTURE_KNOBS: ClassVar[tuple[str, ...]] = TEXTURE_FIELDS

    mask: str = knob("otsu", "which pixels keep the photo: otsu, stdmean, features, saliency (where the "
                     "ImageNet classifier sees the subject), or a sum such as saliency+otsu (the original's "
                     "otsu_func names work too)", metavar="MASK[+MASK...]", group=_MASK)
    dd: bool = knob(True, "otsu keeps the bright side of Otsu's threshold (off: the dark side)", group=_MASK)
    cb: bool = knob(False, "clear the mask's regions that touch the picture's border", group=_MASK)
    auto: bool = knob(True, "choose the mask, its side (dd), the blend windows and thresholds for this photo "
                      "(the subject kept, the rest from the guide); off: the mask knobs as given",
                      group=_MASK, legacy=False)
    std_factor: float = knob(1.0, "stdmean keeps pixels further than this many standard deviations from the "
                             "mean", metavar="FACTOR", low=0.0, high=1000.0, group=_MASK)
    loop_factor: float = knob(1.0, "features: the size of the regions kept around each corner",
                              metavar="FACTOR", low=0.0, high=1000.0, group=_MASK)
    n1: int = knob(5, "small window: a pixel near the mask keeps the photo where the large window is dense",
                   metavar="PIXELS", low=1, high=100_000, unit="px", group=_BLEND)
    n2: int = knob(25, "medium window: the photo is kept where the mask's average over it is high",
                   metavar="PIXELS", low=1, high=100_000, unit="px", group=_BLEND)
    n3: int = knob(120, "large window: its average sets the scale of both thresholds (at most the picture's "
                   "size)", metavar="PIXELS", low=1, high=100_000, unit="px", group=_BLEND)
    convd_median_factor: float = knob(5.0, "medium threshold: keep where the medium average exceeds this "
                                      "times the large one's mean (lower keeps more photo)", metavar="FACTOR",
                                      low=0.0, high=1000.0, group=_BLEND)
    convd_big_factor: float = knob(1.0, "large threshold: near the mask, keep where the large average exceeds "
                                   "this times its mean (0: everywhere near the mask)", metavar="FACTOR",
                                   low=0.0, high=1000.0, group=_BLEND)
    rb_rate: float = knob(1.0, "chance a kept pixel's red channel is really kept (green and blue less): below "
                          "1 the guide shows through in colour speckles; without a guide the dream runs "
                          "10/rb_rate steps", metavar="RATE", low=0.0, high=1.0, low_open=True, group=_BLEND)
    all_mask: bool = knob(False, "the whole picture takes the guide (only the shallow dream's edges remain)",
                          group=_BLEND)
    all_mask_rb_rate: float = knob(0.88, "rb_rate of the all-mask pictures", metavar="RATE", low=0.0, high=1.0,
                                   low_open=True, group=_BLEND)
    spots_keep: tuple[tuple[int, int, int], ...] = knob((), "squares where the photo always stays, as "
                                                        "y,x,size;y,x,size", metavar="Y,X,SIZE;...",
                                                        group=_MASK)
    spots_drop: tuple[tuple[int, int, int], ...] = knob((), "squares where the guide always shows, as "
                                                        "y,x,size;y,x,size", metavar="Y,X,SIZE;...",
                                                        group=_MASK)
    enhance: str | None = knob(None, "a Pillow enhance preset applied before the dream (Sharpness, Contrast, "
                               "Color, Brightness, CONTOUR...; none: no preset)", metavar="PRESET",
                               group=_LOOK)
    enhance_p: float | None = knob(None, "the preset's factor (none: the preset's own)", metavar="FACTOR",
                                   low=0.0, high=100.0, group=_LOOK)
    guide_model: str | None = knob(None, "paint the guide from the photo itself with this style network "
                                   "(--guide stylized:MODEL: multistyle26:N, a blend, or a model file): the mask "
                                   "keeps the photo, the rest comes from its painted self", metavar="MODEL",
                                   group=_LOOK, legacy=None)
    compose: str = knob("paint", "paint: the photo painted by the arbitrary style network with the guide as its "
                         "style (or by the --guide stylized:MODEL network), the photo blended back through a soft "
                         "keep map (subject and faces); paste: the book's blend of the photo and the raw guide",
                         metavar="HOW", choices=("paint", "paste"), group=_LOOK, legacy="paste")
    keep: float = knob(0.5, "with compose paint: how much photo the subject keeps over its painting (0: all "
                       "painting, 1: the photo)", metavar="SHARE", low=0.0, high=1.0, group=_LOOK)
    softness: float = knob(0.03, "with compose paint: the keep map's feathering, a fraction of the longer side",
                           metavar="FRACTION", low=0.0, high=1.0, group=_LOOK)
    texture: str | None = knob("auto", "a named brush texture: fine, strokes or bold (each a backbone, layer "
                               "and dream steps; it sets them); auto: with compose paint the painting's own (no "
                               "dream), with paste the one auto picks for the photo (strokes when auto is off); "
                               "none: backbone, layer, iter_n, octave_n, step_size and "
                               "dream_scale as given (a layer other than auto turns it off too)",
                               metavar="NAME", choices=("auto", *TEXTURES), group=_DREAM, legacy=None)
    layer: str | None = knob("auto", "the layer the short dream amplifies (the original's nbk); auto: the "
                             "texture's, or without one the backbone's Prisma layer; none: no dream", metavar="LAYER",
                             group=_DREAM)
    backbone: str = knob("efficientnet_lite0", "the network that dreams (see `prisma-abu doctor`)",
                         metavar="NAME", group=_DREAM)
    iter_n: int = knob(10, "dream steps per octave", metavar="STEPS", low=0, high=1_000, unit="steps",
                       group=_DREAM)
    force_iter_n: int | None = knob(None, "overrides every iter_n, the plain dream's too (none: off)",
                                    metavar="STEPS", low=0, high=1_000, unit="steps", group=_DREAM)
    octave_n: int = knob(4, "octaves of the dream pyramid", metavar="N", low=1, high=16, group=_DREAM)
    dream_scale: float = knob(1.0, "the dream runs on the picture shrunk by this factor and its detail is scaled "
                              "back up (below 1: broader strokes, and faster)", metavar="FACTOR", low=0.0,
                              high=1.0, low_open=True, group=_DREAM, legacy=1.0)
    octave_scale: float = knob(1.4, "size ratio between two octaves", metavar="RATIO", low=1.0, high=16.0,
                               group=_DREAM)
    step_size: float = knob(1.5, "how far each dream step moves the pixels", metavar="STEP", low=0.0,
                            high=255.0, group=_DREAM)
    jitter: int = knob(32, "random shift before each dream step, at most this many pixels", metavar="PIXELS",
                       low=0, high=4096, unit="px", group=_DREAM)
    precision: str = knob("auto", "arithmetic of the network: auto is the faster of fp32 and bf16, measured once "
                          "on this machine (fp32 where the device has no native bf16)", choices=PRECISIONS, group=_DREAM)
    device: str = device_knob()
    size: int = knob(480, "the output's longer side in pixels (with square: the square's side, the book's "
                     "base_width)", metavar="PIXELS", low=8, high=100_000, unit="px", aliases=("base_width",),
                     group=_OUT)
    square: bool = knob(False, "stretch photo and guide to a size x size square, as the book did (off: the photo "
                        "keeps its aspect and the guide is scaled to cover it and centre-cropped)", group=_OUT,
                        legacy=True)
    keep_size: bool = knob(False, "with square: the book's keep_size, the photo keeps its aspect at width size and "
                           "the guide is stretched to it (without square the aspect is always kept)", group=_OUT)
    seed: int = knob(0, "seeds the rb_rate draws and the dream: same seed, same bytes", metavar="N", low=0,
                     high=2**63 - 1, group=_DREAM)
    weights: str | None = knob(None, "a weights file, for backbones whose weights are not embedded",
                               metavar="FILE", group=_DREAM)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.mask, str) or not self.mask.strip():
            raise InvalidParameterError(f"mask: expected a mask name such as 'otsu+features', got {self.mask!r}")
        for name in ("spots_keep", "spots_drop"):
            for spot in getattr(self, name):
                if len(spot) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in spot) \
                        or spot[2] < 0:
                    raise InvalidParameterError(
                        f"{name}: expected (y, x, size) triples of integers with size >= 0, got {spot!r}")
        self.dream_params()  # validates the dream knobs too

    def with_texture(self, name: str | None = None) -> MixParams:
        """These parameters with texture preset ``name`` (default: ``self.texture``) applied.

        The preset's fields (:data:`TEXTURE_FIELDS`) replace these, and
        ``texture`` becomes None, so the result renders the same whatever
        the presets become later. ``"auto"`` stands for ``strokes`` here (the
        pipeline's ``auto`` may pick another before calling this), and with
        ``compose="paint"`` for no dream (``layer=None``: the painting's own
        brush texture). No preset (None), no dream (``layer=None``) or a layer
        given (not ``"auto"``): the knobs as they are.
        """
        name = self.texture if name is None else name
        if name is None or self.layer != "auto":  # no dream, or a layer given: no preset
            return self if self.texture is None else self.replace(texture=None)
        if name == "auto" and self.compose == "paint":
            return self.replace(texture=None, layer=None)
        preset = TEXTURES["strokes" if name == "auto" else name]
        return self.replace(texture=None, **preset)

    @classmethod
    def given(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """Knob values as a user gave them (options, a batch's table), with the rule for ``auto``
        and ``texture``: a knob ``auto`` chooses (:attr:`AUTO_KNOBS`) turns ``auto`` off, a knob a
        texture sets (:attr:`TEXTURE_KNOBS`) turns ``texture`` off, unless those are given too;
        ``square`` with ``auto`` off (the book's squares, ``--square --no-auto``) composes as the
        book did (``paste``) unless ``compose`` is given.

        >>> MixParams.given({"n3": 1})["auto"], MixParams.given({"n3": 1, "auto": True})["auto"]
        (False, True)
        >>> MixParams.given({"square": True, "auto": False})["compose"]
        'paste'
        """
        out = dict(cls.canonical(values))
        if "auto" not in out and any(name in out for name in cls.AUTO_KNOBS):
            out["auto"] = False
        if "texture" not in out and any(name in out for name in cls.TEXTURE_KNOBS):
            out["texture"] = None
        if "compose" not in out and out.get("square") and out.get("auto") is False:
            out["compose"] = "paste"
        return out

    @classmethod
    def book(cls, **changes: Any) -> MixParams:
        """The book's PrismaWorker: every knob added since 0.1.0 at its old behaviour, then ``changes``.

        A square picture, no ``auto``, no texture preset (the backbone's
        Prisma layer at 10 steps x 4 octaves), the dream at full size.
        """
        legacy = {name: info.legacy for name, info in knobs(cls).items() if info.legacy is not NO_LEGACY}
        return cls.from_dict({**legacy, **changes})

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
            precision=self.precision, seed=self.seed, weights=self.weights, device=self.device,
        )


register_kind(MixParams)
