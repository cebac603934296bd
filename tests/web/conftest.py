"""The studio's fixtures: an app on a store in a temporary folder, an in-process client."""

from __future__ import annotations

import threading
import warnings

import pytest

pytest.importorskip("fastapi")
with warnings.catch_warnings():  # starlette's TestClient warns that it wants httpx2; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from prisma_abu.web import WebConfig, create_app  # noqa: E402
from prisma_abu.web.pool import Pool  # noqa: E402


@pytest.fixture
def make_client(tmp_path):
    """``make_client(**config)``: a started app (lifespan run) on ``tmp_path/store``; closed at the end."""
    opened = []

    def make(**config):
        config.setdefault("store", str(tmp_path / "store"))
        config.setdefault("jobs", 1)
        client = TestClient(create_app(WebConfig(**config)))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def door(monkeypatch):
    """An event every job waits on before it reaches a worker, so a test sees jobs unfinished however fast
    the machine is; ``door.set()`` lets them through, and so does a stopping server (the job at the door then
    runs, the queued stay queued); it is set at the end, so nothing waits past the test."""
    event = threading.Event()
    to_worker = Pool._submit

    def held(self, *args):
        for _ in range(1200):
            if event.wait(0.05) or self._stopping:
                break
        return to_worker(self, *args)

    monkeypatch.setattr(Pool, "_submit", held)
    yield event
    event.set()
