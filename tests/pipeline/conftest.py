"""Fixtures of the pipeline tests."""

from __future__ import annotations

import pytest

from prisma_abu.data import guide_path, sample_path
from prisma_abu.io import read_image


@pytest.fixture(scope="module")
def photos():
    """chelsea, swirl and stained_glass as read."""
    return (read_image(sample_path("chelsea")), read_image(guide_path("swirl")),
            read_image(guide_path("stained_glass")))
