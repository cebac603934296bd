"""``prisma-abu gui``: open the window (needs the ``gui`` extra).

The window lives in the separate package ``prisma_abu_gui``; it is imported
only when the command runs, so ``prisma-abu --help`` never needs Qt.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from ..data import find_picture
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


def _cmd_viewer(args: argparse.Namespace) -> int:
    if _missing():
        raise PrismaAbuError(GUI_EXTRA_HINT)
    from prisma_abu_gui.app import display_problem  # no Qt: importing the viewer without a display aborts

    problem = display_problem()
    if problem is not None:
        raise PrismaAbuError(problem)
    from prisma_abu_gui.viewer import viewer_main

    argv: list[str] = ["--size", str(args.size)]
    for photos in args.photos or ():
        argv += ["--photos", photos]
    if args.models is not None:
        argv += ["--models", args.models]
    for guide in args.guides or ():
        argv += ["--guides", guide]
    return viewer_main(argv)


def register(subparsers: Any) -> None:
    """Add ``gui`` to ``prisma-abu``'s sub-commands."""
    p = subparsers.add_parser("gui", help="the window: mix, dream, stylize and style with every knob, a live preview, batches, a gallery",
                              description="Open the prisma_abu window (needs the gui extra: `make gui` in "
                                          "the checkout, or pip install -e '.[gui]').")
    p.add_argument("--source", dest="gui_source", metavar="F", type=find_picture, help="the photo to start with")
    p.add_argument("--guide", dest="gui_guide", metavar="G", type=find_picture, help="the guide picture to start with ('none': none)")
    p.add_argument("--params", dest="gui_params", metavar="FILE",
                   help="start from the mix parameters in this .toml or .json file")
    p.set_defaults(func=_cmd_gui)

    p = subparsers.add_parser("viewer", help="the model viewer: arrow keys switch the photo (up/down) and the style "
                                             "model (left/right)",
                              description="Open the model viewer (seed 000's program): the style top-left, the photo "
                                          "bottom-left, the painting right; up/down switch the photo, left/right the "
                                          "model (the 26 built-in styles, your model files, any painting).")
    p.add_argument("--photos", nargs="+", metavar="PHOTO", help="photos or folders of photos (default: sample/)")
    p.add_argument("--models", metavar="DIR", help="a folder of model files (default: the model folder)")
    p.add_argument("--guides", nargs="+", metavar="PICTURE",
                   help="paintings the arbitrary model takes as styles (default: prisma_gd/)")
    p.add_argument("--size", type=int, default=512, metavar="PIXELS",
                   help="the paintings' longer side in pixels; default: 512")
    p.set_defaults(func=_cmd_viewer)
