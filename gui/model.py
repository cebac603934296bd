"""The window's state as traits: every command's knobs, the pictures, what is shown.

:class:`MixModel` mirrors :class:`prisma_abu.params.MixParams` one trait per
field (``to_params`` / ``from_params``), made from its knobs
(:mod:`.knob_traits`) as the other commands' knobs are; :class:`PrismaModel`
adds the command, the chosen pictures and the last result; :class:`BatchModel` is the grid of the "Batch"
dialog. Nothing here touches Qt or renders anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from traits.api import (Any as AnyTrait, Bool, Dict, Directory, Enum, Float, HasStrictTraits, Instance, Int,
                        List, Property, Range, Str, Tuple, Union, cached_property, observe)

from prisma_abu.data import data_dir
from prisma_abu.errors import InvalidParameterError
from prisma_abu.jobs import Rendered
from prisma_abu.params import MixParams, Params, knobs
from prisma_abu.pipeline import MixResult, check_mask_spec, enhance_presets, mask_combinations, texture_names

from .command_table import WINDOW_COMMANDS
from .knob_traits import KnobTraits, as_trait_value, knob_traits_class

__all__ = ["MASK_CHOICES", "ENHANCE_PRESETS", "TEXTURE_CHOICES", "MixModel", "PrismaModel", "BatchModel",
           "picture_choices", "layer_choices", "display_rgb", "default_batch_folder"]

_D = MixParams()
#: the seven mask functions the original offered, as ``mask`` strings
MASK_CHOICES = mask_combinations()
#: what the Mask list offers: the classifier's subject (alone, and with Otsu), then the original's seven
MASK_OFFERED = ("saliency", "saliency+otsu", *MASK_CHOICES)
#: the texture presets ("auto": auto's pick; None: the dream knobs as set)
TEXTURE_CHOICES = ("auto", *texture_names(), None)
#: the enhance presets, None first (no preset)
ENHANCE_PRESETS = enhance_presets()


def layer_choices(backbone: str) -> list[str | None]:
    """``"auto"`` (the backbone's Prisma layer), None (no dream), then every layer in network order."""
    from prisma_abu.pipeline.models import layer_names

    return ["auto", None, *layer_names(backbone)]


def _backbones() -> tuple[str, ...]:
    from prisma_abu.pipeline.models import backbone_names

    return backbone_names()


def _help(name: str) -> str:
    return knobs(MixParams)[name].help


class MixModel(knob_traits_class(MixParams)):  # type: ignore[misc]
    """One trait per :class:`~prisma_abu.params.MixParams` field, same names and defaults.

    The traits are made from the knobs' declarations (:mod:`.knob_traits`):
    ranges, choices and tooltips are the command line's. Four free-text knobs
    offer the lists this machine has instead: masks, backbones, the chosen
    backbone's layers and the enhance presets. :meth:`to_params` validates
    the whole set (raising :class:`~prisma_abu.errors.InvalidParameterError`).

    Examples
    --------
    >>> m = MixModel(n3=60, layer=None)
    >>> m.to_params() == MixParams(n3=60, layer=None)
    True
    """

    mask = Enum(values="mask_choices", tooltip=_help("mask"))
    layer = Enum(values="layer_choices", tooltip=_help("layer"))
    backbone = Enum(values="backbone_choices", tooltip=_help("backbone"))
    enhance = Enum(*ENHANCE_PRESETS, tooltip=_help("enhance"))

    # -- the choices the enumerations offer (not knobs) --
    mask_choices = List(Str, list(MASK_OFFERED))
    layer_choices = List(AnyTrait)
    backbone_choices = List(Str)

    #: set while knobs are set together (parameters loaded): the auto/texture rule below holds back
    _applying = Bool(False)
    #: set while auto's choices are shown in its knobs (the window renders nothing new for them)
    showing_choices = Bool(False)

    def __init__(self, **traits: Any) -> None:
        backbone = traits.pop("backbone", _D.backbone)
        layer = traits.pop("layer", _D.layer)
        traits.setdefault("mask", _D.mask)
        self._applying = True
        super().__init__(backbone_choices=list(_backbones()), **traits)
        self.backbone = backbone
        self.layer_choices = layer_choices(self.backbone)
        self._set_layer(layer)
        self._applying = False

    # -- as the command line: a knob auto (or a texture) chooses, set by hand, turns it off --------------

    @observe(",".join(MixParams.AUTO_KNOBS), post_init=True)
    def _auto_knob_set(self, event) -> None:
        if not self._applying:
            self.auto = False

    @observe(",".join(MixParams.TEXTURE_KNOBS), post_init=True)
    def _texture_knob_set(self, event) -> None:
        if not self._applying:
            self.texture = None

    # -- MixParams round trip -----------------------------------------------------------------------

    @classmethod
    def from_params(cls, params: MixParams) -> "MixModel":
        """A model holding ``params``."""
        model = cls()
        model.set_params(params)
        return model

    def check_params(self, params: MixParams) -> None:
        """Also: a mask name that exists, a backbone and an enhance preset the lists offer."""
        super().check_params(params)
        check_mask_spec(params.mask)  # an unknown mask name fails here, with the valid names
        if params.backbone not in self.backbone_choices:
            raise InvalidParameterError(
                f"backbone: expected one of {', '.join(self.backbone_choices)}, got {params.backbone!r}")
        if params.enhance not in ENHANCE_PRESETS:
            raise InvalidParameterError(
                f"enhance: expected one of {', '.join(map(str, ENHANCE_PRESETS))}, got {params.enhance!r}")

    def _apply(self, params: MixParams) -> None:
        """Every knob from ``params`` (a mask or layer outside the lists is added to them)."""
        self._applying = True
        try:
            if params.mask not in self.mask_choices:
                self.mask_choices = [*self.mask_choices, params.mask]
            self.backbone = params.backbone
            self._set_layer(params.layer)
            self.trait_set(**{name: as_trait_value(getattr(params, name)) for name in self.knob_names()
                              if name not in ("backbone", "layer")})
        finally:
            self._applying = False

    def show_choices(self, chosen: MixParams, ratio: float = 1.0) -> None:
        """Show the values ``auto`` chose (``chosen``: a result's parameters) in its knobs; ``auto`` stays on.

        ``ratio`` is the rendered size over the knobs' (a preview's windows are scaled back). Then a
        knob set by hand turns ``auto`` off and the others keep what auto chose.
        """
        values = {name: getattr(chosen, name) for name in MixParams.AUTO_KNOBS}
        for name in ("n1", "n2", "n3"):
            values[name] = max(1, round(values[name] / ratio))
        self.showing_choices = self._applying = True  # (in this order: the window ignores both)
        try:
            if chosen.mask not in self.mask_choices:
                self.mask_choices = [*self.mask_choices, chosen.mask]
            self.trait_set(**values)
        finally:
            self._applying = self.showing_choices = False

    def _set_layer(self, layer: str | None) -> None:
        if layer not in self.layer_choices:
            self.layer_choices = [*self.layer_choices, layer]
        self.layer = layer

    @observe("backbone", post_init=True)
    def _layers_of_backbone(self, event) -> None:
        keep = self.layer
        self.layer_choices = layer_choices(self.backbone)
        applying, self._applying = self._applying, True  # the layer follows the backbone: not a choice
        try:
            self.layer = keep if keep in self.layer_choices else "auto"
        finally:
            self._applying = applying


def picture_choices(paths: Sequence[os.PathLike | str], *, none_label: str | None = None) -> dict[Any, str]:
    """``{path: "NNN:label"}`` for an ``EnumEditor`` (the prefix keeps the order; None first if labelled)."""
    paths = [str(p) for p in paths]
    stems = [Path(p).stem for p in paths]
    choices: dict[Any, str] = {}
    offset = 0
    if none_label is not None:
        choices[None] = f"000:{none_label}"
        offset = 1
    for i, (path, stem) in enumerate(zip(paths, stems), offset):
        label = stem if stems.count(stem) == 1 else f"{stem} ({Path(path).parent.name})"
        choices[path] = f"{i:03d}:{label}"
    return choices


class PrismaModel(HasStrictTraits):
    """The main window's state: the command, its knobs, pictures and the last result shown."""

    #: which command renders (a row of :data:`~prisma_abu_gui.command_table.WINDOW_COMMANDS`)
    command = Enum(*WINDOW_COMMANDS)
    #: every mix knob; the other commands' knobs are ``<command>_knobs`` (added below, made from their knobs)
    knobs = Instance(MixModel, ())

    #: the photo (a file path), the guide and the style picture (a file path or None)
    source = Str()
    guide = Union(None, Str())
    style_image = Union(None, Str())
    #: what the pictures' lists offer: ``{path: "NNN:label"}`` (the guides' has None first)
    source_choices = Dict(Str, Str)
    guide_choices = Dict(AnyTrait, Str)

    #: the last result shown (a mix's MixResult, another command's Rendered) and what made it
    result = Union(None, Instance(MixResult), Instance(Rendered))
    result_params = Instance(Params)
    result_inputs = Tuple(Str, Union(None, Str))
    result_kind = Enum("none", "preview", "full")

    #: one-line state of the window, and the last error (empty: none)
    status = Str("ready")
    error = Str()
    busy = Bool(False)
    progress = Int(0)
    progress_max = Int(1)

    def knobs_of(self, command: str | None = None) -> KnobTraits:
        """The knobs of ``command`` (default: the chosen one)."""
        command = self.command if command is None else command
        return self.knobs if command == "mix" else getattr(self, f"{command}_knobs")

    def add_source(self, path: os.PathLike | str) -> str:
        """Offer ``path`` among the sources (a file picked in a dialog) and choose it."""
        path = str(path)
        if path not in self.source_choices:
            self.source_choices = picture_choices([*self.source_choices, path])
        self.source = path
        return path

    def _offer(self, path: os.PathLike | str | None) -> str | None:
        if path is not None:
            path = str(path)
            if path not in self.guide_choices:
                others = [p for p in self.guide_choices if p is not None]
                self.guide_choices = picture_choices([*others, path], none_label="(none)")
        return path

    def add_guide(self, path: os.PathLike | str | None) -> str | None:
        """Offer ``path`` among the guides and choose it (None: no guide)."""
        self.guide = self._offer(path)
        return self.guide

    def add_style_image(self, path: os.PathLike | str | None) -> str | None:
        """Offer ``path`` among the guides (paintings both) and choose it as the style picture."""
        self.style_image = self._offer(path)
        return self.style_image


for _name, _command in WINDOW_COMMANDS.items():
    if _name != "mix":
        PrismaModel.add_class_trait(f"{_name}_knobs", Instance(knob_traits_class(_command.params_cls), ()))


class BatchModel(HasStrictTraits):
    """The grid the "Batch" dialog renders: sources x guides x layers x enhance presets x rb_rates.

    The other knobs are fixed at the window's values (:attr:`params`).
    """

    #: fixed knobs (the window's) and the lists to choose from
    params = Instance(MixParams, ())
    source_options = List(Tuple(Str, Str))
    guide_options = List(Tuple(Str, Str))
    layer_options = List(Tuple(Str, Str))
    enhance_options = List(Tuple(Str, Str))

    #: the chosen grid (``"none"`` stands for None in guides, layers and enhance presets); ``layers``
    #: holds texture presets as ``texture:NAME`` beside layer names
    sources = List(Str)
    guides = List(Str)
    layers = List(Str)
    enhances = List(Str)
    rb_rates = List(Float)

    #: pictures go to ``<out>/<date>/`` (absolute: the data folder's out/gui, wherever the window started);
    #: loky worker processes (1: in the window's process)
    out = Directory()
    date = Str("today")
    jobs = Range(1, 64, 1)

    count = Property(Int, observe="sources.items,guides.items,layers.items,enhances.items,rb_rates.items")
    status = Str()
    error = Str()
    running = Bool(False)
    done = Int(0)
    total = Int(1)
    #: the batch folder of the last run (empty: none yet)
    folder = Str()

    def _out_default(self) -> str:
        return default_batch_folder()

    @cached_property
    def _get_count(self) -> int:
        return len(self.sources) * len(self.guides) * len(self.layers) * len(self.enhances) * len(self.rb_rates)

    @staticmethod
    def none_or(value: str) -> str | None:
        return None if value == "none" else value

    def grid(self) -> tuple[dict[str, list], dict[str, list]]:
        """``(inputs, grid)`` for :class:`prisma_abu.batch.Experiment` (layers and textures together)."""
        return self.grids()[0]

    def grids(self) -> list[tuple[dict[str, list], dict[str, list]]]:
        """``(inputs, grid)`` per :class:`prisma_abu.batch.Experiment`: one over the chosen texture presets
        (layer ``auto``), one over the chosen layers (no preset); a texture and a layer never cross."""
        if not self.count:
            raise InvalidParameterError(
                "batch: expected at least one source, guide, layer, enhance preset and rb_rate, got an empty list")
        inputs = {"source": list(self.sources), "guide": [self.none_or(g) for g in self.guides]}
        common = {"enhance": [self.none_or(v) for v in self.enhances], "rb_rate": [float(r) for r in self.rb_rates]}
        textures = [v.split(":", 1)[1] for v in self.layers if v.startswith("texture:")]
        layers = [self.none_or(v) for v in self.layers if not v.startswith("texture:")]
        out = []
        if textures:
            out.append((inputs, {"layer": ["auto"], "texture": textures, **common}))
        if layers:
            out.append((inputs, {"layer": layers, "texture": [None], **common}))
        return out


def default_batch_folder() -> str:
    """Where the window's batches go: ``out/gui`` in the data folder (``$PRISMA_ABU_DATA``, or the
    checkout's root), as an absolute path."""
    return str((data_dir() / "out" / "gui").resolve())


def display_rgb(array: np.ndarray | None) -> np.ndarray | None:
    """An (M, N, 3) C-ordered uint8 copy for display ((M, N) masks become grey)."""
    if array is None:
        return None
    array = np.asarray(array, dtype=np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array)
