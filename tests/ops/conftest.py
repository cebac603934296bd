"""Shared fixtures of the tests of prisma_abu.ops: small arrays, fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from prisma_abu.ops.resize import resize_image


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(20240601)


@pytest.fixture(scope="session")
def cat() -> np.ndarray:
    """skimage's chelsea picture as a 64x64 float32 RGB image (the original's square resize)."""
    return resize_image(data.chelsea(), base_width=64)


@pytest.fixture
def small_rgb(rng: np.random.Generator) -> np.ndarray:
    """A random 12x17 float32 RGB image with integral values in 0..255."""
    return rng.integers(0, 256, size=(12, 17, 3)).astype(np.float32)
