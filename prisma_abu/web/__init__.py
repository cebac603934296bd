"""``prisma-abu serve``: the web studio — a page for phones and an HTTP API over the same jobs as the CLI.

The rooms: :mod:`.app` (the FastAPI routes), :mod:`.jobspec` (a job from a
request, a job as a client sees it), :mod:`.forms` (the forms from the knob
declarations, the equivalent command line), :mod:`.pool` (the bounded queue
and the worker processes), :mod:`.store` (inputs, records, results on disk),
:mod:`.guard` (access token, upload size), ``static/`` (the page, no build
step). Importing this package imports no web framework: :func:`create_app`
does, so the workers stay light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "WebConfig", "needs_token", "new_token"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
