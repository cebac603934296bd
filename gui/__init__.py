"""prisma_abu_gui: the prisma_abu window (traitsui on Qt), installed from the folder gui/.

Model (:mod:`.model`: every mix knob as traits), views (:mod:`.views`) and
controllers (:mod:`.controller`, :mod:`.batch_dialog`, :mod:`.gallery`) are
kept apart; pictures are rendered off the UI thread by the library only
(:mod:`.render` calls :func:`prisma_abu.pipeline.mix`).

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
