"""prisma_abu.batch.backends: Dask gives loky's pictures; an unreachable scheduler is bad input."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu.batch import backends, expand, run_batch
from prisma_abu.errors import InvalidParameterError
from prisma_abu.io import read_image

from batch_support import BRICK, SWIRL, _experiment


def test_dask_cluster_gives_the_same_pictures_as_loky(tmp_path, torch_threads):
    from distributed import LocalCluster

    exp = _experiment(tmp_path, guides=(SWIRL, BRICK, "none"),
                      params={"octave_n": 1, "iter_n": 3, "jitter": 4},
                      grid={"layer": ["stem", "none"], "rb_rate": [1.0, 0.9]})
    items = expand(exp)
    loky = run_batch(items, tmp_path / "loky", jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask = run_batch(items, tmp_path / "dask", backend="dask", scheduler=cluster.scheduler_address)
    assert len(loky.done) == len(dask.done) == len(items) == 12
    for item in items:
        np.testing.assert_array_equal(read_image(tmp_path / "loky" / item.output),
                                      read_image(tmp_path / "dask" / item.output))


def test_unreachable_scheduler_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setattr(backends, "DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(InvalidParameterError, match="scheduler: cannot reach tcp://127.0.0.1:9"):
        run_batch(expand(_experiment(tmp_path)), tmp_path / "b", backend="dask", scheduler="tcp://127.0.0.1:9")


def test_each_worker_takes_its_own_gpu(tmp_path):
    """Two worker processes on a 2-GPU machine hold one device each (lock files, no GPU needed)."""
    import subprocess
    import sys

    code = ("import sys, time; from prisma_abu.batch.backends import worker_gpu; "
            f"print(worker_gpu(2, {str(tmp_path)!r}), flush=True); time.sleep(3)")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        seen = sorted(p.stdout.readline().strip() for p in procs)
    finally:
        for p in procs:
            p.kill()
            p.wait()
            p.stdout.close()
    assert seen == ["cuda:0", "cuda:1"]


def test_a_job_on_auto_is_pinned_to_the_workers_gpu(monkeypatch):
    from prisma_abu.jobs import Job
    from prisma_abu.params import DreamParams

    seen = []
    monkeypatch.setattr(backends, "render_job", lambda job: seen.append(job.params.device) or (_ for _ in ()).throw(
        InvalidParameterError("stop")))
    monkeypatch.setattr(backends, "_GPU_SLOT", ["cuda:1"])
    backends.render_task(0, Job("dream", DreamParams(), {"image": "x.png"}), None, gpus=2)
    backends.render_task(1, Job("dream", DreamParams(device="cpu"), {"image": "x.png"}), None, gpus=2)
    backends.render_task(2, Job("dream", DreamParams(), {"image": "x.png"}), None, gpus=1)
    assert seen == ["cuda:1", "cpu", "auto"]  # only auto moves; one GPU: auto resolves as usual


def test_a_tcp_server_that_is_not_dask_is_refused_in_one_line(tmp_path, monkeypatch):
    # issue 18: `batch --scheduler` at an SSH port made Dask allocate the 3 EiB its first bytes spell
    import socket
    import threading

    monkeypatch.setattr(backends, "DASK_CONNECT_TIMEOUT", "2s")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def talk():
        for _ in range(3):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            threading.Timer(3, conn.close).start()
    threading.Thread(target=talk, daemon=True).start()
    try:
        with pytest.raises(InvalidParameterError, match=f"scheduler: tcp://127.0.0.1:{port} is not a Dask scheduler"):
            run_batch(expand(_experiment(tmp_path)), tmp_path / "b", backend="dask", scheduler=f"tcp://127.0.0.1:{port}")
    finally:
        server.close()
