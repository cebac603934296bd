"""A parameter object written back as the command line's words: ``--n3 60 --no-auto --spots-keep 10,20,5``.

The one writer of option text (the window's *Copy command* and the web studio's command line use it);
:mod:`prisma_abu.cli.common` is its reader. Booleans are ``--x`` / ``--no-x``, None is ``none``, spots are
``y,x,size;y,x,size``, other sequences comma-separated and floats their shortest exact text.

>>> from prisma_abu.params import MixParams
>>> option_words(MixParams(n3=60, auto=False))
['--no-auto', '--n3', '60']
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from .base import Params

__all__ = ["option_words", "value_text"]


def _number(value: float | int) -> str:
    return repr(value) if isinstance(value, float) else str(value)  # a float's repr parses back to itself


def value_text(name: str, value: Any) -> str:
    """One knob's value as the command line spells it."""
    if value is None:
        return "none"
    if name.startswith("spots_"):
        return ";".join(",".join(str(v) for v in spot) for spot in value)
    if isinstance(value, (list, tuple)):
        return ",".join(_number(v) if isinstance(v, (int, float)) else str(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    return str(value)


def option_words(params: Params, *, rename: Mapping[str, str] | None = None) -> list[str]:
    """``--option value`` words for every knob of ``params`` that is not its default.

    ``rename`` maps a knob to the option a command spells it as (default: the class's ``OPTION_NAMES``). A knob that ``auto`` or a texture
    would choose turns that choice off on the command line (``MixParams.given``), so ``--auto`` /
    ``--texture`` are said when they stay on; ``--square --no-auto`` alone pastes, so ``--compose``
    is said when it is not ``paste``.
    """
    rename = type(params).OPTION_NAMES if rename is None else rename
    defaults = type(params)()
    words: list[str] = []
    named: set[str] = set()

    def words_for(name: str, value: Any) -> list[str]:
        flag = "--" + rename.get(name, name).replace("_", "-")
        if isinstance(value, bool):
            return [flag] if value else ["--no-" + rename.get(name, name).replace("_", "-")]
        return [flag, value_text(name, value)]

    for f in dataclasses.fields(params):  # type: ignore[arg-type]
        value = getattr(params, f.name)
        if value != getattr(defaults, f.name):
            named.add(f.name)
            words += words_for(f.name, value)
    auto_knobs, texture_knobs = getattr(params, "AUTO_KNOBS", ()), getattr(params, "TEXTURE_KNOBS", ())
    if named & set(auto_knobs) and "auto" not in named and getattr(params, "auto", False):
        words += words_for("auto", True)
    if named & set(texture_knobs) and "texture" not in named and getattr(params, "texture", None) is not None:
        words += words_for("texture", params.texture)
    if getattr(params, "square", False) and not getattr(params, "auto", True) and "compose" not in named:
        words += words_for("compose", params.compose)
    return words
