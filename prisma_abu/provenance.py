"""Reading a picture's record back, as untrusted input: where its inputs are found again, and the arithmetic
it may ask for.

A picture someone sends you names its inputs (path and sha256) and its thread count; :func:`find_input` looks
only beside the picture, in the current folder and among the bundled pictures, within a size limit, and says
one thing whatever went wrong; :func:`arithmetic_of` bounds the thread count. :mod:`prisma_abu.jobs` builds
the job to replay from them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

from .data import bundled_folders
from .errors import InvalidImageError, PrismaAbuError
from .io import file_sha256

__all__ = ["find_input", "arithmetic_of", "max_replay_threads", "REPLAY_INPUT_LIMIT"]


#: the largest input file replay hashes (bytes): a picture or a model file, never more
REPLAY_INPUT_LIMIT = 2 << 30


def _within(path: Path, roots: list[Path]) -> bool:
    try:
        real = path.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        return False
    return any(real == root or root in real.parents for root in roots)


def _hashes_to(path: Path, sha256: str) -> bool:
    """Whether ``path`` is a regular file of at most :data:`REPLAY_INPUT_LIMIT` bytes with this sha256."""
    import stat

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > REPLAY_INPUT_LIMIT:
            return False
        return file_sha256(path) == sha256
    except (OSError, ValueError, PrismaAbuError):
        return False


def find_input(role: str, entry: Any, picture: Path | None, check: bool, named: str | None = None) -> str:
    """The file an input entry names.

    Checked (replay: the file is read), a picture's metadata is untrusted: the
    stored path is looked up beside the picture, then in the current folder,
    and a file is used only if it lies below one of those two folders (after
    following links: ``../`` and absolute paths that leave them are not
    followed), is a regular file within :data:`REPLAY_INPUT_LIMIT` and has
    the stored sha256. Anything else is one message, whatever the reason, so
    a forged picture learns nothing about the files around it; a bundled picture is also found by name. A file
    the user ``named`` for the role is looked for nowhere else (and checked alike).
    """
    if not isinstance(entry, Mapping) or not isinstance(entry.get("path"), str) \
            or not isinstance(entry.get("sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]) \
            or not entry["path"] or "\x00" in entry["path"] or len(entry["path"]) > 4096:
        raise InvalidImageError(f"input {role}: expected a path and a sha256 in the picture's parameters")
    if named is not None:
        if _hashes_to(Path(named), entry["sha256"]):
            return str(named)
        raise InvalidImageError(f"input {role} {named}: not the file the picture was made from (another sha256, "
                                f"or not a regular file within {REPLAY_INPUT_LIMIT} bytes)")
    stored = Path(entry["path"])
    bases = [*([picture.parent] if picture is not None else []), Path.cwd()]
    candidates = [stored] if stored.is_absolute() else [base / stored for base in bases]
    candidates += [folder / stored.name for folder in bundled_folders()]
    bases += bundled_folders()
    if not check:
        return str(next((path for path in candidates if os.path.isfile(path)), candidates[0]))
    roots = []
    for base in bases:
        try:
            roots.append(base.resolve())
        except (OSError, RuntimeError):
            pass
    for path in candidates:
        if _within(path, roots) and _hashes_to(path, entry["sha256"]):
            return str(path)
    raise InvalidImageError(f"input {role} {entry['path']!r:.200}: missing or changed since the picture was made; "
                            f"expected the unchanged file (same sha256) beside the picture or below the current "
                            f"folder")


def arithmetic_of(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The arithmetic a picture's metadata records (``threads``), validated."""
    arith = meta.get("arithmetic") or {}
    threads = arith.get("threads") if isinstance(arith, Mapping) else None
    if threads is None:
        return {}
    cap = max_replay_threads()
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= cap:
        raise InvalidImageError(f"the picture's thread count {threads!r:.20} is not a whole number in 1..{cap} "
                                f"(this machine's limit: its {os.cpu_count() or 1} CPUs, at least {_THREADS_FLOOR})")
    return {"threads": threads}


#: replay restores a picture's torch thread count up to this machine's CPU count, and always up to this
_THREADS_FLOOR = 64


def max_replay_threads() -> int:
    """The most torch threads a picture's metadata may ask replay for: the CPU count, at least 64."""
    return max(_THREADS_FLOOR, os.cpu_count() or 1)
