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

import os
import shlex

from prisma_abu.params import MixParams, Params, option_words

__all__ = ["command_line", "job_command_line", "option_words"]

PROGRAM = "prisma-abu"


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
