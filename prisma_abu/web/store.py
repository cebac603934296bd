"""The web studio's store: the inputs people sent, each job's parameters, status and picture.

Layout under the store folder (``out/web`` by default)::

    inputs/<id>.<ext>          every picture uploaded, named by the server (id: sha256 prefix of its bytes)
    jobs/<id>/job.json         command, parameters, input ids, status, times, error
    jobs/<id>/photo.<ext> ...  the job's inputs (hard links to inputs/), named by role
    jobs/<id>/result.png       the painting, with the metadata ``prisma-abu replay`` reads
    jobs/<id>/progress.json    the worker's progress (steps done, steps expected)

Every file is written atomically (temporary file, then rename), so a server
killed at any moment leaves no half-written file; a job whose ``job.json``
says ``queued`` or ``running`` when the server starts is queued again (its
inputs are all in its folder) or, when they are gone, marked failed. A client
never names a path: ids are checked against ``[0-9a-f]{32}`` before any file
is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

from PIL import Image

from ..data import IMAGE_SUFFIXES
from ..errors import InvalidImageError, InvalidParameterError
from ..io import read_image, write_bytes_atomic

__all__ = ["Store", "UploadError", "FORMATS", "ID_PATTERN", "FINISHED", "UNFINISHED"]

#: Pillow format -> the suffix its files get: the formats the command line reads (by suffix)
FORMATS = {**{fmt: ext for ext, fmt in sorted(Image.registered_extensions().items()) if ext in IMAGE_SUFFIXES},
           "MPO": ".jpg"}  # a phone camera's JPEG (several pictures in one file) is a JPEG to the command line
ID_PATTERN = re.compile(r"[0-9a-f]{32}")
FINISHED = ("done", "failed")
UNFINISHED = ("queued", "running")


class UploadError(InvalidImageError):
    """An upload that is not a picture the server takes; ``status``: 413 too big, 415 not a picture we read."""

    def __init__(self, message: str, status: int = 415) -> None:
        super().__init__(message)
        self.status = status


class Store:
    """The store folder: inputs, job records and results (see the module docstring)."""

    def __init__(self, root: str | os.PathLike, *, max_pixels: int = 25_000_000) -> None:
        self.root = Path(root).resolve()
        self.inputs = self.root / "inputs"
        self.jobs = self.root / "jobs"
        self.max_pixels = max_pixels
        self._lock = threading.Lock()
        for folder in (self.inputs, self.jobs):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InvalidParameterError(f"--store {self.root}: cannot create {folder.name}/ ({exc.strerror}); "
                                            f"expected a writable folder") from None

    # --- inputs -------------------------------------------------------------------------------------

    def add_input(self, data: bytes) -> str:
        """Check ``data`` is a picture the command line reads, within the pixel limit; store it; its id.

        Raises
        ------
        UploadError
            Empty, not a picture, a format the command line does not read, too
            many pixels (a decompression bomb), or broken: one line, the
            command line's, naming the upload (never a server path).
        """
        if not data:
            raise UploadError("upload: is empty; expected a picture's bytes", 400)
        digest = hashlib.sha256(data).hexdigest()[:32]
        known = self.input_path(digest, missing_ok=True)
        if known is not None:
            return digest
        tmp = self.root / f".upload-{uuid.uuid4().hex}.part"
        try:
            tmp.write_bytes(data)
            suffix = self._check_picture(tmp)
            write_bytes_atomic(self.inputs / f"{digest}{suffix}", data)
        finally:
            tmp.unlink(missing_ok=True)
        return digest

    def _check_picture(self, path: Path) -> str:
        try:
            with Image.open(path) as img:  # reads the header only: format and size
                fmt, (width, height) = img.format, img.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            fmt, width, height = None, 0, 0
        except Exception:
            fmt, width, height = "", 0, 0
        try:
            if fmt == "":
                raise InvalidImageError(f"{path}: not a picture Pillow can read; expected PNG, JPEG, ...")
            if fmt is not None and fmt not in FORMATS:
                raise InvalidImageError(f"{path}: a {fmt} file; expected one of "
                                        f"{', '.join(sorted(set(FORMATS)))}")
            if width * height > self.max_pixels:
                raise InvalidImageError(f"{path}: too many pixels ({width} x {height}); expected at most "
                                        f"{self.max_pixels} pixels")
            read_image(path)  # the command line's reader: the bomb guard, truncation, every check it makes
        except InvalidImageError as exc:
            message = str(exc).replace(str(path), "upload")
            raise UploadError(message, 413 if "too many pixels" in message else 415) from None
        return FORMATS[fmt] if fmt else path.suffix

    def input_path(self, input_id: str, *, missing_ok: bool = False) -> Path | None:
        """The stored picture with this id."""
        if not isinstance(input_id, str) or not ID_PATTERN.fullmatch(input_id):
            raise InvalidParameterError(f"input: expected an input id (32 hex digits), got {input_id!r:.40}")
        found = sorted(self.inputs.glob(f"{input_id}.*"))
        if not found:
            if missing_ok:
                return None
            raise InvalidParameterError(f"input {input_id}: no such stored input; expected an id POST /api/inputs "
                                        f"or POST /api/jobs returned")
        return found[0]

    # --- jobs ---------------------------------------------------------------------------------------

    def job_folder(self, job_id: str) -> Path:
        if not isinstance(job_id, str) or not ID_PATTERN.fullmatch(job_id):
            raise KeyError(job_id)
        folder = self.jobs / job_id
        if not (folder / "job.json").is_file():
            raise KeyError(job_id)
        return folder

    def new_job(self, command: str, params: dict[str, Any], inputs: dict[str, tuple[str, Path]],
                extra: dict[str, Any]) -> dict[str, Any]:
        """A queued job: its folder with its inputs linked by role (``role -> (input id, file)``), its record."""
        job_id = uuid.uuid4().hex
        folder = self.jobs / job_id
        folder.mkdir()
        files = {}
        for role, (input_id, path) in inputs.items():
            name = f"{role}{path.suffix.lower()}"
            try:
                os.link(path, folder / name)
            except OSError:
                write_bytes_atomic(folder / name, path.read_bytes())
            files[role] = {"id": input_id, "file": name}
        record = {"id": job_id, "command": command, "params": params, "inputs": files, "status": "queued",
                  "created": time.time(), "started": None, "finished": None, "error": None, **extra}
        self.save(record)
        return record

    def save(self, record: dict[str, Any]) -> None:
        with self._lock:
            write_bytes_atomic(self.jobs / record["id"] / "job.json",
                               json.dumps(record, sort_keys=True).encode("utf-8"))

    def load(self, job_id: str) -> dict[str, Any]:
        folder = self.job_folder(job_id)
        return json.loads((folder / "job.json").read_text(encoding="utf-8"))

    def update(self, job_id: str, **changes: Any) -> dict[str, Any]:
        with self._lock:
            record = json.loads((self.jobs / job_id / "job.json").read_text(encoding="utf-8"))
            record.update(changes)
            write_bytes_atomic(self.jobs / job_id / "job.json", json.dumps(record, sort_keys=True).encode("utf-8"))
        return record

    def records(self) -> Iterator[dict[str, Any]]:
        """Every job's record, oldest first (a folder whose record cannot be read is skipped)."""
        found = []
        for folder in self.jobs.iterdir():
            try:
                found.append(json.loads((folder / "job.json").read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        yield from sorted(found, key=lambda r: (r.get("created") or 0, r.get("id")))

    def result_path(self, job_id: str) -> Path:
        return self.job_folder(job_id) / "result.png"

    def progress(self, job_id: str) -> dict[str, Any]:
        try:
            return json.loads((self.jobs / job_id / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
