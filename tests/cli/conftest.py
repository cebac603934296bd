"""Fixtures of the command-line tests: they run from the repository root, as the README's examples."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)
