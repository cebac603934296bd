"""Helpers of the studio's tests (tests/web): small photos, waiting for a job."""

from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image

#: a small stylize job: the built-in network at 96 px (well under a second once the worker is up)
SMALL = {"size": 96}


def photo_bytes(size=(120, 80), fmt="JPEG", seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = (rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, fmt)
    return out.getvalue()


def wait(client, job_id: str, timeout: float = 120.0) -> dict:
    """Poll a job until it is done or failed."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        view = client.get(f"/api/jobs/{job_id}").json()
        if view["status"] in ("done", "failed"):
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {view}")
