"""``prisma-abu gui``: open the window (needs the ``gui`` extra).

The window lives in the separate package ``prisma_abu_gui``; it is imported
only when the command runs, so ``prisma-abu --help`` never needs Qt.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from ..errors import PrismaAbuError

__all__ = ["register", "GUI_EXTRA_HINT"]

GUI_EXTRA_HINT = ("the window needs its extra (traitsui, pyface, PySide6): run `make gui` in the checkout, or "
                  "`pip install -e '.[gui]'` there")
#: what the window needs besides prisma_abu itself
_NEEDS = ("prisma_abu_gui", "traitsui", "pyface", "PySide6")


def _missing() -> list[str]:
    return [name for name in _NEEDS if importlib.util.find_spec(name) is None]


def _cmd_gui(args: argparse.Namespace) -> int:
    if _missing():
        raise PrismaAbuError(GUI_EXTRA_HINT)
    from prisma_abu_gui.app import main

    argv: list[str] = []
    for option in ("source", "guide", "params"):
        value = getattr(args, f"gui_{option}")
        if value is not None:
            argv += [f"--{option}", value]
    return main(argv)


def register(subparsers: Any) -> None:
    """Add ``gui`` to ``prisma-abu``'s sub-commands."""
    p = subparsers.add_parser("gui", help="the window: every mix knob, a live preview, batches, a gallery",
                              description="Open the prisma_abu window (needs the gui extra: `make gui` in "
                                          "the checkout, or pip install -e '.[gui]').")
    p.add_argument("--source", dest="gui_source", metavar="F", help="the photo to start with")
    p.add_argument("--guide", dest="gui_guide", metavar="G", help="the guide picture to start with ('none': none)")
    p.add_argument("--params", dest="gui_params", metavar="FILE",
                   help="start from the mix parameters in this .toml or .json file")
    p.set_defaults(func=_cmd_gui)
