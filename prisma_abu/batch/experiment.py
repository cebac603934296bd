"""Experiments: the batch file format.

An :class:`Experiment` names the inputs per role, the fixed parameters and the
grid axes; :func:`load_experiment` reads one from TOML (see
docs/experiment.toml). Its inputs are expanded by :mod:`.inputs` and its
pictures made by :mod:`.grid`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping, Sequence

from ..errors import InvalidParameterError
from ..io import WRITABLE_SUFFIXES, check_output_folder
from ..params.text import PARAMS_TEXT_LIMIT, load_text
from .backends import check_run_options
from .inputs import expand_inputs, is_none
from .kinds import JobKind, job_kind, safe_label
from .manifest import MANIFEST, digest_of

__all__ = ["Experiment", "batch_date", "experiment_from_dict", "load_experiment", "read_experiment_file", "role_key"]

_DATE_RE = re.compile(r"^(\d{4})[-_](\d{2})[-_](\d{2})$")


# --- experiments ---------------------------------------------------------------------------------

def role_key(role: str) -> str:
    """The experiment file's key for a role's inputs: ``sources``, ``guides``, ``styles`` (for ``style0``)."""
    return {"style0": "styles"}.get(role, role + "s")


def _coerce(hint: Any, value: Any) -> Any:
    """A TOML/CLI value as its field's type: ints to floats for float fields."""
    base = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    if float in base and int not in base and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@dataclass(frozen=True)
class Experiment:
    """A batch described: inputs per role, fixed parameters, grid axes, output.

    Parameters
    ----------
    inputs : mapping of role -> sequence
        ``{"source": [...], "guide": [..., None]}``: files, folders, globs,
        ``None``/``"none"`` for optional roles. Relative paths are relative to
        the current folder (:func:`load_experiment` makes a file's paths
        absolute first).
    out : path-like
        Pictures go to ``out/<date>/<command>-<digest>/`` (see :meth:`Experiment.batch_name`).
    command : str
        ``mix`` (default) or ``dream``; see :func:`register_kind`.
    params : mapping
        Fixed values of the command's parameter fields.
    grid : mapping of field -> sequence
        One axis per field; the batch is the product of the inputs and axes.
    date : str or datetime.date, optional
        ``today`` (default), ``latest`` or ``YYYY-MM-DD`` / ``YYYY_MM_DD``; see :func:`batch_date`.
    ext : str
        Picture format: ``png`` (default), ``jpg``, ``webp``, ``tif``.
    jobs : int, optional
        Worker processes (loky; default 1) or tasks at once (dask; default all threads).
    backend : {'loky', 'dask'}
    scheduler : str, optional
        ``tcp://HOST:PORT`` of a Dask scheduler (dask; default a local cluster).
    """

    inputs: Mapping[str, Sequence[Any]]
    out: str | os.PathLike = "out/batch"
    command: str = "mix"
    params: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    date: str | _dt.date | None = None
    ext: str = "png"
    jobs: int | None = None
    backend: str = "loky"
    scheduler: str | None = None

    def __post_init__(self) -> None:
        kind = job_kind(self.command)
        unknown = sorted(set(self.inputs) - set(kind.roles))
        if unknown:
            raise InvalidParameterError(
                f"unknown input role(s) {', '.join(unknown)} for {self.command}; expected {', '.join(kind.roles)}")
        inputs = {r: (v,) if isinstance(v, (str, os.PathLike)) or v is None else tuple(v)
                  for r, v in self.inputs.items()}
        object.__setattr__(self, "inputs", MappingProxyType(inputs))
        aliases = kind.params_cls.aliases()
        for table in ("params", "grid"):
            object.__setattr__(self, table, {aliases.get(k, k): v for k, v in getattr(self, table).items()})
        self._check_fields(kind)
        hints = typing.get_type_hints(kind.params_cls)
        params = {k: _coerce(hints.get(k), v) for k, v in self.params.items()}
        grid = {k: self._axis(k, v, hints) for k, v in self.grid.items()}
        object.__setattr__(self, "params", MappingProxyType(params))
        object.__setattr__(self, "grid", MappingProxyType(grid))
        ext = str(self.ext).lower().lstrip(".")
        if "." + ext not in WRITABLE_SUFFIXES:
            raise InvalidParameterError(
                f"ext: expected one of {', '.join(sorted(s[1:] for s in WRITABLE_SUFFIXES))}, got {self.ext!r}")
        object.__setattr__(self, "ext", ext)
        check_run_options(self.jobs, self.backend)
        check_output_folder(self.out)
        batch_date(self.date, self.out, check_only=True)

    def _check_fields(self, kind: JobKind) -> None:
        valid = kind.fields()
        for table, names in (("params", self.params), ("grid", self.grid)):
            unknown = sorted(set(names) - set(valid))
            if unknown:
                raise InvalidParameterError(
                    f"unknown field(s) {', '.join(unknown)} in {table} for {self.command}; "
                    f"expected some of: {', '.join(valid)}")
        both = sorted(set(self.params) & set(self.grid))
        if both:
            raise InvalidParameterError(
                f"{', '.join(both)}: both a fixed value (params) and a grid axis; expected one of the two")

    @staticmethod
    def _axis(name: str, values: Any, hints: Mapping[str, Any]) -> tuple[Any, ...]:
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            values = [values]
        if not values:
            raise InvalidParameterError(f"grid {name}: expected at least one value, got an empty list")
        return tuple(_coerce(hints.get(name), v) for v in values)

    def resolve_date(self) -> str:
        """The batch's date folder name (``latest`` looks at ``out``)."""
        return batch_date(self.date, self.out)

    def batch_name(self) -> str:
        """``<command>-<digest>``, a short sha256 of the command, inputs, parameters, grid and format."""
        inputs = {role: [e if e is None or not isinstance(e, (str, os.PathLike)) or os.fspath(e) == "none"
                         else os.path.abspath(os.fspath(e)) for e in entries] for role, entries in self.inputs.items()}
        return f"{safe_label(self.command)}-{digest_of([self.command, self.ext, self.params, self.grid, inputs])}"

    def folder(self) -> Path:  # out/<date>/<command>-<digest>: two batches never share pictures
        return Path(self.out) / self.resolve_date() / self.batch_name()


def batch_date(spec: str | _dt.date | None, out: str | os.PathLike = ".", *, check_only: bool = False) -> str:
    """The date folder of a batch, ``YYYY-MM-DD`` (the original's ``str(date.today())``).

    Parameters
    ----------
    spec : str, datetime.date or None
        None or ``today``: today; ``latest``: the newest date folder under
        ``out`` holding a manifest (today if none), to resume yesterday's batch;
        ``YYYY-MM-DD`` or ``YYYY_MM_DD``: that day.
    out : path-like
        The batch's output folder (for ``latest``).
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() == "today"):
        return _dt.date.today().isoformat()
    if isinstance(spec, _dt.date):
        return spec.isoformat()
    if isinstance(spec, str) and spec.strip().lower() == "latest":
        if check_only:
            return ""
        out = Path(out)
        dated = sorted(p.name for p in out.iterdir() if p.is_dir() and _DATE_RE.match(p.name)
                       and (p / MANIFEST).is_file()) if out.is_dir() else []
        return dated[-1] if dated else _dt.date.today().isoformat()
    match = _DATE_RE.match(spec.strip()) if isinstance(spec, str) else None
    try:
        return _dt.date(*(int(g) for g in match.groups())).isoformat()  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        raise InvalidParameterError(
            f"date: expected today, latest, YYYY-MM-DD or YYYY_MM_DD, got {spec!r}") from None


_BATCH_KEYS = ("command", "out", "date", "ext", "jobs", "backend", "scheduler")


def read_experiment_file(path: str | os.PathLike) -> dict[str, Any]:
    """The tables of an experiment file (TOML), as read; see :func:`load_experiment`."""
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"{path}: no such experiment file; expected a .toml file")
    if path.stat().st_size > PARAMS_TEXT_LIMIT:
        raise InvalidParameterError(f"{path}: {path.stat().st_size} bytes; expected an experiment file of at most "
                                    f"{PARAMS_TEXT_LIMIT} bytes")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidParameterError(f"{path}: expected an experiment in TOML, got invalid TOML ({exc})") from None
    return load_text(text, "toml", f"{path}: ", "an experiment in TOML")  # bounded size and nesting


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read an experiment file (TOML); its paths are relative to its folder.

    The format (every table optional but some input)::

        [batch]
        command = "mix"                        # or "dream" (inputs "images", "guides")
        sources = ["../sample/chelsea.jpg", "../sample/*.jpg", "../sample"]
        guides = ["../prisma_gd/swirl.jpg", "none"]
        out = "../out/batch"                   # pictures go to out/<date>/
        date = "today"                         # "latest", "2024-05-01"
        ext = "png"
        jobs = 2
        backend = "loky"                       # or "dask" (+ scheduler = "tcp://host:8786")

        [params]                               # fixed values of the command's fields
        size = 320

        [grid]                                 # lists: the batch is their product
        layer = ["blocks.1", "blocks.2"]
        enhance = ["none", "Sharpness"]

    Raises
    ------
    InvalidParameterError
        Missing file, invalid TOML, unknown table, key or field.
    """
    return experiment_from_dict(read_experiment_file(path), base_dir=Path(path).resolve().parent)


#: the [batch] keys and the TOML types each takes
_BATCH_TYPES = {"command": (str,), "out": (str,), "date": (str, _dt.date), "ext": (str,), "jobs": (int,),
                "backend": (str,), "scheduler": (str,)}


def _check_batch_types(batch: Mapping[str, Any]) -> None:
    for key, types in _BATCH_TYPES.items():
        value = batch.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
            names = " or ".join("a string" if t is str else "a date" if t is _dt.date else "a whole number"
                                for t in types)
            raise InvalidParameterError(f"[batch] {key}: expected {names}, got {value!r:.60}")


def experiment_from_dict(data: Mapping[str, Any], *, base_dir: str | os.PathLike = ".") -> Experiment:
    """An :class:`Experiment` from the tables of an experiment file (paths relative to ``base_dir``)."""
    unknown = sorted(set(data) - {"batch", "params", "grid"})
    if unknown:
        raise InvalidParameterError(
            f"unknown table(s) {', '.join(unknown)} in the experiment; expected batch, params, grid")
    tables = {name: data.get(name, {}) for name in ("batch", "params", "grid")}
    for name, table in tables.items():
        if not isinstance(table, Mapping):
            raise InvalidParameterError(f"[{name}]: expected a table, got {table!r}")
    batch = dict(tables["batch"])
    _check_batch_types(batch)
    kind = job_kind(batch.get("command", "mix"))
    role_keys = {role_key(r): r for r in kind.roles}
    unknown = sorted(set(batch) - set(_BATCH_KEYS) - set(role_keys))
    if unknown:
        raise InvalidParameterError(
            f"unknown key(s) {', '.join(unknown)} in [batch]; expected some of: "
            f"{', '.join((*_BATCH_KEYS, *role_keys))}")
    base = Path(base_dir).resolve()
    inputs = {role: expand_inputs(batch.pop(key), role=role, optional=role in kind.optional_roles, base_dir=base)
              for key, role in role_keys.items() if key in batch}
    params, grid = dict(tables["params"]), dict(tables["grid"])
    for table in (params, grid):
        if isinstance(table.get("weights"), str) and not is_none(table["weights"]):
            table["weights"] = str(base / os.path.expanduser(table["weights"]))
    if "out" in batch:
        batch["out"] = Path(os.path.normpath(base / os.path.expanduser(str(batch["out"]))))
    return Experiment(inputs=inputs, params=params, grid=grid, **batch)
