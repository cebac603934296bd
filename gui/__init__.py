"""prisma_abu_gui: the prisma_abu window (traitsui on Qt), installed from the folder gui/.

Model (:mod:`.model`: every command's knobs as traits, made from the knob
declarations by :mod:`.knob_traits`), views (:mod:`.views`,
:mod:`.knob_views`) and controllers (:mod:`.controller` with its parts
:mod:`.render_control` and :mod:`.actions`; :mod:`.batch_dialog`,
:mod:`.gallery`) are kept apart. The commands the window offers (mix,
dream, stylize, style) are one table, :mod:`.command_table`; pictures are
rendered off the UI thread by the library only (:func:`prisma_abu.jobs.render_job`,
and :func:`prisma_abu.pipeline.mix` for the mix previews).

Importing this package imports neither Qt nor torch; ``main`` and
``command_line`` are loaded on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["main", "command_line"]

_LAZY = {"main": ("prisma_abu_gui.app", "main"), "command_line": ("prisma_abu_gui.command", "command_line")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'prisma_abu_gui' has no attribute {name!r}")
