"""The cache folder's files are a convenience: unreadable means measure or convert again, never a crash.

:func:`read_json` gives a cache file's JSON object or None (missing, too
large, corrupt, nested too deep, not an object); :func:`write` stores bytes
atomically through :func:`prisma_abu.atomic.write_bytes_atomic` and, when the
folder cannot be written (read-only, full disk), says so once per file on the
``prisma_abu`` logger (one line on stderr when nothing else is configured)
and goes on without it.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from prisma_abu.errors import PrismaAbuError

__all__ = ["read_json", "write", "warn_once", "CACHE_JSON_LIMIT"]

#: the largest JSON cache file read (bytes)
CACHE_JSON_LIMIT = 1 << 20
_LOG = logging.getLogger("prisma_abu")
_WARNED: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Log ``message`` as a warning the first time ``key`` is seen in this process."""
    if key not in _WARNED:
        _WARNED.add(key)
        _LOG.warning("prisma-abu: warning: %s", message)


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``; None (and one warning if the file is there but broken) otherwise."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    problem = None
    if not stat.S_ISREG(info.st_mode) or info.st_size > CACHE_JSON_LIMIT:
        problem = f"not a regular file of at most {CACHE_JSON_LIMIT} bytes"
    else:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            problem = f"unreadable ({type(exc).__name__})"
        else:
            if isinstance(data, dict):
                return data
            problem = f"a JSON {type(data).__name__}, not an object"
    warn_once(str(path), f"ignoring the cache file {path}: {problem}; it is rebuilt")
    return None


def write(path: Path, data: bytes) -> bool:
    """Write ``data`` to the cache file ``path`` atomically; False (one warning) when it cannot be written."""
    from prisma_abu.atomic import write_bytes_atomic

    try:
        write_bytes_atomic(path, data)
    except (OSError, PrismaAbuError) as exc:
        text = f"{path}: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc).splitlines()[0][:300]
        warn_once(str(path.parent), f"cannot write the cache, going on without it ({text})")
        return False
    return True
