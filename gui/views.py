"""The traitsui Views: the main window, the batch dialog and the gallery.

Views only say where things go: the main window's Items name
``object.*`` (the :class:`~prisma_abu_gui.model.PrismaModel`),
``object.knobs.*`` (the mix knobs), ``object.<command>_knobs.*`` (the other
commands') and ``controller.*`` (buttons and the pictures shown). The
command selector picks which knobs show. The mix knobs are grouped by hand
as in the original controller: look (backbone, texture, layer, enhance,
mask); kernel sizes; threshold factors; the dream, seed and output size; a
mix knob not placed there, and every knob of the other commands, is laid
out from its declaration (:mod:`.knob_views`).
"""

from __future__ import annotations

from typing import Any

from traitsui.api import (CheckListEditor, CSVListEditor, EnumEditor, HGroup, HSplit, ImageEditor, Item,
                          ProgressEditor, RangeEditor, TextEditor, UItem, VGroup, View)
from traitsui.key_bindings import KeyBinding, KeyBindings

from prisma_abu.params import MixParams, knobs

from .command_table import WINDOW_COMMANDS
from .knob_views import (format_optional, format_spots, knob_groups, knob_names_in, parse_optional_float,
                         parse_optional_int, parse_optional_text, parse_spots)
from .model import ENHANCE_PRESETS, TEXTURE_CHOICES

__all__ = ["main_view", "batch_view", "gallery_view", "gallery_keys", "command_panels", "parse_spots", "format_spots",
           "parse_optional_float", "parse_optional_int", "format_optional"]

ERROR_STYLE = "color: #b00020; font-weight: bold;"


def _layer_label(value: Any) -> str:
    if value is None:
        return "none (no dream)"
    return "auto (the backbone's Prisma layer)" if value == "auto" else str(value)


def _texture_label(value: Any) -> str:
    if value is None:
        return "none (the dream knobs as set)"
    return "auto (auto's pick)" if value == "auto" else str(value)


def _enhance_label(value: Any) -> str:
    return "none" if value is None else str(value)


# --- main window ------------------------------------------------------------------------------------------

def _knob(name: str, label: str, **kw: Any) -> Item:
    """A knob of the form; its tooltip is the knob's own help (prisma_abu.params: the one source of it)."""
    return Item(f"object.knobs.{name}", label=label, tooltip=knobs(MixParams)[name].help, **kw)


def _slider(low: float, high: float) -> RangeEditor:
    return RangeEditor(low=low, high=high, mode="slider")


def _spinner(low: int, high: int) -> RangeEditor:
    return RangeEditor(low=low, high=high, mode="spinner")


def _optional(parse, placeholder: str) -> TextEditor:
    return TextEditor(evaluate=parse, format_func=format_optional, auto_set=False, enter_set=True,
                      placeholder=placeholder)


_MIX = "object.command == 'mix'"

_commands = VGroup(
    Item("object.command", label="Command", editor=EnumEditor(values={
        name: f"{i}:{c.label}" for i, (name, c) in enumerate(WINDOW_COMMANDS.items())}),
         tooltip="what to render: each command's knobs are below, its pictures above them"),
    HGroup(UItem("controller.render_button", tooltip="render the full-size picture"),
           UItem("controller.cancel_button", enabled_when="object.busy",
                 tooltip="stop the render in progress (at its next step)"),
           UItem("controller.save_button", tooltip="render at full size into a picture that keeps its parameters"),
           UItem("controller.batch_button", enabled_when=_MIX,
                 tooltip="render a grid of guides, layers, presets and rb_rates"),
           UItem("controller.copy_button", tooltip="put the equivalent `prisma-abu` line on the clipboard")),
    HGroup(UItem("controller.load_params_button", tooltip="set every knob from a .toml or .json file"),
           UItem("controller.save_params_button", tooltip="write every knob to a .toml or .json file"),
           UItem("controller.defaults_button", tooltip="every knob back to its default"),
           Item("controller.live_preview", label="live preview", enabled_when=_MIX,
                tooltip="a small preview follows the mix knobs")),
    label="Commands", show_border=True,
)


def _second(name: str) -> str:
    """Shown for the commands that take the window's picture ``name`` (guide or style picture)."""
    names = [n for n, c in WINDOW_COMMANDS.items() if c.second == name]
    return f"object.command in {names!r}"


_pictures = VGroup(
    HGroup(Item("object.source", label="Photo", editor=EnumEditor(name="object.source_choices"), springy=True,
                tooltip="the photo (sample/) or any picture opened"),
           UItem("controller.open_source_button", tooltip="open any picture as the photo")),
    HGroup(Item("object.guide", label="Guide", editor=EnumEditor(name="object.guide_choices"), springy=True,
                tooltip="the guide picture (prisma_gd/), or none: a plain dream"),
           UItem("controller.open_guide_button", tooltip="open any picture as the guide"),
           visible_when=_second("guide")),
    HGroup(Item("object.style_image", label="Style picture", editor=EnumEditor(name="object.guide_choices"),
                springy=True, tooltip="the painting whose style is taken (stylize: with the arbitrary model)"),
           UItem("controller.open_style_button", tooltip="open any picture as the style picture"),
           visible_when=_second("style_image")),
    label="Pictures", show_border=True,
)

_images = VGroup(
    _knob("backbone", "Backbone",
          editor=EnumEditor(name="object.knobs.backbone_choices")),
    _knob("texture", "Texture",
          editor=EnumEditor(values=list(TEXTURE_CHOICES), format_func=_texture_label)),
    _knob("layer", "Layer",
          editor=EnumEditor(name="object.knobs.layer_choices", format_func=_layer_label)),
    HGroup(_knob("enhance", "Enhance",
                 editor=EnumEditor(values=list(ENHANCE_PRESETS), format_func=_enhance_label)),
           _knob("enhance_p", "factor",
                 editor=_optional(parse_optional_float, "the preset's"), width=60)),
    _knob("guide_model", "or paint it", editor=_optional(parse_optional_text,
                                                         "a style network, e.g. multistyle26:7")),
    HGroup(_knob("compose", "Compose"), _knob("keep", "keep"), _knob("softness", "softness")),
    HGroup(_knob("auto", "auto"),
           _knob("mask", "Mask", editor=EnumEditor(name="object.knobs.mask_choices"),
                 springy=True)),
    label="Look", show_border=True,
)

_kernels = HGroup(
    _knob("n1", "n1", editor=_spinner(1, 4096)),
    _knob("n2", "n2", editor=_spinner(1, 4096)),
    _knob("n3", "n3", editor=_spinner(1, 4096)),
    label="Kernel sizes", show_border=True,
)

_thresholds = VGroup(
    HGroup(_knob("dd", "inside Otsu (dd)"),
           _knob("cb", "clear border (cb)")),
    HGroup(_knob("all_mask", "all mask"),
           _knob("all_mask_rb_rate", "its rb_rate", editor=_slider(0.01, 1.0),
                 springy=True)),
    _knob("convd_median_factor", "medium threshold",
          editor=_slider(0.0, 20.0)),
    _knob("convd_big_factor", "large threshold", editor=_slider(0.0, 5.0)),
    _knob("rb_rate", "rb_rate",
          editor=_slider(0.01, 1.0)),
    _knob("std_factor", "std-mean factor", editor=_slider(0.0, 5.0)),
    _knob("loop_factor", "features factor", editor=_slider(0.0, 5.0)),
    label="Threshold factors", show_border=True,
)

_dream = VGroup(
    HGroup(_knob("iter_n", "iter_n", editor=_spinner(0, 1000)),
           _knob("force_iter_n", "force iter_n",
                 editor=_optional(parse_optional_int, "off"), width=50),
           _knob("octave_n", "octaves", editor=_spinner(1, 64))),
    HGroup(_knob("octave_scale", "scale", editor=RangeEditor(
               low=1.0, high=16.0, mode="text")),
           _knob("dream_scale", "at size",
                 editor=RangeEditor(low=0.05, high=1.0, mode="text")),
           _knob("step_size", "step", editor=RangeEditor(low=0.0, high=1000.0, mode="text")),
           _knob("jitter", "jitter", editor=_spinner(0, 512))),
    HGroup(_knob("seed", "seed", editor=TextEditor(evaluate=int, auto_set=False,
                                                                             enter_set=True)),
           _knob("precision", "precision"), _knob("device", "device")),
    _knob("weights", "weights",
          editor=_optional(parse_optional_text, "embedded")),
    label="Dream", show_border=True,
)

_output = VGroup(
    HGroup(_knob("size", "output size",
                 editor=_spinner(8, 8192)),
           _knob("square", "square"),
           _knob("keep_size", "book keep_size")),
    HGroup(_knob("spots_keep", "keep spots",
                 editor=TextEditor(evaluate=parse_spots, format_func=format_spots, auto_set=False, enter_set=True,
                                   placeholder="y,x,size;...")),
           _knob("spots_drop", "drop spots",
                 editor=TextEditor(evaluate=parse_spots, format_func=format_spots, auto_set=False, enter_set=True,
                                   placeholder="y,x,size;..."))),
    label="Output", show_border=True,
)


def _picture(name: str, label: str, size: int) -> VGroup:
    editor = ImageEditor(scale=True, preserve_aspect_ratio=True, allow_upscaling=True, allow_clipping=True)
    return VGroup(UItem(f"controller.{name}", editor=editor, width=size, height=size, resizable=True),
                  label=label, show_border=True)


_preview = VGroup(
    HGroup(_picture("source_picture", "Photo", 130), _picture("guide_picture", "Guide or style", 130),
           _picture("mask_picture", "Mask (what keeps the photo)", 130)),
    VGroup(UItem("controller.result_picture",
                 editor=ImageEditor(scale=True, preserve_aspect_ratio=True, allow_upscaling=True,
                                    allow_clipping=True), width=360, height=300, springy=True, resizable=True),
           label="Result", show_border=True, springy=True),
    UItem("object.progress", editor=ProgressEditor(min=0, max_name="object.progress_max")),
    Item("object.status", style="readonly", label="Status"),
    UItem("object.error", style="readonly", style_sheet=ERROR_STYLE),
)

_mix_placed = VGroup(_images, _kernels, _thresholds, _dream, _output)
#: the mix knobs, laid out by hand above; a knob added to MixParams later shows in "more" until it is placed
_mix = VGroup(_mix_placed,
              *knob_groups(MixParams, "object.knobs", skip=knob_names_in(_mix_placed, "object.knobs")),
              visible_when=_MIX)


def _suggestions() -> dict[str, dict[str, EnumEditor]]:
    """Free-text knobs of the other commands with the values this machine offers (any other may be typed)."""
    from prisma_abu.pipeline.models import backbone_names

    backbones = EnumEditor(values=list(backbone_names()), evaluate=str)
    models = EnumEditor(values=[*(f"multistyle26:{i}" for i in range(26)), "arbitrary"], evaluate=str)
    return {"dream": {"backbone": backbones}, "style": {"backbone": backbones}, "stylize": {"model": models}}


def command_panels() -> list[VGroup]:
    """The knobs of every command but mix, made from their declarations, each shown when it is chosen."""
    suggestions = _suggestions()
    return [VGroup(*knob_groups(c.params_cls, f"object.{name}_knobs", editors=suggestions.get(name)),
                   visible_when=f"object.command == {name!r}")
            for name, c in WINDOW_COMMANDS.items() if name != "mix"]


main_view = View(
    HSplit(
        # scrolls rather than squeezing its rows when the screen is short (1366x768 laptops)
        VGroup(_commands, _pictures, _mix, *command_panels(), scrollable=True),
        _preview,
    ),
    title="prisma_abu — photos into paintings",
    resizable=True,
    width=1300,
    height=720,
)


# --- batch dialog -------------------------------------------------------------------------------------------

batch_view = View(
    VGroup(
        HGroup(
            VGroup(UItem("sources", editor=CheckListEditor(name="object.source_options", cols=1), style="custom"),
                   label="Photos", show_border=True),
            VGroup(UItem("guides", editor=CheckListEditor(name="object.guide_options", cols=1), style="custom"),
                   label="Guides", show_border=True),
            VGroup(UItem("enhances", editor=CheckListEditor(name="object.enhance_options", cols=1),
                         style="custom"),
                   label="Enhance presets", show_border=True),
        ),
        VGroup(UItem("layers", editor=CheckListEditor(name="object.layer_options", cols=2), style="custom"),
               label="Textures and layers", show_border=True, scrollable=True),
        HGroup(Item("rb_rates", editor=CSVListEditor(), label="rb_rates", tooltip="comma separated, in (0, 1]"),
               Item("jobs", label="processes", editor=RangeEditor(low=1, high=64, mode="spinner"),
                    tooltip="1 renders in this process; more start worker processes")),
        HGroup(Item("out", label="Output folder", springy=True),
               Item("date", label="date", tooltip="today, latest or YYYY-MM-DD", width=90)),
        HGroup(Item("count", style="readonly", label="Pictures"),
               UItem("controller.run_button", enabled_when="not object.running"),
               UItem("controller.cancel_button", enabled_when="object.running"),
               UItem("controller.gallery_button", enabled_when="not object.running",
                     tooltip="the gallery of this batch, or of the folder and date above")),
        UItem("done", editor=ProgressEditor(min=0, max_name="object.total")),
        UItem("status", style="readonly"),
        UItem("error", style="readonly", style_sheet=ERROR_STYLE),
    ),
    title="prisma_abu — batch",
    resizable=True,
    width=820,
    height=760,
)


# --- gallery ------------------------------------------------------------------------------------------------

#: the seed program's keys: Up/Down switch the photo, Left/Right the guide (style)
gallery_keys = KeyBindings(
    KeyBinding(binding1="Down", method_name="next_source", description="next photo"),
    KeyBinding(binding1="Up", method_name="previous_source", description="previous photo"),
    KeyBinding(binding1="Right", method_name="next_guide", description="next guide"),
    KeyBinding(binding1="Left", method_name="previous_guide", description="previous guide"),
)


def _gallery_picture(name: str, label: str, size: int) -> VGroup:
    editor = ImageEditor(scale=True, preserve_aspect_ratio=True, allow_upscaling=True, allow_clipping=True)
    return VGroup(UItem(f"controller.{name}", editor=editor, width=size, height=size, springy=True,
                        resizable=True),
                  label=label, show_border=True, springy=True)


gallery_view = View(
    VGroup(
        UItem("controller.caption", style="readonly"),
        HGroup(
            VGroup(_gallery_picture("guide_picture", "Guide", 240), _gallery_picture("source_picture", "Photo", 240)),
            _gallery_picture("result_picture", "Result", 500),
        ),
        UItem("controller.message", style="readonly"),
    ),
    key_bindings=gallery_keys,
    title="prisma_abu — gallery (↑/↓ photo, ←/→ guide)",
    resizable=True,
    width=1000,
    height=760,
)
