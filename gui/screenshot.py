"""Grab a window to a PNG (docs/gui.png is made by ``tools/gui_screenshot.py``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["grab"]


def grab(ui, path: str | os.PathLike) -> Path:
    """Save what the traitsui ``ui``'s window shows as ``path`` (PNG)."""
    from pyface.api import GUI

    GUI.process_events()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not ui.control.grab().save(str(path), "PNG"):
        raise OSError(f"{path}: could not write the screenshot")
    return path
