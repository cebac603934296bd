"""One rendering job: a command, its parameter object and its input files.

The command line, replay and the batch runner all describe a picture as a
:class:`Job`; its metadata (stored in every picture written) is enough to
render it again bit for bit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import __version__
from .errors import InvalidImageError, InvalidParameterError
from .io import file_sha256, read_image, write_image
from .params import DreamParams, MixParams, params_from_dict, Params

__all__ = ["Job", "render", "run_job", "job_metadata", "job_from_metadata", "register_renderer", "RENDERERS"]

Callback = Callable[[int, int, float], None]
Renderer = Callable[["Job", "Callback | None"], np.ndarray]


@dataclass(frozen=True)
class Job:
    """``command`` with ``params`` on ``inputs`` (role -> file path or None)."""

    command: str
    params: Params
    inputs: Mapping[str, str | None] = field(default_factory=dict)

    def input_image(self, role: str) -> np.ndarray | None:
        path = self.inputs.get(role)
        return None if path is None else read_image(path)


def _render_dream(job: Job, callback: Callback | None) -> np.ndarray:
    from .pipeline import dream

    assert isinstance(job.params, DreamParams)
    return dream(job.input_image("image"), job.params, guide=job.input_image("guide"), callback=callback)


def _mix_renderer(plain_dream_without_guide: bool) -> Renderer:
    """``mix``; ``mix_black_guide`` is the original PrismaWorker's (no guide: a black one)."""

    def render_mix(job: Job, callback: Callback | None) -> np.ndarray:
        from .pipeline import mix

        assert isinstance(job.params, MixParams)
        return mix(job.input_image("source"), job.input_image("guide"), job.params,
                   plain_dream_without_guide=plain_dream_without_guide, callback=callback).image

    return render_mix


def _render_mask(job: Job, callback: Callback | None) -> np.ndarray:
    from .pipeline import mask_picture

    return mask_picture(job.input_image("source"), job.params)


def _render_features(job: Job, callback: Callback | None) -> np.ndarray:
    from .pipeline import feature_picture

    return feature_picture(job.input_image("source"), job.params)


RENDERERS: dict[str, Renderer] = {
    "dream": _render_dream,
    "mix": _mix_renderer(True),
    "mix_black_guide": _mix_renderer(False),
    "mask": _render_mask,
    "features": _render_features,
}


def register_renderer(command: str, renderer: Renderer) -> None:
    """Make ``command`` renderable (style transfer registers itself here)."""
    RENDERERS[command] = renderer


def render(job: Job, *, callback: Callback | None = None) -> np.ndarray:
    """Render ``job``: an (M, N, 3) uint8 array."""
    renderer = RENDERERS.get(job.command)
    if renderer is None:
        raise InvalidParameterError(
            f"unknown command {job.command!r}; expected one of {', '.join(sorted(RENDERERS))}")
    return renderer(job, callback)


def job_metadata(job: Job) -> dict[str, Any]:
    """Everything needed to render ``job`` again: stored in the picture."""
    inputs = {}
    for role, path in job.inputs.items():
        if path is None:
            inputs[role] = None
        else:
            inputs[role] = {"path": str(Path(path).resolve()), "sha256": file_sha256(path)}
    return {"prisma_abu": __version__, "command": job.command,
            "params": {"kind": job.params.kind, **job.params.to_dict()}, "inputs": inputs}


def job_from_metadata(meta: Mapping[str, Any], *, check_inputs: bool = True) -> Job:
    """The job a picture's metadata describes; its input files must be unchanged."""
    try:
        command, params, inputs = meta["command"], meta["params"], meta["inputs"]
    except (KeyError, TypeError):
        raise InvalidImageError("the picture's parameters lack command/params/inputs") from None
    paths: dict[str, str | None] = {}
    for role, entry in inputs.items():
        if entry is None:
            paths[role] = None
            continue
        path = entry["path"]
        if check_inputs:
            if not os.path.isfile(path):
                raise InvalidImageError(f"input {role} {path} is gone; expected the file the picture was made from")
            if file_sha256(path) != entry["sha256"]:
                raise InvalidImageError(
                    f"input {role} {path} changed since the picture was made (sha256 differs)")
        paths[role] = path
    return Job(command, params_from_dict(params), paths)


def run_job(job: Job, out: str | os.PathLike, *, callback: Callback | None = None) -> Path:
    """Render ``job`` and write it atomically to ``out`` with its metadata."""
    image = render(job, callback=callback)  # reads (and so checks) the inputs first
    return write_image(out, image, metadata=job_metadata(job))


def _style_roles(job: Job) -> list[str]:
    """The style inputs' roles in order: ``style0``, ``style1``, ... (``style`` alone is the first)."""
    import re

    found = [(int(m.group(1) or -1), role) for role in job.inputs
             if (m := re.fullmatch(r"style(\d*)", role)) and job.inputs[role] is not None]
    return [role for _, role in sorted(found)]


def _render_style(job: Job, callback: Callback | None) -> np.ndarray:
    """Neural style transfer: roles ``content``, ``style0``..``styleN``, optional ``init_image``, ``mask_file``."""
    from .params import StyleParams
    from .pipeline import style

    assert isinstance(job.params, StyleParams)
    roles = _style_roles(job)
    if job.inputs.get("content") is None or not roles:
        raise InvalidParameterError("style: expected a content picture and at least one style picture")
    return style(job.input_image("content"), [job.input_image(r) for r in roles], job.params,
                   mask=job.input_image("mask_file"), init_image=job.input_image("init_image"),
                   callback=callback)


RENDERERS["style"] = _render_style
