"""The studio's renderers: a bounded queue in front of a pool of worker processes.

Pictures are never rendered in a request's thread: :meth:`Pool.reserve`
admits a job only while fewer than ``capacity`` (the workers plus the queue)
are waiting or running — else :class:`QueueFull`, which the app answers with
``503`` and ``Retry-After`` — and one dispatcher thread per worker hands each
queued job to the batch backends' kind of worker: loky processes on this
machine (joblib's reusable executor), or a Dask cluster (``backend="dask"``,
a scheduler address, or a local cluster). Workers render and report progress
into the job's folder; the pictures come back to this process, which writes
them with their metadata (:func:`prisma_abu.jobs.job_metadata`), so a Dask
worker needs no shared folder.

On start, every job the store holds as ``queued`` or ``running`` (a server
stopped or killed) is queued again; one whose inputs are gone is marked
failed. No accepted job is ever silently lost.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import os
import threading
import time
from typing import Any

import numpy as np

from ..batch.backends import DASK_CONNECT_TIMEOUT, check_run_options
from ..errors import InvalidParameterError
from ..io import write_bytes_atomic, write_image
from ..jobs import Job, job_metadata, render_job
from .forms import WEB_COMMANDS
from .store import UNFINISHED, Store

__all__ = ["Pool", "QueueFull", "render_web_task", "expected_steps", "job_of_record"]

#: how often a worker writes its progress, at most (seconds)
PROGRESS_EVERY = 0.2


class QueueFull(Exception):
    """Every worker is busy and the queue is full: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the queue is full; try again in {retry_after} s")
        self.retry_after = retry_after


def expected_steps(job: Job) -> int | None:
    """Progress steps the renderer will report (None: not known before it runs): the command's own count
    (:func:`prisma_abu.commands.progress_steps`)."""
    from ..commands import progress_steps

    return progress_steps(job)


def render_web_task(job: Job, progress: str | None, threads: int | None):
    """Runs in a worker: render ``job``, writing progress to ``progress``; never raises for a bad input.

    Returns ``("done", seconds, rendered, None)`` or ``("failed", seconds, None, error)``.
    """
    start = time.perf_counter()
    total = expected_steps(job)
    state = {"steps": 0, "written": 0.0}

    def report(*_: Any) -> None:
        state["steps"] += 1
        now = time.perf_counter()
        if progress is None or now - state["written"] < PROGRESS_EVERY:
            return
        state["written"] = now
        try:
            write_bytes_atomic(progress, json.dumps({"steps": state["steps"], "total": total}).encode())
        except Exception:  # a Dask worker on another host has no such folder: progress is a nicety
            pass

    try:
        if threads is not None:
            from ..pipeline.models import set_threads

            set_threads(threads)
        rendered = render_job(job, callback=report)
        image = np.ascontiguousarray(rendered.image, dtype=np.uint8)
        return "done", time.perf_counter() - start, dataclasses.replace(rendered, image=image), None
    except Exception as exc:  # a bad input fails its job, never the worker
        return "failed", time.perf_counter() - start, None, f"{type(exc).__name__}: {exc}"


def job_of_record(store: Store, record: dict[str, Any]) -> Job:
    """The :class:`Job` a stored record describes, its inputs in the job's own folder."""
    command = WEB_COMMANDS[record["command"]]
    folder = store.jobs / record["id"]
    inputs: dict[str, str | None] = {role: str(folder / entry["file"]) for role, entry in record["inputs"].items()}
    return Job(command.name, command.params_cls.from_dict(record["params"]), inputs)


class Pool:
    """``jobs`` workers behind a queue of ``queue`` jobs (default ``4 x jobs``); see the module docstring."""

    def __init__(self, store: Store, *, jobs: int = 1, queue: int | None = None, backend: str = "loky",
                 scheduler: Any = None) -> None:
        check_run_options(jobs, backend)
        if queue is not None and (isinstance(queue, bool) or not isinstance(queue, int) or queue < 0):
            raise InvalidParameterError(f"queue: expected a whole number >= 0, got {queue!r}")
        self.store, self.jobs, self.backend, self.scheduler = store, jobs, backend, scheduler
        self.capacity = jobs + (4 * jobs if queue is None else queue)
        self._waiting: collections.deque[str] = collections.deque()
        self._admitted = 0
        self._cv = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._client = self._cluster = None
        self._seconds: collections.deque[float] = collections.deque([2.0], maxlen=20)
        self.resumed = self.lost = 0

    # --- admission --------------------------------------------------------------------------------

    def full(self) -> QueueFull | None:
        """:class:`QueueFull` (with an estimate of the wait) when no place is free, else None."""
        with self._cv:
            if self._admitted >= self.capacity or self._stopping:
                mean = sum(self._seconds) / len(self._seconds)
                return QueueFull(max(1, math.ceil(mean * (self._admitted - self.jobs + 1) / self.jobs)))
        return None

    def reserve(self) -> None:
        """Take a place in the queue, or raise :class:`QueueFull`."""
        with self._cv:
            refused = self.full()
            if refused is not None:
                raise refused
            self._admitted += 1

    def release(self) -> None:
        """Give back a place :meth:`reserve` took when the job could not be made."""
        with self._cv:
            self._admitted -= 1

    def enqueue(self, job_id: str) -> None:
        with self._cv:
            self._waiting.append(job_id)
            self._cv.notify()

    @property
    def pending(self) -> int:
        with self._cv:
            return self._admitted

    # --- life ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Queue again what a stopped server left unfinished, then start the dispatchers."""
        if self.backend == "dask":
            self._connect_dask()
        for record in self.store.records():
            if record.get("status") not in UNFINISHED:
                continue
            missing = [e["file"] for e in record.get("inputs", {}).values()
                       if not (self.store.jobs / record["id"] / e["file"]).is_file()]
            if missing:
                self.store.update(record["id"], status="failed", finished=time.time(),
                                  error=f"after a restart: input {', '.join(missing)} is gone")
                self.lost += 1
                continue
            self.store.update(record["id"], status="queued", resumed=record.get("resumed", 0) + 1)
            with self._cv:
                self._admitted += 1
                self._waiting.append(record["id"])
            self.resumed += 1
        for k in range(self.jobs):
            thread = threading.Thread(target=self._loop, name=f"prisma-abu-web-{k}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 60.0) -> None:
        """Start nothing more (queued jobs stay queued in the store, for the next start); wait for the running."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _connect_dask(self) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InvalidParameterError("backend dask: expected dask[distributed] installed "
                                        "(pip install 'prisma_abu[dask]')") from None
        try:
            if self.scheduler is None:
                self._cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None)
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.scheduler, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidParameterError(f"scheduler: cannot reach {self.scheduler or 'a local Dask cluster'} "
                                        f"({exc}); expected a running `dask scheduler` at tcp://HOST:PORT") from None

    # --- the dispatchers ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._waiting and not self._stopping:
                    self._cv.wait()
                if self._stopping:
                    return
                job_id = self._waiting.popleft()
            try:
                self._run(job_id)
            finally:
                with self._cv:
                    self._admitted -= 1

    def _submit(self, job: Job, progress: str):
        threads = max(1, _cores() // self.jobs)
        if self.backend == "dask":
            return self._client.submit(render_web_task, job, progress, None, pure=False).result()
        from joblib.externals.loky import get_reusable_executor

        executor = get_reusable_executor(max_workers=self.jobs, timeout=120)
        return executor.submit(render_web_task, job, progress, threads).result()

    def _run(self, job_id: str) -> None:
        try:
            record = self.store.load(job_id)
            job = job_of_record(self.store, record)
        except Exception as exc:  # a record that cannot be read: failed, not lost
            self._fail(job_id, f"the job's record cannot be read ({type(exc).__name__})")
            return
        folder = self.store.jobs / job_id
        self.store.update(job_id, status="running", started=time.time())
        try:
            status, seconds, rendered, error = self._submit(job, str(folder / "progress.json"))
        except Exception as exc:  # the worker process died (killed, out of memory): the job failed
            self._fail(job_id, f"the worker stopped ({type(exc).__name__}: {exc})")
            return
        if status != "done":
            self._fail(job_id, error)
            return
        self._seconds.append(seconds)
        try:
            path = folder / "result.png"
            write_image(path, rendered.image, metadata=job_metadata(rendered, path))
        except Exception as exc:
            self._fail(job_id, f"the picture cannot be written ({exc})")
            return
        self.store.update(job_id, status="done", finished=time.time(), seconds=round(seconds, 3),
                          rendered={"kind": rendered.job.params.kind, **rendered.job.params.to_dict()},
                          arithmetic=dict(rendered.arithmetic),
                          size=[int(rendered.image.shape[1]), int(rendered.image.shape[0])])

    def _fail(self, job_id: str, error: str | None) -> None:
        try:
            self.store.update(job_id, status="failed", finished=time.time(), error=error)
        except OSError:
            pass


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
