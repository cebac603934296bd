"""Start the window: ``main(argv=None) -> int`` (``prisma-abu gui`` and ``python -m prisma_abu_gui``)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Mapping, Sequence

from prisma_abu.errors import PrismaAbuError

__all__ = ["main", "build_parser", "create_controller", "display_problem"]

EXIT_OK, EXIT_USAGE = 0, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The window's options (shared with ``prisma-abu gui``)."""
    parser.add_argument("--source", metavar="FILE", help="the photo to start with (default: the first of sample/)")
    parser.add_argument("--guide", metavar="FILE", help="the guide picture to start with (default: the first of "
                        "prisma_gd/; 'none' for none)")
    parser.add_argument("--params", metavar="FILE", help="start from the parameters in this .toml or .json file "
                        "(mix, dream, stylize or style: their kind chooses the command)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prisma-abu gui", description="The prisma_abu window: mix, dream, stylize "
                                     "and style with every knob, a live preview, batches and an arrow-key gallery.")
    add_arguments(parser)
    return parser


def create_controller(source: str | None = None, guide: str | None = None, params: str | None = None):
    """The main window's controller (no window yet); raises PrismaAbuError on a bad ``params`` file."""
    from .command_table import window_kinds
    from .controller import PrismaController, new_model, params_from_file

    loaded = None if params is None else params_from_file(params, kinds=window_kinds())
    model = new_model(source=source, guide=None if guide in (None, "none") else guide, params=loaded)
    if guide == "none":
        model.guide = None
    return PrismaController(model=model)


#: the libraries Qt's xcb platform plugin loads (Qt >= 6.5), and the Debian / Ubuntu packages holding them
XCB_LIBRARIES = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
                 "xkbcommon-x11": "libxkbcommon-x11-0"}


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None,
                    find_library: Callable[[str], str | None] | None = None) -> str | None:
    """Why Qt could not open a window here (Qt would abort the process), or None."""
    environ = os.environ if environ is None else environ
    if not (sys.platform if platform is None else platform).startswith("linux"):
        return None
    qpa = environ.get("QT_QPA_PLATFORM", "")
    if qpa and not qpa.startswith("xcb"):
        return None
    if not environ.get("DISPLAY"):
        if environ.get("WAYLAND_DISPLAY"):
            return None
        return "no display: expected $DISPLAY or $WAYLAND_DISPLAY (or QT_QPA_PLATFORM=offscreen for no window)"
    if environ.get("WAYLAND_DISPLAY") and not qpa:
        return None  # Qt picks its wayland plugin
    if find_library is None:
        import ctypes.util

        find_library = ctypes.util.find_library
    missing = [package for lib, package in XCB_LIBRARIES.items() if find_library(lib) is None]
    if missing:
        return (f"Qt's xcb plugin needs {', '.join(missing)}: expected them installed "
                f"(sudo apt install {' '.join(missing)})")
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Open the window and run until it closes; returns the exit code."""
    args = build_parser().parse_args(argv)
    problem = display_problem()
    if problem is not None:
        print(f"prisma-abu gui: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        controller = create_controller(args.source, args.guide, args.params)
    except PrismaAbuError as exc:
        print(f"prisma-abu gui: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    controller.configure_traits()
    controller.shutdown()
    return EXIT_OK
