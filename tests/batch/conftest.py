"""Fixtures of the batch tests."""

from __future__ import annotations

import pytest

from prisma_abu.batch import kinds


@pytest.fixture
def no_layer_check(monkeypatch):
    """Names only: accept any layer without looking at a network."""
    monkeypatch.setattr(kinds.MixKind, "validate", lambda self, params: None)
