"""The studio's HTTP API and page: a FastAPI app over the store and the worker pool.

FastAPI (on Starlette, served by uvicorn) because the routes' signatures are
the API's documentation: it validates the form fields and writes the OpenAPI
schema (``/openapi.json``) from them; the page at ``/docs`` reads that schema
offline (no CDN). Routes are thin: a job is made by :mod:`.jobspec` from the
same parameter classes as the command line, rendered by :mod:`.pool`'s
workers, and stored by :mod:`.store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import PrismaAbuError
from .forms import MULTISTYLE, form_spec, guide_names
from .guard import LOOPBACK, BodyLimit, BodyTooLarge, Gate, TokenGuard, too_large
from .jobspec import DEFAULT_GUIDE, job_view, make_job
from .pool import Pool, QueueFull
from .store import FINISHED, Store

__all__ = ["WebConfig", "create_app", "needs_token", "new_token"]

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class WebConfig:
    """How a studio runs: its store, workers, queue, limits and access token (None: loopback only)."""

    store: str = "out/web"
    jobs: int = 1
    queue: int | None = None
    backend: str = "loky"
    scheduler: str | None = None
    token: str | None = None
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 25_000_000
    max_size: int = 2048


def needs_token(host: str) -> bool:
    """Whether listening on ``host`` requires an access token (anything but the loopback does)."""
    return host not in LOOPBACK


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(config: WebConfig = WebConfig()) -> Any:
    """The ASGI app: the API under ``/api``, the page at ``/``, the schema at ``/openapi.json``, docs at ``/docs``."""
    store = Store(config.store, max_pixels=config.max_pixels)
    pool = Pool(store, jobs=config.jobs, queue=config.queue, backend=config.backend, scheduler=config.scheduler)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        pool.start()
        try:
            yield
        finally:
            await asyncio.get_running_loop().run_in_executor(None, pool.stop)

    app = FastAPI(title="prisma-abu studio", version=__version__, lifespan=lifespan, docs_url=None,
                  redoc_url=None, description="Photos into paintings: submit a job, follow its progress, fetch the "
                                              "picture (its metadata replays with `prisma-abu replay`).")
    app.state.store, app.state.pool, app.state.config = store, pool, config

    @app.exception_handler(PrismaAbuError)
    async def bad_input(_: Request, exc: PrismaAbuError) -> JSONResponse:
        return _error(getattr(exc, "status", 400), str(exc))

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return _error(413, too_large(config.max_upload_bytes))

    @app.exception_handler(QueueFull)
    async def queue_full(_: Request, exc: QueueFull) -> JSONResponse:
        return _error(503, str(exc), {"Retry-After": str(exc.retry_after)})

    # --- jobs ---------------------------------------------------------------------------------------

    @app.post("/api/jobs", status_code=202, summary="Submit a job: a photo (upload or stored id) and a command")
    def submit(command: Literal["mix", "stylize", "dream"] = Form(..., description="what to do with the photo"),
               params: str = Form("{}", description="knob values as a JSON object (GET /api/forms lists them)"),
               photo: UploadFile | None = File(None, description="the photo (JPEG, PNG, WebP, ...)"),
               input: str | None = Form(None, description="a stored input's id, instead of an upload"),
               guide: str | None = Form(None, description="mix, dream: a built-in guide's name (GET /api/guides), "
                                                          "a stored input's id, none, or stylized:MODEL"),
               style_image: str | None = Form(None, description="stylize --model arbitrary: the painting, as a "
                                                                "guide name or a stored input's id"),
               preview: bool = Form(False, description="a quick small picture for the page: left out of the gallery"),
               ) -> dict[str, Any]:
        data = photo.file.read(config.max_upload_bytes + 1) if photo is not None else None
        record = make_job(store, pool, config, command=command, params=params, photo=data, input_id=input,
                          guide=guide, style_image=style_image, preview=preview)
        return job_view(store, record)

    @app.get("/api/jobs", summary="The store's jobs, newest first (the gallery)")
    def list_jobs(limit: int = 60, previews: bool = False) -> list[dict[str, Any]]:
        records = [r for r in store.records() if previews or not r.get("preview")][::-1][:max(1, min(limit, 500))]
        return [job_view(store, r) for r in records]

    def _record(job_id: str) -> dict[str, Any]:
        try:
            return store.load(job_id)
        except (KeyError, OSError, ValueError):
            raise HTTPException(404, f"no job {job_id!r:.40}; expected an id POST /api/jobs returned") from None

    @app.get("/api/jobs/{job_id}", summary="A job: status, progress, parameters, the equivalent command line")
    def get_job(job_id: str) -> dict[str, Any]:
        return job_view(store, _record(job_id))

    @app.get("/api/jobs/{job_id}/events", summary="A job's progress as server-sent events, until it finishes")
    async def job_events(job_id: str) -> StreamingResponse:
        _record(job_id)

        folder = store.jobs / job_id

        def stamp() -> tuple:
            return tuple(p.stat().st_mtime_ns if p.exists() else 0
                         for p in (folder / "job.json", folder / "progress.json"))

        async def events():
            last, seen = None, None
            for _ in range(4 * 3600 * 4):  # at most four hours
                now = stamp()
                if now == seen:
                    await asyncio.sleep(0.25)
                    continue
                seen = now
                view = job_view(store, store.load(job_id))
                text = json.dumps(view, sort_keys=True)
                if text != last:
                    yield f"event: status\ndata: {text}\n\n"
                    last = text
                if view["status"] in FINISHED:
                    return
                await asyncio.sleep(0.25)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/api/jobs/{job_id}/result.png", summary="The painting, with the metadata `prisma-abu replay` reads",
             response_class=FileResponse)
    def get_result(job_id: str, download: bool = False) -> FileResponse:
        record = _record(job_id)
        path = store.jobs / record["id"] / "result.png"
        if record["status"] != "done" or not path.is_file():
            raise HTTPException(409 if record["status"] != "failed" else 410,
                                f"job {job_id} is {record['status']}; expected a finished job")
        name = f"prisma_{record['command']}_{job_id[:8]}.png"
        return FileResponse(path, media_type="image/png", filename=name if download else None,
                            content_disposition_type="attachment" if download else "inline")

    @app.get("/api/jobs/{job_id}/inputs/{role}", summary="One of a job's inputs, as the command line names it",
             response_class=FileResponse)
    def get_job_input(job_id: str, role: str) -> FileResponse:
        record = _record(job_id)
        entry = record["inputs"].get(role)
        if entry is None:
            raise HTTPException(404, f"job {job_id} has no input {role!r:.40}; expected one of "
                                     f"{', '.join(record['inputs'])}")
        return FileResponse(store.jobs / record["id"] / entry["file"], filename=entry["file"])

    # --- inputs -------------------------------------------------------------------------------------

    @app.post("/api/inputs", status_code=201, summary="Store a picture; its id can be used in many jobs")
    def add_input(photo: UploadFile = File(..., description="a picture")) -> dict[str, str]:
        return {"id": store.add_input(photo.file.read(config.max_upload_bytes + 1))}

    # --- what there is ------------------------------------------------------------------------------

    @app.get("/api/forms", summary="Every command's knobs (help, default, range, choices): the page's forms")
    def forms() -> dict[str, Any]:
        models = _models()
        choices = [*MULTISTYLE, *(m["name"] for m in models if m["builtin"] and ":" not in m["name"]),
                   *(m["name"] for m in models if not m["builtin"])]
        return {"commands": form_spec(), "guides": guide_names(), "models": models, "model_choices": choices,
                "default_guide": DEFAULT_GUIDE,
                "limits": {"max_upload_bytes": config.max_upload_bytes, "max_pixels": config.max_pixels,
                           "max_size": config.max_size}, "version": __version__}

    @app.get("/api/models", summary="The style networks stylize takes (what `prisma-abu models` prints)")
    def models() -> list[dict[str, Any]]:
        return _models()

    @app.get("/api/guides", summary="The built-in guide pictures (prisma_gd/)")
    def guides() -> list[dict[str, str]]:
        return [{"name": name, "url": f"/api/guides/{name}"} for name in guide_names()]

    @app.get("/api/guides/{name}", summary="A built-in guide picture", response_class=FileResponse)
    def guide_picture(name: str) -> FileResponse:
        from .forms import guide_file

        return FileResponse(guide_file(name))

    @app.get("/api/backbones", summary="The backbones, their weights and layers (what `layers` and `doctor` print)")
    def backbones() -> list[dict[str, Any]]:
        from ..pipeline.models import backbone_report

        return backbone_report()

    @app.get("/api/devices", summary="Devices, versions, threads, precision verdicts (what `doctor` prints)")
    def devices() -> dict[str, Any]:
        from ..pipeline.models import machine_report

        return {**machine_report(), "workers": config.jobs, "backend": config.backend, "queue": {"capacity": pool.capacity,
                                                                             "pending": pool.pending}}

    # --- the page -----------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def refuse(method: str, path: str) -> tuple[int, str, dict[str, str]] | None:
        """A job while the queue is full: 503 before the upload is read."""
        if method == "POST" and path == "/api/jobs":
            full = pool.full()
            if full is not None:
                return 503, str(full), {"Retry-After": str(full.retry_after)}
        return None

    gated = BodyLimit(Gate(app, refuse), config.max_upload_bytes + 64 * 1024)
    return TokenGuard(gated, config.token) if config.token else gated


def _models() -> list[dict[str, Any]]:
    """The built-in networks and the model folder's files, by name (never a path)."""
    from ..pipeline.stylize import builtin_models, model_files

    out = [{"name": spec, "description": description, "builtin": True} for spec, description in builtin_models()]
    out += [{"name": Path(path).name, "description": f"{kind} file, {size / 1e6:.1f} MB", "builtin": False}
            for path, kind, size in model_files()]
    return out
