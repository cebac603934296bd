"""One rendering job: a command, its parameter object and its input files.

The command line, replay and the batch runner all describe a picture as a
:class:`Job`. :func:`render_job` renders it and says how: the job as rendered
(``auto`` choices resolved, e.g. the precision) and the arithmetic used (torch
threads...). That is what every picture's metadata stores
(:func:`job_metadata`), so :func:`job_from_metadata` can render it again with
the same arithmetic, bit for bit.

Each command is described once in :mod:`prisma_abu.commands` (its parameters,
input roles, renderer, progress steps and batch naming); a picture's metadata
naming a role its command does not take is refused before any file is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import __version__
from .commands import (COMMANDS, Callback, Command, Job, Rendered, command_of, register_command,  # noqa: F401
                       render_mix_job, style_roles)
from .errors import InvalidImageError, InvalidParameterError, PrismaAbuError
from .io import check_output_path, encode_image, file_sha256, write_image
from .params import Params, params_from_metadata
from .provenance import REPLAY_INPUT_LIMIT, arithmetic_of, find_input, max_replay_threads  # noqa: F401 (its names)

__all__ = ["Job", "Rendered", "Command", "COMMANDS", "METADATA_PATHS", "render", "render_job", "run_job",
           "job_metadata", "job_from_metadata", "register_command", "requested_params", "arithmetic_of",
           "check_can_write", "style_roles", "run_job_to_bytes", "REPLAY_INPUT_LIMIT", "max_replay_threads",
           "render_mix_job"]

#: how input paths are stored when they do not lie below the output's folder
METADATA_PATHS = ("relative", "absolute", "name")


def render_job(job: Job, *, callback: Callback | None = None) -> Rendered:
    """Render ``job``, saying how (see :class:`Rendered`); renderers read their pictures before torch."""
    out = command_of(job).renderer(job, callback)
    if isinstance(out, Rendered):
        return out
    return Rendered(out, job, job.params, {})


def render(job: Job, *, callback: Callback | None = None) -> np.ndarray:
    """Render ``job``: an (M, N, 3) uint8 array."""
    return render_job(job, callback=callback).image


# --- metadata -------------------------------------------------------------------------------------

def _stored_path(path: str, folder: Path | None, how: str) -> str:
    """How an input path is stored: relative to the output's folder when it lies below it, else as ``how`` says."""
    absolute = Path(path).resolve()
    if folder is not None:
        try:
            return absolute.relative_to(folder).as_posix()
        except ValueError:
            pass
    if how == "absolute" or folder is None:
        return str(absolute)
    if how == "name":
        return absolute.name
    return Path(os.path.relpath(absolute, folder)).as_posix()


def job_metadata(job: Job | Rendered, out: str | os.PathLike | None = None, *,
                 metadata_paths: str = "relative", stored_paths: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything needed to render ``job`` again: stored in the picture.

    Parameters
    ----------
    job : Job or Rendered
        A :class:`Rendered` stores the job as rendered, the parameters asked
        for (``requested``, when they differ) and the arithmetic.
    out : path-like, optional
        The picture's path: input paths below its folder are stored relative
        to it; others as ``metadata_paths`` says.
    metadata_paths : {'relative', 'absolute', 'name'}
        ``relative`` (default) to the picture's folder, ``absolute``, or the
        file ``name`` alone (nothing of the user's folders leaks); the sha256
        of every input is always stored, so replay finds and checks them.
    stored_paths : mapping, optional
        Role -> the path to store instead (``-`` for a picture read from stdin).
    """
    if metadata_paths not in METADATA_PATHS:
        raise InvalidParameterError(
            f"metadata_paths: expected one of {', '.join(METADATA_PATHS)}, got {metadata_paths!r}")
    rendered = job if isinstance(job, Rendered) else None
    job = job.job if isinstance(job, Rendered) else job
    folder = None if out is None else Path(out).resolve().parent
    inputs: dict[str, Any] = {}
    stored_paths = stored_paths or {}
    for role, path in job.inputs.items():
        inputs[role] = None if path is None else {
            "path": stored_paths.get(role) or _stored_path(path, folder, metadata_paths), "sha256": file_sha256(path)}
    meta: dict[str, Any] = {"prisma_abu": __version__, "command": job.command,
                            "params": {"kind": job.params.kind, **job.params.to_dict()}, "inputs": inputs}
    if rendered is not None:
        if rendered.requested != job.params:
            meta["requested"] = {"kind": rendered.requested.kind, **rendered.requested.to_dict()}
        if rendered.arithmetic:
            meta["arithmetic"] = dict(rendered.arithmetic)
    return meta


def requested_params(meta: Mapping[str, Any]) -> Params:
    """The parameters a picture was asked for (``requested``, else ``params``): what a batch resumes by."""
    return _params(meta.get("requested", meta.get("params")))


def _params(data: Any) -> Params:
    if not isinstance(data, Mapping):
        raise InvalidImageError("the picture's parameters are not a table; expected a picture prisma-abu wrote")
    try:
        return params_from_metadata(data)
    except PrismaAbuError as exc:
        raise InvalidImageError(f"the picture's parameters: {exc}") from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise InvalidImageError(f"the picture's parameters cannot be read ({type(exc).__name__})") from None


def job_from_metadata(meta: Mapping[str, Any], *, check_inputs: bool = True,
                      picture: str | os.PathLike | None = None, named: Mapping[str, str] | None = None) -> Job:
    """The job a picture's metadata describes; its input files must be unchanged.

    Relative input paths are looked up beside ``picture`` (the file the
    metadata came from), then in the current folder; with ``check_inputs``
    only files below those two folders are read, at most
    :data:`REPLAY_INPUT_LIMIT` bytes each, and any input that is missing,
    elsewhere or changed gets the same message; ``named`` (role -> file)
    gives the files the user names instead. Only the roles the command takes
    are read: metadata naming any other is refused before a file is touched.

    Raises
    ------
    InvalidImageError
        Metadata that is not what prisma_abu writes, an input gone or changed.
    """
    if not isinstance(meta, Mapping):
        raise InvalidImageError("the picture's parameters are not a table; expected a picture prisma-abu wrote")
    command_name, inputs = meta.get("command"), meta.get("inputs")
    if not isinstance(command_name, str) or command_name not in COMMANDS:
        raise InvalidImageError(f"the picture's command {command_name!r:.40} is unknown; expected one of "
                                f"{', '.join(sorted(COMMANDS))}")
    if not isinstance(inputs, Mapping):
        raise InvalidImageError("the picture's inputs are not a table of roles; expected a picture prisma-abu wrote")
    command = COMMANDS[command_name]
    foreign = sorted(str(r) for r in inputs if not isinstance(r, str) or not command.takes(r))
    if foreign:
        raise InvalidImageError(f"{command_name} takes no input {', '.join(foreign)}; refusing to read it")
    params = _params(meta.get("params"))
    if not isinstance(params, command.params_cls):
        raise InvalidImageError(f"{command_name}: expected {command.params_cls.kind} parameters, "
                                f"got {params.kind} parameters")
    folder = None if picture is None else Path(picture).resolve()
    paths = {role: None if entry is None else find_input(role, entry, folder, check_inputs, (named or {}).get(role))
             for role, entry in inputs.items()}
    return Job(command_name, params, paths)


# --- writing --------------------------------------------------------------------------------------

def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_can_write(job: Job, out: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Refuse, before any work, an output that cannot be written or that is one of the job's inputs.

    Raises
    ------
    InvalidParameterError
        A bad suffix, a folder, a name too long, a parent that is a file or
        cannot be created or written, or an input's own path (unless ``overwrite``).
    """
    path = check_output_path(out)
    for role, source in job.inputs.items():
        if source is not None and (_same_file(path, Path(source)) or path.resolve() == Path(source).resolve()):
            if not overwrite:
                raise InvalidParameterError(
                    f"{path}: is the {role} picture itself; expected another output name (or --overwrite)")
    return path


def _rendered(job: Job, callback: Callback | None, requested: Params | None) -> Rendered:
    rendered = render_job(job, callback=callback)  # reads (and so checks) the inputs first
    if requested is not None:
        rendered = Rendered(rendered.image, rendered.job, requested, rendered.arithmetic)
    return rendered


def run_job(job: Job, out: str | os.PathLike, *, callback: Callback | None = None, overwrite: bool = False,
            metadata_paths: str = "relative", requested: Params | None = None,
            stored_paths: Mapping[str, str] | None = None, with_rendered: bool = False):
    """Render ``job`` and write it atomically to ``out`` with its metadata (see :func:`job_metadata`).

    The output is checked first (:func:`check_can_write`), so a bad one costs no rendering.
    ``requested`` (replay) records what the first picture was asked for, so
    a replay carries the same metadata as the picture it repeats.

    Returns
    -------
    Path, or (Path, Rendered) with ``with_rendered``
    """
    path = check_can_write(job, out, overwrite=overwrite)
    rendered = _rendered(job, callback, requested)
    meta = job_metadata(rendered, path, metadata_paths=metadata_paths, stored_paths=stored_paths)
    written = write_image(path, rendered.image, metadata=meta)
    return (written, rendered) if with_rendered else written


def run_job_to_bytes(job: Job, *, callback: Callback | None = None, metadata_paths: str = "relative",
                     requested: Params | None = None, stored_paths: Mapping[str, str] | None = None,
                     fmt: str = "PNG") -> tuple[bytes, Rendered]:
    """Render ``job`` into a file's bytes (``-o -``) with its metadata; input paths relative to the current folder."""
    rendered = _rendered(job, callback, requested)
    meta = job_metadata(rendered, Path.cwd() / "stdout.png", metadata_paths=metadata_paths, stored_paths=stored_paths)
    return encode_image(rendered.image, fmt, metadata=meta), rendered
