"""Rendering a batch's jobs: in this process, on loky workers, or on a Dask cluster.

Workers only render (:func:`render_task` never raises for a bad input: it
returns a failure); the pictures come back to the main process, which writes
everything, so a Dask cluster needs no shared output folder.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..errors import InvalidParameterError
from ..jobs import Job, render_job

__all__ = ["BACKENDS", "DASK_CONNECT_TIMEOUT", "check_run_options", "execute", "render_task", "gpu_count",
           "worker_gpu"]

BACKENDS = ("loky", "dask")
#: how long to wait for a Dask scheduler given by address
DASK_CONNECT_TIMEOUT = "10s"


def check_run_options(jobs: int | None, backend: str) -> None:
    """Refuse an unknown backend or a job count that is not a whole number >= 1."""
    if backend not in BACKENDS:
        raise InvalidParameterError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InvalidParameterError(f"jobs: expected a whole number >= 1, got {jobs!r}")


# --- rendering: in-process, loky, dask ----------------------------------------------------------------

def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _uses_network(job: Job) -> bool:
    return job.command != "mix" or getattr(job.params, "layer", None) is not None


def _threads_here(threads: int | Mapping[str, int] | None) -> int | None:
    """torch threads for this task: a number, or ``cores // threads sharing this host`` on Dask."""
    if threads is None or isinstance(threads, int):
        return threads
    from distributed import get_worker

    sharing = threads.get(get_worker().address)
    return None if not sharing else max(1, _cores() // sharing)


#: this worker process's GPU, once it has one (see :func:`worker_gpu`)
_GPU_SLOT: list[Any] = []


def gpu_count() -> int:
    """CUDA devices on this machine (0 without any, or without a CUDA build)."""
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except (ImportError, RuntimeError, AssertionError):
        return 0


def worker_gpu(gpus: int, lock_dir: str | os.PathLike | None = None) -> str:
    """This worker's own GPU, ``cuda:K``: the first of ``gpus`` whose lock file no other worker holds.

    Each worker process takes one slot for its whole life (a
    :class:`filelock.FileLock` held), so ``gpus`` workers sit on ``gpus``
    devices, one each; a worker beyond them shares by its process id.
    """
    if _GPU_SLOT:
        return _GPU_SLOT[0]
    import tempfile

    from filelock import FileLock, Timeout

    folder = Path(lock_dir or tempfile.gettempdir())
    for k in range(gpus):
        lock = FileLock(folder / f"prisma_abu_gpu_{os.getuid()}_{k}.lock", thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        _GPU_SLOT.extend((f"cuda:{k}", lock))  # held while the process lives
        return _GPU_SLOT[0]
    _GPU_SLOT.append(f"cuda:{os.getpid() % gpus}")
    return _GPU_SLOT[0]


def _on_own_gpu(job: Job, gpus: int) -> Job:
    """A job whose device is ``auto``, pinned to this worker's GPU when the machine has several
    (``gpus=-1``: count this worker's own, on a Dask cluster)."""
    if getattr(job.params, "device", None) != "auto":
        return job
    gpus = gpu_count() if gpus < 0 else gpus
    if gpus > 1:
        return job.with_params(job.params.replace(device=worker_gpu(gpus)))
    return job


def render_task(index: int, job: Job, threads: int | Mapping[str, int] | None, gpus: int = 0):
    """Runs in a worker: render one job; never raises for a bad input (a failure result instead).

    Returns ``(index, status, seconds, rendered, error)``: a
    :class:`~prisma_abu.jobs.Rendered` when done (the picture, the job as
    rendered, the arithmetic), else None and the error.
    """
    start = time.perf_counter()
    try:
        wanted = _threads_here(threads) if _uses_network(job) else None
        if wanted is not None:
            import torch

            if torch.get_num_threads() != wanted:
                torch.set_num_threads(wanted)
        rendered = render_job(_on_own_gpu(job, gpus))
        rendered = replace(rendered, image=np.ascontiguousarray(rendered.image, dtype=np.uint8))
        return index, "done", time.perf_counter() - start, rendered, None
    except Exception as exc:  # one bad input never stops the batch
        return index, "failed", time.perf_counter() - start, None, f"{type(exc).__name__}: {exc}"


def _parallel(n_jobs: int):
    from joblib import Parallel

    return Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size="auto",
                    pre_dispatch="2*n_jobs")


def execute(tasks: Sequence[tuple[int, Job]], jobs: int | None, backend: str,
             scheduler: Any) -> Iterator[tuple]:
    """(index, status, seconds, image, error) per task, as they finish."""
    if not tasks:
        return
    if backend == "dask":
        yield from _execute_dask(tasks, jobs, scheduler)
        return
    gpus = gpu_count()
    n = min(jobs or (gpus if gpus > 1 else 1), len(tasks))  # several GPUs: one worker each by default
    if n == 1:
        for index, job in tasks:
            yield render_task(index, job, None)
        return
    from joblib import delayed, parallel_config

    threads = max(1, _cores() // n)
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        yield from _parallel(n)(delayed(render_task)(i, job, threads, gpus) for i, job in tasks)


#: a Dask scheduler's first message (its handshake) is small; its first 8 bytes are its size
_DASK_FIRST_MESSAGE_MAX = 1 << 30


def _probe_dask(address: str) -> None:
    """Refuse, before Dask reads it, a ``tcp://`` server whose first bytes are not a Dask message's size
    (Dask would allocate what they spell: 3 EiB for an SSH server). Silent or closed servers are left to Dask."""
    import socket
    import struct
    from urllib.parse import urlsplit

    if "://" in address and not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return
    if not host or not port:
        return
    timeout = float(str(DASK_CONNECT_TIMEOUT).rstrip("s") or 10)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            first = b""
            while len(first) < 8:
                chunk = sock.recv(8 - len(first))
                if not chunk:
                    return
                first += chunk
    except OSError:
        return
    (size,) = struct.unpack("<Q", first)
    if not 0 < size <= _DASK_FIRST_MESSAGE_MAX:
        raise InvalidParameterError(
            f"scheduler: {address} is not a Dask scheduler (its first bytes are {first!r}); "
            f"expected a running `dask scheduler` at tcp://HOST:PORT")


@contextlib.contextmanager
def _dask_client(scheduler: Any, jobs: int | None) -> Iterator[Any]:
    """A ``distributed.Client``: the one given, one on ``tcp://...``, or a local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InvalidParameterError("backend dask: expected dask[distributed] installed "
                                    "(pip install 'prisma_abu[dask]')") from None
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=jobs or 1, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        else:
            _probe_dask(scheduler)
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise InvalidParameterError(
            f"scheduler: cannot reach {scheduler or 'a local Dask cluster'} ({exc}); "
            f"expected a running `dask scheduler` at tcp://HOST:PORT") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_threads(client: Any) -> dict[str, int]:
    """Worker address -> threads of all workers on its host (so threads x workers <= cores)."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    per_host = Counter()
    for info in workers.values():
        per_host[info.get("host")] += info.get("nthreads", 1)
    return {address: per_host[info.get("host")] for address, info in workers.items()}


def _execute_dask(tasks: Sequence[tuple[int, Job]], jobs: int | None, scheduler: Any) -> Iterator[tuple]:
    from joblib import delayed, parallel_config

    with _dask_client(scheduler, jobs) as client:
        threads = _dask_threads(client)
        with parallel_config(backend="dask", client=client):
            # gpus=-1: each worker counts its own host's GPUs and pins itself to one of them
            yield from _parallel(jobs or -1)(delayed(render_task)(i, job, threads, -1) for i, job in tasks)

