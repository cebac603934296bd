"""The one atomic writer: every file prisma_abu writes appears whole or not at all.

A temporary ``.NAME.PID.XXXX.part`` beside the target takes the bytes and is
renamed (or hard-linked, for a name that must be new) onto it in one step; a
part left by a killed process is removed by the next write into its folder.
Files get the mode the user's umask gives new files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import InvalidParameterError

__all__ = ["atomic_output", "write_bytes_atomic", "write_bytes_new_name", "new_name_output", "NewName",
           "remove_stale_parts",
           "readable_as_umask_allows"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def readable_as_umask_allows(path: str | os.PathLike) -> None:
    """Give a file made by ``mkstemp`` (mode 0600) the mode the user's umask gives new files (0644 under 022)."""
    os.chmod(path, 0o666 & ~_umask())


def _part_prefix(path: Path) -> str:
    return f".{path.name}."


def remove_stale_parts(folder: Path) -> None:
    """Temporary files (``.NAME.PID.XXXX.part``) a killed writer left in ``folder``: those of dead processes."""
    try:
        entries = list(folder.glob(".*.part"))
    except OSError:
        return
    for tmp in entries:
        match = re.fullmatch(r"\..+\.(\d+)\.[^.]+\.part", tmp.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid == os.getpid() or _alive(pid):
            continue
        tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _part_file(path: Path) -> tuple[int, str]:
    """A new ``.NAME.PID.XXXX.part`` beside ``path`` (its folder made, stale parts removed): ``(fd, name)``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_parts(path.parent)
        return tempfile.mkstemp(prefix=f"{_part_prefix(path)}{os.getpid()}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise InvalidParameterError(f"{path}: cannot write there ({exc.strerror}); expected a writable folder") \
            from None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; it becomes ``path`` when the block ends, or vanishes.

    The temporary file is named ``.NAME.PID.XXXX.part`` (one left by a killed
    process is removed by the next write into the same folder); on success it
    gets the mode the user's umask gives and is renamed onto ``path`` in one
    step, so ``path`` is never half-written. A folder that cannot be written
    to is an :class:`~prisma_abu.errors.InvalidParameterError`.
    """
    path = Path(path)
    fd, tmp = _part_file(path)
    os.close(fd)
    try:
        yield Path(tmp)
        readable_as_umask_allows(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically, with the user's umask (see :func:`atomic_output`)."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_bytes_new_name(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` under ``path`` or, when that name exists, ``STEM_1``, ``STEM_2``... — never over a file.

    The name is taken atomically: the bytes go to a temporary ``.NAME.PID.XXXX.part``
    beside it, which is hard-linked to the first free name (a link fails if the
    name exists, so concurrent writers each get a name of their own), then removed.
    Returns the path written.
    """
    path = Path(path)
    try:
        with new_name_output(path) as out:
            out.part.write_bytes(data)
        return out.path
    except OSError as exc:  # a full disk or a size limit wants room, not another folder
        wanted = "room for the output" if exc.errno in _NO_ROOM else "a writable folder"
        raise InvalidParameterError(f"{path}: cannot write there ({exc.strerror}); expected {wanted}") from None


#: the write errors that say the place is full, not closed
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class NewName:
    """What :func:`new_name_output` yields: ``part``, the temporary to write; ``path``, the name it took."""

    def __init__(self, part: Path, path: Path) -> None:
        self.part, self.path = part, path


@contextlib.contextmanager
def new_name_output(path: str | os.PathLike) -> Iterator[NewName]:
    """:func:`atomic_output` that never replaces a file: the temporary ``.part`` is hard-linked to ``path`` or,
    when that name exists, ``STEM_1``, ``STEM_2``... (a link fails if the name exists, so concurrent writers
    each get a name of their own), then removed; ``.path`` is the name taken."""
    path = Path(path)
    fd, tmp = _part_file(path)
    os.close(fd)
    out = NewName(Path(tmp), path)
    try:
        yield out
        readable_as_umask_allows(tmp)
        n = 0
        while True:
            candidate = path if n == 0 else path.with_name(f"{path.stem}_{n}{path.suffix}")
            try:
                os.link(tmp, candidate)
                out.path = candidate
                return
            except FileExistsError:
                n += 1
    finally:
        Path(tmp).unlink(missing_ok=True)
