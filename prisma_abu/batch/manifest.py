"""The manifest (``manifest.jsonl``, one row per picture) and what a batch run reports.

Every row is written whole and flushed, so a batch killed at any moment leaves
a manifest whose complete lines are true; a line cut short is ignored.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from ..io import write_bytes_atomic

if TYPE_CHECKING:  # pragma: no cover
    from .grid import BatchItem

__all__ = ["MANIFEST", "STATUSES", "ItemResult", "BatchReport", "read_manifest", "write_text", "dumps_row"]

#: the manifest's file name inside a batch folder
MANIFEST = "manifest.jsonl"
STATUSES = ("done", "skipped", "failed")


# --- manifest ------------------------------------------------------------------------------------

def read_manifest(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of ``folder/manifest.jsonl`` (a line cut short by a kill is ignored)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("output"), str):
            rows.append(row)
    return rows


def write_text(path: Path, text: str) -> Path:
    """Write a text file atomically (temporary file in the same folder, then rename), with the user's umask."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def dumps_row(row: Mapping[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


@dataclass(frozen=True)
class ItemResult:
    """What became of one picture in this run: ``done``, ``skipped`` or ``failed``."""

    item: BatchItem
    status: str
    seconds: float = 0.0
    error: str | None = None

    def row(self, date: str | None) -> dict[str, Any]:
        """Its manifest row."""
        job = self.item.job
        return {"output": self.item.output, "status": self.status, "seconds": round(self.seconds, 4),
                "error": self.error, "command": job.command, "inputs": dict(job.inputs),
                "params": {"kind": job.params.kind, **job.params.to_dict()}, "values": dict(self.item.values),
                "date": date, "finished": _dt.datetime.now().isoformat(timespec="seconds")}


@dataclass(frozen=True)
class BatchReport:
    """A batch run: every picture's result (in item order), the sheets, the time taken."""

    folder: Path
    results: tuple[ItemResult, ...]
    seconds: float
    sheets: tuple[Path, ...] = ()
    index: Path | None = None

    def _with(self, status: str) -> list[ItemResult]:
        return [r for r in self.results if r.status == status]

    @property
    def done(self) -> list[ItemResult]:
        return self._with("done")

    @property
    def skipped(self) -> list[ItemResult]:
        return self._with("skipped")

    @property
    def failed(self) -> list[ItemResult]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        return not self.failed

    def paths(self) -> list[Path]:
        """The pictures on disk (done or skipped), in item order."""
        return [self.folder / r.item.output for r in self.results if r.status != "failed"]



def digest_of(value: Any) -> str:
    """A short (8 hex) sha256 of a JSON-like value, keys sorted, other values by ``repr``: a batch's name."""
    import hashlib

    def norm(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        return v if isinstance(v, (str, int, float, bool)) or v is None else repr(v)

    return hashlib.sha256(json.dumps(norm(value), sort_keys=True).encode()).hexdigest()[:8]


def recorded_seconds(out: str | os.PathLike, command: str, *, max_manifests: int = 200) -> list[float]:
    """Seconds per rendered picture of ``command`` recorded in earlier batches' manifests under ``out``
    (``out/<date>/<batch>/`` and the older ``out/<date>/``): what a dry run estimates from, rendering nothing."""
    out = Path(out)
    try:
        manifests = sorted([*out.glob(f"*/*/{MANIFEST}"), *out.glob(f"*/{MANIFEST}")])[-max_manifests:]
    except OSError:
        return []
    seconds = []
    for manifest in manifests:
        try:
            rows = read_manifest(manifest.parent)
        except (OSError, ValueError):
            continue
        seconds += [float(r["seconds"]) for r in rows if r.get("command") == command and r.get("status") == "done"
                    and isinstance(r.get("seconds"), (int, float)) and 0 < r["seconds"] < 1e7]
    return seconds
