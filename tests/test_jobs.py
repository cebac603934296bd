"""prisma_abu.jobs: the renderer table, style roles, metadata."""

from __future__ import annotations

import pytest

from prisma_abu.errors import InvalidParameterError
from prisma_abu.jobs import Job, render, style_roles

from style_support import QUICK


def test_style_roles_are_ordered_by_number():
    job = Job("style", QUICK, {"content": "c", "style10": "k", "style2": "b", "style": "a", "style0": None})
    assert style_roles(job.inputs) == ["style", "style2", "style10"]


def test_job_render_rejects_a_style_job_without_styles():
    with pytest.raises(InvalidParameterError, match="expected a content picture and at least one style"):
        render(Job("style", QUICK, {"content": "c.png"}))
