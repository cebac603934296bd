"""A job from what a client sent, and a job as a client sees it.

:func:`make_job` checks everything before the queue takes the job — the
command, the knob values (by the command's parameter class), the photo (by
the command line's reader and bomb guard), the guide, the model — and only
then stores it; :func:`job_view` is the JSON a client gets back: status,
progress, parameters, the equivalent command line, where the picture is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from .forms import NO_GUIDE, STYLIZED, WEB_COMMANDS, command_line, guide_file, parse_params
from .store import ID_PATTERN, Store, UploadError

__all__ = ["make_job", "job_view", "DEFAULT_GUIDE"]

#: mix's guide when none is named: the README's first example
DEFAULT_GUIDE = "swirl"


def _stored(store: Store, name: str, what: str) -> tuple[str, Path]:
    """A stored input's id or a built-in guide's name -> (input id, file in the store)."""
    if ID_PATTERN.fullmatch(name):
        return name, store.input_path(name)
    try:
        path = guide_file(name)
    except InvalidParameterError:
        raise InvalidParameterError(f"{what}: expected a stored input's id or a built-in guide's name, "
                                    f"got {name!r:.40}") from None
    input_id = store.add_input(path.read_bytes())
    return input_id, store.input_path(input_id)


def _model(params: Any) -> tuple[Any, Path | None]:
    """A built-in network, or a file of the model folder named by its file name (never a path)."""
    from ..pipeline.stylize import is_builtin, model_files

    if is_builtin(params.model):
        return params, None
    files = {Path(p).name: Path(p) for p, _, _ in model_files()}
    if params.model not in files:
        raise InvalidParameterError(f"model: expected a built-in network or a file of the model folder by name "
                                    f"(GET /api/models), got {params.model!r:.60}")
    return params, files[params.model]


def make_job(store: Store, pool: Any, config: Any, *, command: str, params: str | dict, photo: bytes | None,
             input_id: str | None, guide: str | None, style_image: str | None,
             preview: bool = False) -> dict[str, Any]:
    """Check, then store and queue a job; its record.

    Raises
    ------
    PrismaAbuError
        A bad knob, photo, guide or model (the command line's one-line messages).
    QueueFull
        Every place in the queue is taken.
    """
    spec = WEB_COMMANDS.get(command)
    if spec is None:
        raise InvalidParameterError(f"command: expected one of {', '.join(WEB_COMMANDS)}, got {command!r:.40}")
    if isinstance(params, str):
        try:
            params = json.loads(params or "{}")
        except (ValueError, RecursionError):
            raise InvalidParameterError("params: expected a JSON object of knob values, got invalid JSON") from None
    values = parse_params(spec, params, max_size=config.max_size)
    if (photo is None) == (input_id is None):
        raise InvalidParameterError("photo: expected an uploaded photo or a stored input's id (one of them)")
    if photo is not None and len(photo) > config.max_upload_bytes:
        raise UploadError(f"upload: larger than {config.max_upload_bytes} bytes; expected a smaller picture", 413)
    extra: dict[str, Any] = {"preview": True} if preview else {}
    inputs: dict[str, tuple[str | None, Path]] = {}
    if spec.guide_role is not None:
        guide = (DEFAULT_GUIDE if spec.name == "mix" else NO_GUIDE) if guide in (None, "") else guide
        extra["guide"] = guide
        if guide.startswith(STYLIZED) and spec.name == "mix":
            from ..pipeline.stylize import is_builtin

            model = guide[len(STYLIZED):]
            if not is_builtin(model):
                raise InvalidParameterError(f"guide: expected stylized: and a built-in network, got {guide!r:.60}")
            values = values.replace(guide_model=model)
        elif guide != NO_GUIDE:
            inputs[spec.guide_role] = _stored(store, guide, "guide")
            if spec.name == "dream" and "objective" not in params:
                values = values.replace(objective="guide")  # as `prisma-abu dream --guide` does
    if spec.name == "stylize":
        values, model_file = _model(values)
        if model_file is not None:
            inputs["model"] = (None, model_file)
            values = values.replace(model=model_file.name)
        if style_image:
            inputs["style_image"] = _stored(store, style_image, "style_image")
        elif values.model.strip().lower() == "arbitrary":
            raise InvalidParameterError("model arbitrary: expected a style_image (a guide's name or an input id)")
    pool.reserve()  # 503 now, before the photo costs anything
    try:
        photo_id = store.add_input(photo) if photo is not None else input_id
        inputs = {spec.photo_role: (photo_id, store.input_path(photo_id)), **inputs}
        record = store.new_job(spec.name, values.to_dict(), inputs, extra)
    except BaseException:
        pool.release()
        raise
    pool.enqueue(record["id"])
    return record


def job_view(store: Store, record: dict[str, Any]) -> dict[str, Any]:
    """What a client sees of a job."""
    job_id = record["id"]
    progress = store.progress(job_id) if record["status"] == "running" else {}
    steps, total = progress.get("steps", 0), progress.get("total")
    fraction = 1.0 if record["status"] == "done" else (min(0.99, steps / total) if total else None)
    view = {key: record.get(key) for key in ("id", "command", "status", "params", "rendered", "arithmetic", "guide",
                                             "created", "started", "finished", "seconds", "error", "size",
                                             "resumed", "preview")}
    view["inputs"] = {role: {"file": e["file"], "id": e["id"], "url": f"/api/jobs/{job_id}/inputs/{role}"}
                      for role, e in record["inputs"].items()}
    view["progress"] = {"steps": steps, "total": total, "fraction": fraction}
    view["command_line"] = command_line(record)
    view["result_url"] = f"/api/jobs/{job_id}/result.png" if record["status"] == "done" else None
    return view
