"""A batch's inputs: files, folders and globs as absolute picture paths, ``none`` where a role allows it."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Any, Sequence

from ..errors import InvalidParameterError

__all__ = ["expand_inputs", "is_none"]

_GLOB_CHARS = re.compile(r"[*?\[]")


def is_none(entry: Any) -> bool:
    """``None`` or the word ``none``: no picture for this role (a plain dream without a guide)."""
    return entry is None or (isinstance(entry, str) and entry.strip().lower() == "none")


def _pictures_in(folder: Path) -> list[Path]:
    from ..data import IMAGE_SUFFIXES

    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _expand_entry(entry: str | os.PathLike, role: str, base_dir: Path | None) -> list[Path]:
    text = os.path.expanduser(os.fspath(entry))
    if base_dir is not None and not os.path.isabs(text):
        text = os.path.join(base_dir, text)
    if _GLOB_CHARS.search(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if os.path.isfile(p))
        if not found:
            raise InvalidParameterError(f"{role}: no file matches {entry!r}; expected a glob that finds pictures")
        return found
    path = Path(text)
    if path.is_dir():
        found = _pictures_in(path)
        if not found:
            raise InvalidParameterError(f"{role}: {entry} holds no pictures; expected .jpg, .png, ... files")
        return found
    if not path.is_file():
        raise InvalidParameterError(f"{role}: {entry}: no such file; expected a picture, a folder or a glob")
    return [path]


def expand_inputs(entries: Sequence[Any], *, role: str, optional: bool = False,
                  base_dir: str | os.PathLike | None = None) -> tuple[str | None, ...]:
    """Files, folders and globs -> absolute picture paths (``none`` -> None where allowed).

    Parameters
    ----------
    entries : sequence
        Paths, folders (their pictures, by name), globs (``**`` recurses) or
        ``None`` / ``"none"``.
    role : str
        For messages (``source``, ``guide``...).
    optional : bool
        Whether ``None`` is allowed.
    base_dir : path-like, optional
        Relative entries are relative to it (default: the current folder).

    Returns a tuple of str or None: in order, each file once.
    """
    if isinstance(entries, (str, os.PathLike)) or entries is None:
        entries = [entries]
    if not isinstance(entries, Sequence):
        raise InvalidParameterError(f"{role}: expected a path, a folder, a glob or a list of them, got {entries!r:.60}")
    found: list[str | None] = []
    base = None if base_dir is None else Path(base_dir)
    for entry in entries:
        if is_none(entry):
            if not optional:
                raise InvalidParameterError(f"{role}: expected a picture, got {entry!r} (only guides may be none)")
            paths: list[Any] = [None]
        elif isinstance(entry, (str, os.PathLike)):
            paths = [str(p.resolve()) for p in _expand_entry(entry, role, base)]
        else:
            raise InvalidParameterError(f"{role}: expected a path, a folder or a glob, got {entry!r}")
        found.extend(p for p in paths if p not in found)
    return tuple(found)
