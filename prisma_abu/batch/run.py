"""Running a batch: plan what is not on disk yet, render it, write pictures and manifest rows.

Resume: a picture already on disk that carries the same job in its metadata is
skipped (status ``skipped``); one made with other parameters is a failure
(redo it with ``force=True``); every write is atomic, so a batch killed at any
moment leaves complete pictures only, and a rerun finishes the rest with one
manifest row per picture. This package is the only writer of batch outputs;
it never prints (progress goes through a callback).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterator, Mapping, Sequence


from ..errors import InvalidImageError, InvalidParameterError, PrismaAbuError
from ..io import read_metadata, remove_stale_parts, write_image
from ..jobs import Job, Rendered, job_from_metadata, job_metadata, requested_params
from .backends import check_run_options, execute
from .experiment import Experiment
from .grid import BatchItem, expand, unique_items
from .kinds import JobKind
from .manifest import MANIFEST, BatchReport, ItemResult, dumps_row, read_manifest, write_text
from .report import write_contact_sheet, write_index

__all__ = ["run_batch", "run_experiment", "Progress", "same_job"]

#: ``progress(rendered, to_render, result)``: once with ``(0, n, None)``, then after each picture
Progress = Callable[[int, int, "ItemResult | None"], None]
_LOCK = ".batch.lock"


# --- resume ----------------------------------------------------------------------------------------

def same_job(meta: Mapping[str, Any], job: Job, picture: Path) -> bool:
    """Whether the picture's metadata asked for ``job``: same command, parameters and input files."""
    try:
        stored = job_from_metadata(meta, check_inputs=False, picture=picture)
        same_inputs = ({r: None if p is None else str(Path(p).resolve()) for r, p in stored.inputs.items()}
                       == {r: None if p is None else str(Path(p).resolve()) for r, p in job.inputs.items()})
        return stored.command == job.command and requested_params(meta) == job.params and same_inputs
    except (PrismaAbuError, KeyError, TypeError, AttributeError, OSError):
        return False


def _existing(path: Path, item: BatchItem) -> str | None:
    """None if ``path`` holds ``item``'s picture already, else why it cannot be skipped."""
    try:
        meta = read_metadata(path)
    except InvalidImageError as exc:
        return (f"{item.output} exists but is not a picture of this batch ({exc}); "
                f"expected to redo it with force (--force) or another date")
    if not same_job(meta, item.job, path):
        return (f"{item.output} already holds a picture made with other parameters or inputs; "
                f"expected to redo it with force (--force) or another date")
    return None


def _plan(items: Sequence[BatchItem], folder: Path, force: bool) -> tuple[list[int], dict[int, ItemResult]]:
    """Indices to render, and the results of the ones settled without rendering."""
    todo, settled = [], {}
    for index, item in enumerate(items):
        path = folder / item.output
        if force or not (path.exists() or path.is_symlink()):
            todo.append(index)
            continue
        problem = _existing(path, item)
        settled[index] = ItemResult(item, "skipped" if problem is None else "failed", 0.0, problem)
    return todo, settled


def _start_manifest(folder: Path, items: Sequence[BatchItem], todo: Sequence[int],
                    settled: Mapping[int, ItemResult], date: str | None) -> None:
    """Rewrite the manifest: one row per picture, none yet for those about to be rendered."""
    previous = {row["output"]: row for row in read_manifest(folder)}
    redo = {items[i].output for i in todo}
    rows = {out: row for out, row in previous.items() if out not in redo}
    for result in settled.values():
        old = rows.get(result.item.output)
        if result.status == "failed" or old is None or old.get("status") not in ("done", "skipped"):
            rows[result.item.output] = result.row(date)
    write_text(folder / MANIFEST, "".join(dumps_row(row) + "\n" for row in rows.values()))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One batch per folder at a time: a :class:`filelock.FileLock` on ``.batch.lock``, removed when the
    batch ends.

    A batch that is killed leaves the file, but the OS releases the lock with
    the process, so a later run ignores the stale file.
    """
    from filelock import FileLock, Timeout

    path = folder / _LOCK
    lock = FileLock(path, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise InvalidParameterError(
            f"{folder}: another batch is writing there; expected one batch per folder at a time") from None
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # still locked: a batch starting now makes a fresh lock file
        lock.release()


def _check_inside(output: str) -> None:
    """A picture's path stays inside the batch folder: relative, no ``..`` or ``.`` part, no hidden name."""
    parts = PurePosixPath(output).parts
    if not parts or PurePosixPath(output).is_absolute() or any(p in ("..", ".") or p.startswith(".") for p in parts):
        raise InvalidParameterError(f"{output!r}: expected a picture path inside the batch folder")


def _remove_leftovers(folder: Path, items: Sequence[BatchItem]) -> None:
    """Temporary files a killed batch left: only ``.NAME.PID.XXXX.part`` files of dead processes, only in
    the batch's own folders (complete files are never touched)."""
    for directory in sorted({folder, *((folder / item.output).parent for item in items)}):
        if directory.is_dir():
            remove_stale_parts(directory)


# --- running a batch ---------------------------------------------------------------------------------

def _write(folder: Path, item: BatchItem, rendered: Rendered) -> str | None:
    path = folder / item.output
    try:
        write_image(path, rendered.image, metadata=job_metadata(rendered, path))
    except (OSError, PrismaAbuError) as exc:
        return f"could not write {item.output}: {type(exc).__name__}: {exc}"
    return None


def run_batch(items: Sequence[BatchItem], folder: str | os.PathLike, *, jobs: int | None = None,
              backend: str = "loky", scheduler: Any = None, force: bool = False,
              progress: Progress | None = None, date: str | None = None,
              contact_sheet: bool = True) -> BatchReport:
    """Render ``items`` into ``folder``: skip what is there, record everything, draw the sheets.

    Parameters
    ----------
    items : sequence of BatchItem
        From :func:`expand` (or built by hand; their outputs must be unique).
    folder : path-like
        The batch folder (``OUT/<date>``); created if missing.
    jobs : int, optional
        loky: worker processes (default 1: render in this process). Each
        worker keeps its networks loaded and runs ``cores // jobs`` torch
        threads. dask: tasks at once (default: every thread of the cluster).
    backend : {'loky', 'dask'}
    scheduler : str or distributed.Client, optional
        dask: ``tcp://HOST:PORT`` or a client; default a local cluster of
        ``jobs`` processes on 127.0.0.1. Workers read the inputs by path; the
        pictures come back to this process, which writes them.
    force : bool
        Render and overwrite every picture, even those already there.
    progress : callable, optional
        ``progress(rendered, to_render, result)``: ``(0, n, None)`` first, then
        after each rendered picture.
    date : str, optional
        Recorded in the manifest rows.
    contact_sheet : bool
        Write ``contact_sheet.png`` and ``index.html`` at the end.

    Returns
    -------
    BatchReport
    """
    check_run_options(jobs, backend)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(f"{folder}: is a file; expected an output folder for the batch")
    unique_items(list(items), JobKind())
    for item in items:
        _check_inside(item.output)
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        _remove_leftovers(folder, items)
        todo, results = _plan(items, folder, force)
        _start_manifest(folder, items, todo, results, date)
        if progress is not None:
            progress(0, len(todo), None)
        with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
            tasks = [(i, items[i].job) for i in todo]
            for count, (index, status, seconds, rendered, error) in enumerate(
                    execute(tasks, jobs, backend, scheduler), 1):
                if rendered is not None:
                    error = _write(folder, items[index], rendered)
                    status = "done" if error is None else "failed"
                results[index] = ItemResult(items[index], status, seconds, error)
                manifest.write(dumps_row(results[index].row(date)) + "\n")
                manifest.flush()
                if progress is not None:
                    progress(count, len(todo), results[index])
        sheets, index_page = ((), None)
        if contact_sheet:
            sheets, index_page = tuple(write_contact_sheet(folder)), write_index(folder)
    ordered = tuple(results[i] for i in range(len(items)))
    return BatchReport(folder, ordered, time.perf_counter() - start, sheets, index_page)


def run_experiment(experiment: Experiment, *, force: bool = False,
                   progress: Progress | None = None) -> BatchReport:
    """:func:`expand` then :func:`run_batch` into ``experiment.folder()`` (``out/<date>/<command>-<digest>``)."""
    items = expand(experiment)
    date = experiment.resolve_date()
    return run_batch(items, Path(experiment.out) / date / experiment.batch_name(), jobs=experiment.jobs, backend=experiment.backend,
                     scheduler=experiment.scheduler, force=force, progress=progress, date=date)

