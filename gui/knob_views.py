"""Form items made from a parameter class's knobs: each knob's editor chosen from its declaration.

:func:`knob_item` picks the editor a knob needs (a check box, a list of its
choices, a spinner or a slider within its range, a text field for optional
values and lists); :func:`knob_groups` lays out every knob of a class,
grouped as the knobs declare (``group``), for the traits
:func:`~prisma_abu_gui.knob_traits.knob_traits_class` makes. The tooltip is
the trait's (the knob's help).
"""

from __future__ import annotations

import typing
from typing import Any, Iterable, Mapping

from traitsui.api import CSVListEditor, EnumEditor, Item, RangeEditor, TextEditor, VGroup

from prisma_abu.params import Params, knobs

from .knob_traits import optional_base

__all__ = ["knob_item", "knob_editor", "knob_groups", "knob_names_in", "parse_spots", "format_spots",
           "parse_optional_float", "parse_optional_int", "parse_optional_text", "format_optional", "none_label"]

#: the largest value a spinner holds (Qt's is a 32-bit int); past it, a text field
_SPINNER_MAX = 2**31 - 1


# --- text <-> value for the knobs a plain widget cannot hold -------------------------------------------

def parse_spots(text: str) -> list[tuple[int, int, int]]:
    """``"y,x,size;y,x,size"`` -> ``[(y, x, size), ...]`` (ValueError on anything else)."""
    spots = []
    for part in text.split(";"):
        if not part.strip():
            continue
        values = tuple(int(v) for v in part.split(","))
        if len(values) != 3:
            raise ValueError(f"expected y,x,size, got {part!r}")
        spots.append(values)
    return spots


def format_spots(spots: Any) -> str:
    return ";".join(",".join(str(v) for v in spot) for spot in spots or ())


def parse_optional_float(text: str) -> float | None:
    return None if not text.strip() or text.strip().lower() == "none" else float(text)


def parse_optional_int(text: str) -> int | None:
    return None if not text.strip() or text.strip().lower() == "none" else int(text)


def parse_optional_text(text: str) -> str | None:
    return None if not text.strip() or text.strip().lower() == "none" else text.strip()


def format_optional(value: Any) -> str:
    return "" if value is None else str(value)


def none_label(value: Any) -> str:
    return "none" if value is None else str(value)


def _text(**kw: Any) -> TextEditor:
    return TextEditor(auto_set=False, enter_set=True, **kw)


def knob_editor(params_cls: type[Params], name: str) -> Any:
    """The editor for knob ``name`` of ``params_cls``, from its type, choices and range."""
    info = knobs(params_cls)[name]
    base, optional = optional_base(typing.get_type_hints(params_cls)[name])
    if info.choices is not None:
        values = [*info.choices, *([None] if optional and None not in info.choices else [])]
        return EnumEditor(values=values, format_func=none_label)
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0] if typing.get_args(base) else None
        if typing.get_origin(item) is tuple:  # spots: y,x,size;y,x,size
            return _text(evaluate=parse_spots, format_func=format_spots, placeholder=info.metavar or "")
        return CSVListEditor(auto_set=False, enter_set=True)
    if base is bool:
        return None  # the trait's own check box
    if optional:
        parse = {int: parse_optional_int, float: parse_optional_float}.get(base, parse_optional_text)
        return _text(evaluate=parse, format_func=format_optional, placeholder="none")
    if base is int and info.low is not None and info.high is not None and info.high <= _SPINNER_MAX:
        return RangeEditor(low=int(info.low), high=int(info.high), mode="spinner")
    if base is float and info.low is not None and info.high is not None and info.high - info.low <= 1:
        low = info.low + 0.01 * (info.high - info.low) if info.low_open else info.low
        return RangeEditor(low=low, high=info.high, mode="slider")
    if base in (int, float):
        return _text(evaluate=base)
    return _text()


def knob_item(params_cls: type[Params], prefix: str, name: str, *, label: str | None = None,
              editor: Any = None, **kw: Any) -> Item:
    """An Item for knob ``name`` of the traits at ``prefix`` (``object.dream_knobs``)."""
    editor = knob_editor(params_cls, name) if editor is None else editor
    extra = {} if editor is None else {"editor": editor}
    return Item(f"{prefix}.{name}", label=label or name.replace("_", " "), **extra, **kw)


def knob_groups(params_cls: type[Params], prefix: str, *, skip: Iterable[str] = (),
                editors: Mapping[str, Any] | None = None, **group: Any) -> list[VGroup]:
    """Every knob of ``params_cls`` but ``skip``, one bordered group per knob group, in declaration order."""
    editors, skip = editors or {}, set(skip)
    groups: dict[str, list[Item]] = {}
    for name, info in knobs(params_cls).items():
        if name not in skip:
            groups.setdefault(info.group or "other", []).append(
                knob_item(params_cls, prefix, name, editor=editors.get(name)))
    return [VGroup(*items, label=label.capitalize(), show_border=True, **group) for label, items in groups.items()]


def knob_names_in(group: Any, object: str | None = None) -> set[str]:
    """The trait names a view's group shows (its Items, at any depth; only those of ``object``, e.g.
    ``"object.knobs"``, if given): what is placed, and what a test checks is all there."""
    names = set()
    for content in getattr(group, "content", ()):
        if isinstance(content, Item):
            if object is None or content.object == object:
                names.add(content.name)
        else:
            names |= knob_names_in(content, object)
    return names
