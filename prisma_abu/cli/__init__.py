"""``prisma-abu``: a thin shell — argv -> params -> one library call -> exit code.

Every error prisma_abu raises on purpose becomes one line on stderr and exit
code 2; nothing is written then. One module per command family:
:mod:`.render` (dream, mix, mask, features, replay), :mod:`.style`,
:mod:`.batch`, :mod:`.gui`, :mod:`.info` (layers, doctor, fetch-weights);
:mod:`.common` holds what they share (parameter objects <-> options).
"""

from __future__ import annotations

import argparse
import sys
import typing
from typing import Sequence

from .. import __version__
from ..errors import PrismaAbuError
from . import batch, gui, info, render, serve, style, stylize, train
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_params_arguments, check_lone_input, params_from_args, \
    path_error_line

__all__ = ["main", "build_parser", "add_params_arguments", "params_from_args", "EXIT_OK", "EXIT_FAILED",
           "EXIT_USAGE"]

#: the command families, in the order ``prisma-abu --help`` lists them
_FAMILIES = (render, style, stylize, train, batch, info, gui, serve)


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (what is wrong, where the help is) and exit code 2, and no
    abbreviations: ``--style`` is never read as ``--style-image``, nor ``-output_image`` as ``-o utput_image``
    (every sub-command's parser is one of these)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """As argparse's, but words nobody takes are the sub-command's error, pointing at its own help."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = self.commands.get(getattr(parsed, "command", None) or "", self)
            command.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``prisma-abu`` parser with every sub-command."""
    parser = _Parser(prog="prisma-abu", description="Photos into paintings, offline: abu's Prisma (mix), "
                     "DeepDream (dream), style transfer (style). `prisma-abu COMMAND --help` explains each.")
    parser.add_argument("-V", "--version", action="version", version=f"prisma_abu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for family in _FAMILIES:
        family.register(sub)
    render.register_described(sub)  # a described command without a sub-command of its own
    parser.commands = dict(sub.choices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``prisma-abu``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "inputs", None) is not None:
            check_lone_input(args.inputs, getattr(args, "output", None))  # a typo: refused before torch
        return args.func(args)
    except PrismaAbuError as exc:
        print(f"prisma-abu: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, RuntimeError) as exc:
        line = path_error_line(exc)
        if line is None:
            raise
        print(f"prisma-abu: error: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print("prisma-abu: interrupted", file=sys.stderr)
        return getattr(exc, "exit_code", 130)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
