"""The ``prisma-abu`` command line equivalent to a set of parameters (mix, dream, stylize, style).

Pure functions only (no Qt, no traits): the window's "Copy command" puts
:func:`command_line`'s text on the clipboard, and a test parses it back with
``prisma_abu.cli``'s own parser.

Examples
--------
>>> from prisma_abu.params import MixParams
>>> command_line(MixParams(n3=60, layer=None), "sample/chelsea.jpg", None, "out.png")
'prisma-abu mix sample/chelsea.jpg -o out.png --n3 60 --layer none --auto --texture auto'
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from typing import Any

from prisma_abu.params import MixParams, Params

__all__ = ["command_line", "job_command_line", "option_words"]

PROGRAM = "prisma-abu"


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _number(value: float | int) -> str:
    # repr of a float is the shortest text that parses back to the same float
    return repr(value) if isinstance(value, float) else str(value)


def _value_text(name: str, value: Any) -> str:
    """One option's value as ``prisma_abu.cli`` parses it."""
    if value is None:
        return "none"
    if name.startswith("spots_"):
        return ";".join(",".join(str(v) for v in spot) for spot in value)
    if isinstance(value, tuple):
        return ",".join(_number(v) if isinstance(v, (int, float)) else str(v) for v in value)
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


def option_words(params: Params) -> list[str]:
    """``--field value`` words for every field of ``params`` that is not its default.

    Booleans are ``--x`` / ``--no-x``, None is ``none`` and spots are
    ``y,x,size;y,x,size`` (the conventions of ``prisma-abu mix``).
    """
    words: list[str] = []
    named: set[str] = set()
    for f in dataclasses.fields(params):  # type: ignore[arg-type]
        value = getattr(params, f.name)
        if value == f.default:
            continue
        named.add(f.name)
        words += _words(f.name, value)
    if not isinstance(params, MixParams):
        return words
    # a knob auto or a texture would choose turns that choice off on the command line (MixParams.given):
    # say auto / texture explicitly when they stay on
    if named & set(MixParams.AUTO_KNOBS) and "auto" not in named and params.auto:
        words += _words("auto", True)
    if named & set(MixParams.TEXTURE_KNOBS) and "texture" not in named and params.texture is not None:
        words += _words("texture", params.texture)
    if params.square and not params.auto and "compose" not in named:  # --square --no-auto alone pastes
        words += _words("compose", params.compose)
    return words


def _words(name: str, value: Any) -> list[str]:
    if isinstance(value, bool):
        return [_flag(name) if value else "--no-" + name.replace("_", "-")]
    return [_flag(name), _value_text(name, value)]


def command_line(params: MixParams, source: str | os.PathLike, guide: str | os.PathLike | None,
                 output: str | os.PathLike) -> str:
    """The ``prisma-abu mix`` line that renders ``params`` on these files.

    Parameters
    ----------
    params : MixParams
    source : path-like
        The photo.
    guide : path-like or None
        The guide picture (None: no ``--guide``).
    output : path-like
        The picture to write.

    Returns
    -------
    str
        A shell-quoted line naming only the options that differ from
        :class:`~prisma_abu.params.MixParams`'s defaults.
    """
    words = [PROGRAM, "mix", os.fspath(source)]
    if guide is not None:
        words += ["--guide", os.fspath(guide)]
    words += ["-o", os.fspath(output), *option_words(params)]
    return " ".join(shlex.quote(w) for w in words)


def job_command_line(command: str, params: Params, photo: str | os.PathLike, second: str | os.PathLike | None,
                     second_flag: str, output: str | os.PathLike) -> str:
    """The ``prisma-abu <command>`` line that renders ``params`` on ``photo`` (and ``second`` given as
    ``second_flag``: ``--guide``, ``--style-image``, ``--style``) into ``output``.

    >>> from prisma_abu.params import DreamParams
    >>> job_command_line("dream", DreamParams(iter_n=2), "a.jpg", None, "--guide", "o.png")
    'prisma-abu dream a.jpg -o o.png --iter-n 2'
    """
    words = [PROGRAM, command, os.fspath(photo)]
    if second is not None:
        words += [second_flag, os.fspath(second)]
    words += ["-o", os.fspath(output), *option_words(params)]
    return " ".join(shlex.quote(w) for w in words)
