"""Batches: parameter grids, naming, resume, parallel backends, contact sheets.

A batch is a list of :class:`BatchItem` — a :class:`~prisma_abu.jobs.Job` and
the path of its picture inside the batch folder. :func:`expand` makes the items
of an :class:`Experiment` (every input × every grid value); :func:`run_batch`
renders the ones not yet on disk, on one machine (joblib/loky) or on a Dask
cluster, and writes the pictures, ``manifest.jsonl``, ``contact_sheet.png``
and ``index.html``. This module is the only writer of batch outputs; it never
prints (progress goes through a callback).

Layout (the original's, under ``OUT/<date>``)::

    <source stem>/<guide stem | none_gd>/_<enhance>_<layer>_<rb_rate>_<mask>[_<field>-<value>...].png
    manifest.jsonl  contact_sheet.png  index.html

``<enhance>`` is empty for no preset and a layer's ``/`` becomes ``_`` (as in
the original); grid fields other than those four are appended as
``_<field>-<value>`` when they take more than one value. Pictures without a
guide are plain dreams (``iter_n = int(10 / rb_rate)``): their mask part is
``mask`` (as in the original) and mask/blend fields are left out of their
names, so the plain dream of one source is rendered once, not once per mask.

Resume: a picture already on disk that carries the same job in its metadata is
skipped (status ``skipped``); one made with other parameters is a failure
(redo it with ``force=True``); every write is atomic, so a batch killed at any
moment leaves complete pictures only, and a rerun finishes the rest with one
manifest row per picture.

Examples
--------
>>> exp = Experiment(inputs={"source": ["sample/chelsea.jpg"], "guide": ["prisma_gd/swirl.jpg", None]},
...                  out="out/batch", grid={"rb_rate": [1.0, 0.88]}, params={"layer": None})
>>> [item.output for item in expand(exp)]  # doctest: +SKIP
['chelsea/swirl/__none_1.0_otsu.png', 'chelsea/swirl/__none_0.88_otsu.png',
 'chelsea/none_gd/__none_1.0_otsu.png', 'chelsea/none_gd/__none_0.88_otsu.png']
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import glob
import html
import itertools
import json
import os
import re
import tempfile
import time
import tomllib
import typing
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import quote

import numpy as np

from .errors import InvalidImageError, InvalidParameterError, ModelError, PrismaAbuError
from .io import WRITABLE_SUFFIXES, read_image, read_metadata, write_image
from .jobs import Job, job_metadata, render
from .params import DreamParams, MixParams, _Params, params_from_dict

__all__ = [
    "BACKENDS",
    "MANIFEST",
    "BatchItem",
    "BatchReport",
    "Experiment",
    "ItemResult",
    "JobKind",
    "batch_date",
    "demo_batch",
    "expand",
    "expand_inputs",
    "experiment_from_dict",
    "format_value",
    "job_kind",
    "load_experiment",
    "read_experiment_file",
    "read_manifest",
    "register_kind",
    "run_batch",
    "run_experiment",
    "write_contact_sheet",
    "write_index",
]

#: the manifest's file name inside a batch folder
MANIFEST = "manifest.jsonl"
BACKENDS = ("loky", "dask")
STATUSES = ("done", "skipped", "failed")
#: ``progress(rendered, to_render, result)``: once with ``(0, n, None)``, then after each picture
Progress = Callable[[int, int, "ItemResult | None"], None]

_DATE_RE = re.compile(r"^(\d{4})[-_](\d{2})[-_](\d{2})$")
_UNSAFE = re.compile(r'[/\\<>:"|?*\x00-\x1f]')
_GLOB_CHARS = re.compile(r"[*?\[]")
_LOCK = ".batch.lock"
#: how long to wait for a Dask scheduler given by address
DASK_CONNECT_TIMEOUT = "10s"


# --- job kinds: input roles and naming per command -----------------------------------------------

class JobKind:
    """How a command's jobs make a batch: its input roles, parameters and file names.

    Subclass and :func:`register_kind` to batch other commands (style
    transfer: roles ``("content", "style")``).

    Attributes
    ----------
    command : str
        The :class:`~prisma_abu.jobs.Job` command.
    params_cls : type
        Its parameter class.
    roles : tuple of str
        Input roles, one folder level each, in order.
    optional_roles : frozenset of str
        Roles that may be ``None`` (written ``none`` in lists; folder
        ``none_folders[role]``, e.g. ``none_gd``, or ``none_<role>``).
    name_fields : tuple of str
        Always in the file name, in order (``_<v1>_<v2>...``).
    product_order : tuple of str
        Grid axes that come first in the product, in this order (the others follow as given).
    """

    command: str = ""
    params_cls: type[_Params] = _Params
    roles: tuple[str, ...] = ()
    optional_roles: frozenset[str] = frozenset()
    name_fields: tuple[str, ...] = ()
    product_order: tuple[str, ...] = ()
    none_folders: Mapping[str, str] = MappingProxyType({})

    def fields(self) -> tuple[str, ...]:
        """Every name a grid or ``params`` may use."""
        return self.params_cls.field_names()

    def variants(self, values: dict[str, Any], grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
        """Expand one combination further (``mix``: ``all_mask`` over the shallow layers)."""
        return [values]

    def build(self, values: Mapping[str, Any], inputs: Mapping[str, str | None]) -> _Params:
        """The parameter object of one combination (validated)."""
        return self.params_cls.from_dict(values)

    def name_value(self, name: str, params: _Params, values: Mapping[str, Any]) -> Any:
        return getattr(params, name) if hasattr(params, name) else values.get(name)

    def plain(self, params: _Params, inputs: Mapping[str, str | None]) -> tuple[frozenset[str], dict[str, str]]:
        """Fields that do not change this picture, and name labels that replace values."""
        return frozenset(), {}

    def validate(self, params: Sequence[_Params]) -> None:
        """Check values the parameter class cannot check alone (presets, layers, weights)."""

    def folder(self, role: str, path: str | None) -> str:
        if path is None:
            return self.none_folders.get(role, f"none_{role}")
        return _safe(Path(path).stem)


#: mask/blend fields a plain dream (no guide) does not use
_PLAIN_DREAM_IGNORES = frozenset({
    "mask", "dd", "cb", "std_factor", "loop_factor", "n1", "n2", "n3", "convd_median_factor",
    "convd_big_factor", "all_mask", "all_mask_rb_rate", "spots_keep", "spots_drop", "iter_n"})


class MixKind(JobKind):
    """``mix``: sources × guides (or none: a plain dream), the original's names."""

    command = "mix"
    params_cls = MixParams
    roles = ("source", "guide")
    optional_roles = frozenset({"guide"})
    name_fields = ("enhance", "layer", "rb_rate", "mask")
    product_order = ("layer", "enhance", "rb_rate", "mask")  # the original's product(org, gd, nbk, enhance, rb_rate)
    none_folders = MappingProxyType({"guide": "none_gd"})

    def variants(self, values, grid):
        if not values.get("all_mask") or "layer" in values:
            return [values]
        layers = _shallow_layers(values.get("backbone", "efficientnet_lite0"), values.get("weights"))
        return [{**values, "layer": layer} for layer in layers]

    def plain(self, params, inputs):
        if inputs.get("guide") is None and params.layer is not None:
            return _PLAIN_DREAM_IGNORES, {"mask": "mask"}
        return frozenset(), {}

    def validate(self, params):
        from .ops.masks import parse_mask_spec
        from .pipeline import check_enhance

        for enhance in sorted({p.enhance for p in params}, key=str):
            check_enhance(enhance)
        for mask in sorted({p.mask for p in params}):
            parse_mask_spec(mask)
        _check_layers({(p.backbone, p.weights, p.layer) for p in params if p.layer not in (None, "auto")})
        _check_weights({(p.backbone, p.weights) for p in params if p.layer is not None})


class DreamKind(JobKind):
    """``dream``: images × guides; a guide makes the objective ``guide`` unless it is set."""

    command = "dream"
    params_cls = DreamParams
    roles = ("image", "guide")
    optional_roles = frozenset({"guide"})
    name_fields = ("layer",)
    product_order = ("layer",)
    none_folders = MappingProxyType({"guide": "none_gd"})

    def fields(self):
        return ("layer",) + super().fields()

    def build(self, values, inputs):
        values = dict(values)
        if "layer" in values:
            layer = values.pop("layer")
            values["layers"] = () if layer in (None, "none", "None") else (layer,)
        if inputs.get("guide") is not None:
            values.setdefault("objective", "guide")
        return DreamParams.from_dict(values)

    def name_value(self, name, params, values):
        if name == "layer":
            return params.layers[0] if len(params.layers) == 1 else "+".join(params.layers) or "default"
        return super().name_value(name, params, values)

    def validate(self, params):
        _check_layers({(p.backbone, p.weights, layer) for p in params for layer in p.layers})
        _check_weights({(p.backbone, p.weights) for p in params})


class StyleKind(JobKind):
    """``style``: contents × styles (the original TensorPrisma's parallel product)."""

    command = "style"
    roles = ("content", "style0")
    name_fields = ("content_weight", "style_weight")
    product_order = ("content_weight", "style_weight")

    @property
    def params_cls(self):  # type: ignore[override]
        from .params import StyleParams

        return StyleParams

    def folder(self, role: str, path: str | None) -> str:
        return super().folder(role, path)


_KINDS: dict[str, JobKind] = {"mix": MixKind(), "dream": DreamKind(), "style": StyleKind()}


def register_kind(kind: JobKind) -> JobKind:
    """Make ``kind.command`` batchable (its renderer must be registered in :mod:`prisma_abu.jobs`)."""
    _KINDS[kind.command] = kind
    return kind


def job_kind(command: str) -> JobKind:
    """The :class:`JobKind` of ``command``."""
    kind = _KINDS.get(command)
    if kind is None:
        raise InvalidParameterError(
            f"command: expected one of {', '.join(sorted(_KINDS))} for a batch, got {command!r}")
    return kind


def _shallow_layers(backbone: str, weights: str | None) -> tuple[str, ...]:
    from .neural.backbones import load_backbone

    return load_backbone(backbone, weights=weights).shallow_layers


def _check_layers(wanted: set[tuple[str, str | None, str]]) -> None:
    from .neural.backbones import layer_names, load_backbone

    for backbone, weights, layer in sorted(wanted, key=str):
        if layer not in layer_names(backbone):
            load_backbone(backbone, weights=weights).resolve_layer(layer)


def _check_weights(wanted: set[tuple[str, str | None]]) -> None:
    from .neural.backbones import backbone_status, layer_names

    for backbone, weights in sorted(wanted, key=str):
        layer_names(backbone)  # an unknown backbone lists the valid ones
        if weights is not None:
            if not Path(weights).expanduser().is_file():
                raise InvalidParameterError(f"weights: {weights}: no such file; expected a weights file")
        elif not backbone_status(backbone)["weights_present"]:
            raise ModelError(f"{backbone}: no weights at hand ({backbone_status(backbone)['source']})")


# --- values in file names ----------------------------------------------------------------------

def _safe(text: str) -> str:
    """A file-name-safe label: ``/`` and other unsafe characters become ``_``, blanks go."""
    return _UNSAFE.sub("_", re.sub(r"\s+", "", text))


def format_value(value: Any, field_name: str | None = None) -> str:
    """A value as it appears in a file name.

    ``None`` is ``none`` (the empty string for ``enhance``, as in the
    original), floats keep their ``repr`` (``1.0``, ``0.88``), a layer's ``/``
    becomes ``_`` and blanks are dropped (``otsu_func + stdmean_func`` ->
    ``otsu_func+stdmean_func``).

    >>> format_value("conv2/3x3_reduce"), format_value(None, "enhance"), format_value(1.0)
    ('conv2_3x3_reduce', '', '1.0')
    """
    if value is None:
        return "" if field_name == "enhance" else "none"
    if isinstance(value, (tuple, list)):
        return "-".join(format_value(v) for v in value) or "empty"
    return _safe(repr(value) if isinstance(value, float) else str(value))


# --- inputs --------------------------------------------------------------------------------------

def _is_none(entry: Any) -> bool:
    return entry is None or (isinstance(entry, str) and entry.strip().lower() == "none")


def _pictures_in(folder: Path) -> list[Path]:
    from .data import IMAGE_SUFFIXES

    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _expand_entry(entry: str | os.PathLike, role: str, base_dir: Path | None) -> list[Path]:
    text = os.path.expanduser(os.fspath(entry))
    if base_dir is not None and not os.path.isabs(text):
        text = os.path.join(base_dir, text)
    if _GLOB_CHARS.search(text):
        found = sorted(Path(p) for p in glob.glob(text, recursive=True) if os.path.isfile(p))
        if not found:
            raise InvalidParameterError(f"{role}: no file matches {entry!r}; expected a glob that finds pictures")
        return found
    path = Path(text)
    if path.is_dir():
        found = _pictures_in(path)
        if not found:
            raise InvalidParameterError(f"{role}: {entry} holds no pictures; expected .jpg, .png, ... files")
        return found
    if not path.is_file():
        raise InvalidParameterError(f"{role}: {entry}: no such file; expected a picture, a folder or a glob")
    return [path]


def expand_inputs(entries: Sequence[Any], *, role: str, optional: bool = False,
                  base_dir: str | os.PathLike | None = None) -> tuple[str | None, ...]:
    """Files, folders and globs -> absolute picture paths (``none`` -> None where allowed).

    Parameters
    ----------
    entries : sequence
        Paths, folders (their pictures, by name), globs (``**`` recurses) or
        ``None`` / ``"none"``.
    role : str
        For messages (``source``, ``guide``...).
    optional : bool
        Whether ``None`` is allowed.
    base_dir : path-like, optional
        Relative entries are relative to it (default: the current folder).

    Returns
    -------
    tuple of str or None
        In order, each file once.
    """
    if isinstance(entries, (str, os.PathLike)) or entries is None:
        entries = [entries]
    found: list[str | None] = []
    base = None if base_dir is None else Path(base_dir)
    for entry in entries:
        if _is_none(entry):
            if not optional:
                raise InvalidParameterError(f"{role}: expected a picture, got {entry!r} (only guides may be none)")
            paths: list[Any] = [None]
        elif isinstance(entry, (str, os.PathLike)):
            paths = [str(p.resolve()) for p in _expand_entry(entry, role, base)]
        else:
            raise InvalidParameterError(f"{role}: expected a path, a folder or a glob, got {entry!r}")
        found.extend(p for p in paths if p not in found)
    return tuple(found)


# --- experiments ---------------------------------------------------------------------------------

def _plural(role: str) -> str:
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
        Pictures go to ``out/<date>/``.
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
        _check_run_options(self.jobs, self.backend)
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

    def folder(self) -> Path:
        """``out/<date>``."""
        return Path(self.out) / self.resolve_date()


def _check_run_options(jobs: int | None, backend: str) -> None:
    if backend not in BACKENDS:
        raise InvalidParameterError(f"backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise InvalidParameterError(f"jobs: expected a whole number >= 1, got {jobs!r}")


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
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidParameterError(f"{path}: expected an experiment in TOML, got invalid TOML ({exc})") from None


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
        base_width = 320

        [grid]                                 # lists: the batch is their product
        layer = ["blocks.1", "blocks.2"]
        enhance = ["none", "Sharpness"]

    Raises
    ------
    InvalidParameterError
        Missing file, invalid TOML, unknown table, key or field.
    """
    return experiment_from_dict(read_experiment_file(path), base_dir=Path(path).resolve().parent)


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
    kind = job_kind(batch.get("command", "mix"))
    role_keys = {_plural(r): r for r in kind.roles}
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
        if isinstance(table.get("weights"), str) and not _is_none(table["weights"]):
            table["weights"] = str(base / os.path.expanduser(table["weights"]))
    if "out" in batch:
        batch["out"] = Path(os.path.normpath(base / os.path.expanduser(str(batch["out"]))))
    return Experiment(inputs=inputs, params=params, grid=grid, **batch)


# --- grid expansion -----------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchItem:
    """One picture of a batch: its job and its path inside the batch folder.

    Attributes
    ----------
    job : Job
    output : str
        ``/``-separated path relative to the batch folder.
    values : mapping
        The input labels and grid values that make this picture (for labels).
    """

    job: Job
    output: str
    values: Mapping[str, Any] = field(default_factory=dict)


def _axes(kind: JobKind, grid: Mapping[str, Sequence[Any]]) -> list[str]:
    """Grid axes in product order: the kind's (the original's order), then the rest as given."""
    return [f for f in kind.product_order if f in grid] + [f for f in grid if f not in kind.product_order]


def _combinations(kind: JobKind, experiment: Experiment,
                  inputs: Mapping[str, tuple[str | None, ...]]) -> Iterator[tuple[dict, dict]]:
    axes = _axes(kind, experiment.grid)
    lists = [inputs[r] for r in kind.roles] + [experiment.grid[a] for a in axes]
    for combo in itertools.product(*lists):
        files = dict(zip(kind.roles, combo[:len(kind.roles)]))
        values = {**experiment.params, **dict(zip(axes, combo[len(kind.roles):]))}
        for variant in kind.variants(values, experiment.grid):
            yield files, variant


def _build(kind: JobKind, values: dict, files: dict) -> _Params:
    try:
        return kind.build(values, files)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{exc} (in the combination {_describe(values)})") from None


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _item_name(kind: JobKind, params: _Params, values: Mapping[str, Any], files: Mapping[str, str | None],
               varying: Sequence[str], ext: str) -> str:
    ignored, labels = kind.plain(params, files)
    parts = [labels[f] if f in labels else format_value(kind.name_value(f, params, values), f)
             for f in kind.name_fields]
    extras = [f"_{f}-{format_value(values[f], f)}" for f in varying
              if f not in kind.name_fields and f not in ignored]
    folders = [kind.folder(role, files[role]) for role in kind.roles]
    return "/".join(folders) + "/_" + "_".join(parts) + "".join(extras) + "." + ext


def expand(experiment: Experiment) -> list[BatchItem]:
    """Every picture of ``experiment``, validated before anything is rendered.

    Every parameter object is built (so a bad value anywhere fails now, with
    the combination it is in), presets, masks, layers and weights are checked,
    and the file names are checked to be unique.

    Returns
    -------
    list of BatchItem
        In product order: inputs (roles in order), then the grid axes.

    Raises
    ------
    InvalidParameterError
        No inputs for a required role, a bad value, two pictures with one name.
    ModelError
        A backbone in use has no weights.
    """
    kind = job_kind(experiment.command)
    inputs = {}
    for role in kind.roles:
        optional = role in kind.optional_roles
        entries = experiment.inputs.get(role, (None,) if optional else ())
        inputs[role] = expand_inputs(entries, role=role, optional=optional)
        if not inputs[role]:
            raise InvalidParameterError(f"no {_plural(role)}: expected at least one {role} picture")
    varying = [a for a in _axes(kind, experiment.grid) if len(set(map(repr, experiment.grid[a]))) > 1]
    items: list[BatchItem] = []
    for files, values in _combinations(kind, experiment, inputs):
        params = _build(kind, values, files)
        job = Job(kind.command, params, files)
        name = _item_name(kind, params, values, files, varying, experiment.ext)
        labels = {r: kind.folder(r, files[r]) for r in kind.roles}
        chosen = {k: v for k, v in values.items() if k not in experiment.params}
        items.append(BatchItem(job, name, MappingProxyType({**labels, **chosen})))
    kind.validate([item.job.params for item in items])
    return _unique(items, kind)


def _unique(items: list[BatchItem], kind: JobKind) -> list[BatchItem]:
    """Drop repeated plain dreams; fail on any other two pictures sharing a file name."""
    seen: dict[str, BatchItem] = {}
    kept = []
    for item in items:
        key = item.output.casefold()
        first = seen.get(key)
        if first is None:
            seen[key] = item
            kept.append(item)
        elif not (kind.plain(item.job.params, item.job.inputs)[0] and first.job.inputs == item.job.inputs):
            raise InvalidParameterError(
                f"two pictures would be written to {first.output}: {_describe(first.values)} and "
                f"{_describe(item.values)}; expected unique names (inputs with one stem in two folders?)")
    return kept


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


def _write_text(path: Path, text: str) -> Path:
    """Write a text file atomically (temporary file in the same folder, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _dumps(row: Mapping[str, Any]) -> str:
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


# --- resume ----------------------------------------------------------------------------------------

def _same_job(meta: Mapping[str, Any], job: Job) -> bool:
    try:
        inputs = {role: None if e is None else e["path"] for role, e in meta["inputs"].items()}
        return (meta["command"] == job.command and params_from_dict(meta["params"]) == job.params
                and inputs == {r: None if p is None else str(Path(p).resolve()) for r, p in job.inputs.items()})
    except (PrismaAbuError, KeyError, TypeError, AttributeError):
        return False


def _existing(path: Path, item: BatchItem) -> str | None:
    """None if ``path`` holds ``item``'s picture already, else why it cannot be skipped."""
    try:
        meta = read_metadata(path)
    except InvalidImageError as exc:
        return (f"{item.output} exists but is not a picture of this batch ({exc}); "
                f"expected to redo it with force (--force) or another date")
    if not _same_job(meta, item.job):
        return (f"{item.output} already holds a picture made with other parameters or inputs; "
                f"expected to redo it with force (--force) or another date")
    return None


def _plan(items: Sequence[BatchItem], folder: Path, force: bool) -> tuple[list[int], dict[int, ItemResult]]:
    """Indices to render, and the results of the ones settled without rendering."""
    todo, settled = [], {}
    for index, item in enumerate(items):
        path = folder / item.output
        if force or not (path.exists() or path.is_symlink()):
            todo.append(index)
            continue
        problem = _existing(path, item)
        settled[index] = ItemResult(item, "skipped" if problem is None else "failed", 0.0, problem)
    return todo, settled


def _start_manifest(folder: Path, items: Sequence[BatchItem], todo: Sequence[int],
                    settled: Mapping[int, ItemResult], date: str | None) -> None:
    """Rewrite the manifest: one row per picture, none yet for those about to be rendered."""
    previous = {row["output"]: row for row in read_manifest(folder)}
    redo = {items[i].output for i in todo}
    rows = {out: row for out, row in previous.items() if out not in redo}
    for result in settled.values():
        old = rows.get(result.item.output)
        if result.status == "failed" or old is None or old.get("status") not in ("done", "skipped"):
            rows[result.item.output] = result.row(date)
    _write_text(folder / MANIFEST, "".join(_dumps(row) + "\n" for row in rows.values()))


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One batch per folder at a time (released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(folder / _LOCK, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InvalidParameterError(
                f"{folder}: another batch is writing there; expected one batch per folder at a time") from None
        yield


def _remove_leftovers(folder: Path, items: Sequence[BatchItem]) -> None:
    """Temporary files a killed batch left (``.NAME.XXXX.part``); complete files are never touched."""
    for directory in {folder, *((folder / item.output).parent for item in items)}:
        if directory.is_dir():
            for tmp in directory.glob(".*.part"):
                tmp.unlink(missing_ok=True)


# --- rendering: in-process, loky, dask ----------------------------------------------------------------

def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _uses_network(job: Job) -> bool:
    return job.command != "mix" or getattr(job.params, "layer", None) is not None


def _threads_here(threads: int | Mapping[str, int] | None) -> int | None:
    """torch threads for this task: a number, or ``cores // threads sharing this host`` on Dask."""
    if threads is None or isinstance(threads, int):
        return threads
    from distributed import get_worker

    sharing = threads.get(get_worker().address)
    return None if not sharing else max(1, _cores() // sharing)


def _render_task(index: int, job: Job, threads: int | Mapping[str, int] | None):
    """Runs in a worker: render one job; never raises for a bad input (a failure result instead)."""
    start = time.perf_counter()
    try:
        wanted = _threads_here(threads) if _uses_network(job) else None
        if wanted is not None:
            import torch

            if torch.get_num_threads() != wanted:
                torch.set_num_threads(wanted)
        image = np.ascontiguousarray(render(job), dtype=np.uint8)
        return index, "done", time.perf_counter() - start, image, None
    except Exception as exc:  # one bad input never stops the batch
        return index, "failed", time.perf_counter() - start, None, f"{type(exc).__name__}: {exc}"


def _parallel(n_jobs: int):
    from joblib import Parallel

    return Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size="auto",
                    pre_dispatch="2*n_jobs")


def _execute(tasks: Sequence[tuple[int, Job]], jobs: int | None, backend: str,
             scheduler: Any) -> Iterator[tuple]:
    """(index, status, seconds, image, error) per task, as they finish."""
    if not tasks:
        return
    if backend == "dask":
        yield from _execute_dask(tasks, jobs, scheduler)
        return
    n = min(jobs or 1, len(tasks))
    if n == 1:
        for index, job in tasks:
            yield _render_task(index, job, None)
        return
    from joblib import delayed, parallel_config

    threads = max(1, _cores() // n)
    with parallel_config(backend="loky", inner_max_num_threads=threads):
        yield from _parallel(n)(delayed(_render_task)(i, job, threads) for i, job in tasks)


@contextlib.contextmanager
def _dask_client(scheduler: Any, jobs: int | None) -> Iterator[Any]:
    """A ``distributed.Client``: the one given, one on ``tcp://...``, or a local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InvalidParameterError("backend dask: expected dask[distributed] installed "
                                    "(pip install 'prisma_abu[dask]')") from None
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=jobs or 1, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise InvalidParameterError(
            f"scheduler: cannot reach {scheduler or 'a local Dask cluster'} ({exc}); "
            f"expected a running `dask scheduler` at tcp://HOST:PORT") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_threads(client: Any) -> dict[str, int]:
    """Worker address -> threads of all workers on its host (so threads x workers <= cores)."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    per_host = Counter()
    for info in workers.values():
        per_host[info.get("host")] += info.get("nthreads", 1)
    return {address: per_host[info.get("host")] for address, info in workers.items()}


def _execute_dask(tasks: Sequence[tuple[int, Job]], jobs: int | None, scheduler: Any) -> Iterator[tuple]:
    from joblib import delayed, parallel_config

    with _dask_client(scheduler, jobs) as client:
        threads = _dask_threads(client)
        with parallel_config(backend="dask", client=client):
            yield from _parallel(jobs or -1)(delayed(_render_task)(i, job, threads) for i, job in tasks)


# --- running a batch ---------------------------------------------------------------------------------

def _write(folder: Path, item: BatchItem, image: np.ndarray) -> str | None:
    try:
        write_image(folder / item.output, image, metadata=job_metadata(item.job))
    except (OSError, PrismaAbuError) as exc:
        return f"could not write {item.output}: {type(exc).__name__}: {exc}"
    return None


def run_batch(items: Sequence[BatchItem], folder: str | os.PathLike, *, jobs: int | None = None,
              backend: str = "loky", scheduler: Any = None, force: bool = False,
              progress: Progress | None = None, date: str | None = None,
              contact_sheet: bool = True) -> BatchReport:
    """Render ``items`` into ``folder``: skip what is there, record everything, draw the sheets.

    Parameters
    ----------
    items : sequence of BatchItem
        From :func:`expand` (or built by hand; their outputs must be unique).
    folder : path-like
        The batch folder (``OUT/<date>``); created if missing.
    jobs : int, optional
        loky: worker processes (default 1: render in this process). Each
        worker keeps its networks loaded and runs ``cores // jobs`` torch
        threads. dask: tasks at once (default: every thread of the cluster).
    backend : {'loky', 'dask'}
    scheduler : str or distributed.Client, optional
        dask: ``tcp://HOST:PORT`` or a client; default a local cluster of
        ``jobs`` processes on 127.0.0.1. Workers read the inputs by path; the
        pictures come back to this process, which writes them.
    force : bool
        Render and overwrite every picture, even those already there.
    progress : callable, optional
        ``progress(rendered, to_render, result)``: ``(0, n, None)`` first, then
        after each rendered picture.
    date : str, optional
        Recorded in the manifest rows.
    contact_sheet : bool
        Write ``contact_sheet.png`` and ``index.html`` at the end.

    Returns
    -------
    BatchReport
    """
    _check_run_options(jobs, backend)
    folder = Path(folder)
    _unique(list(items), JobKind())
    start = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        _remove_leftovers(folder, items)
        todo, results = _plan(items, folder, force)
        _start_manifest(folder, items, todo, results, date)
        if progress is not None:
            progress(0, len(todo), None)
        with open(folder / MANIFEST, "a", encoding="utf-8") as manifest:
            tasks = [(i, items[i].job) for i in todo]
            for count, (index, status, seconds, image, error) in enumerate(
                    _execute(tasks, jobs, backend, scheduler), 1):
                if image is not None:
                    error = _write(folder, items[index], image)
                    status = "done" if error is None else "failed"
                results[index] = ItemResult(items[index], status, seconds, error)
                manifest.write(_dumps(results[index].row(date)) + "\n")
                manifest.flush()
                if progress is not None:
                    progress(count, len(todo), results[index])
        sheets, index_page = ((), None)
        if contact_sheet:
            sheets, index_page = tuple(write_contact_sheet(folder)), write_index(folder)
    ordered = tuple(results[i] for i in range(len(items)))
    return BatchReport(folder, ordered, time.perf_counter() - start, sheets, index_page)


def run_experiment(experiment: Experiment, *, force: bool = False,
                   progress: Progress | None = None) -> BatchReport:
    """:func:`expand` then :func:`run_batch` into ``experiment.folder()``."""
    items = expand(experiment)
    date = experiment.resolve_date()
    return run_batch(items, Path(experiment.out) / date, jobs=experiment.jobs, backend=experiment.backend,
                     scheduler=experiment.scheduler, force=force, progress=progress, date=date)


# --- contact sheet and gallery ------------------------------------------------------------------------

_THUMB, _LABEL, _PAD, _HEADER = 160, 30, 6, 26


def _sheet_rows(folder: Path) -> list[dict[str, Any]]:
    rows = {row["output"]: row for row in read_manifest(folder)}
    return [rows[k] for k in sorted(rows, key=lambda out: out.split("/"))]


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    """``text`` cut (with ``...``) to ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def _thumbnail(folder: Path, row: Mapping[str, Any]):
    from PIL import Image, ImageOps

    if row.get("status") == "failed":
        return None
    try:
        pixels = read_image(folder / row["output"])
    except InvalidImageError:
        return None
    picture = Image.fromarray(np.uint8(np.clip(pixels, 0, 255)), "RGB")
    return ImageOps.contain(picture, (_THUMB, _THUMB))


def _labels(row: Mapping[str, Any]) -> tuple[str, str]:
    folder, _, name = row["output"].rpartition("/")
    return folder, name.rsplit(".", 1)[0]


def _draw_page(folder: Path, rows: Sequence[Mapping[str, Any]], title: str, columns: int):
    from PIL import Image, ImageDraw

    cell_w, cell_h = _THUMB + 2 * _PAD, _THUMB + _LABEL + 2 * _PAD
    n_rows = -(-len(rows) // columns)
    sheet = Image.new("RGB", (max(columns * cell_w, 320), _HEADER + n_rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    font, small = _font(14), _font(10)
    draw.text((_PAD, 5), _fit(draw, title, font, sheet.width - 2 * _PAD), fill="black", font=font)
    for k, row in enumerate(rows):
        x, y = (k % columns) * cell_w + _PAD, _HEADER + (k // columns) * cell_h + _PAD
        thumb = _thumbnail(folder, row)
        if thumb is None:
            draw.rectangle((x, y, x + _THUMB - 1, y + _THUMB - 1), fill=(235, 225, 225), outline=(180, 40, 40))
            draw.text((x + 8, y + _THUMB // 2 - 8), "failed", fill=(180, 40, 40), font=font)
        else:
            sheet.paste(thumb, (x + (_THUMB - thumb.width) // 2, y + (_THUMB - thumb.height) // 2))
        first, second = _labels(row)
        colour = (180, 40, 40) if row.get("status") == "failed" else (20, 20, 20)
        draw.text((x, y + _THUMB + 3), _fit(draw, first, small, _THUMB), fill=(90, 90, 90), font=small)
        draw.text((x, y + _THUMB + 16), _fit(draw, second, small, _THUMB), fill=colour, font=small)
    return sheet


def _counts(rows: Sequence[Mapping[str, Any]]) -> str:
    counts = Counter(row.get("status") for row in rows)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def _columns(rows: Sequence[Mapping[str, Any]]) -> int:
    """One row per source/guide when they all hold the same number of pictures (up to 12), else 8."""
    sizes = set(Counter(_labels(row)[0] for row in rows).values())
    return sizes.pop() if len(sizes) == 1 and max(sizes) <= 12 else 8


def write_contact_sheet(folder: str | os.PathLike, *, columns: int | None = None,
                        per_page: int = 160) -> list[Path]:
    """Labelled thumbnails of every picture in the batch's manifest (failures as red cells).

    Writes ``contact_sheet.png`` (then ``contact_sheet_2.png``... past
    ``per_page`` pictures), sorted by path: one source/guide after the other,
    one per row when they all hold the same number of pictures (``columns``
    default), else 8 to a row.

    Returns
    -------
    list of Path
        The sheets written (none for an empty manifest).
    """
    folder = Path(folder)
    rows = _sheet_rows(folder)
    columns = columns or (_columns(rows) if rows else 8)
    per_page = max(columns, per_page - per_page % columns)
    pages = [rows[i:i + per_page] for i in range(0, len(rows), per_page)]
    written = []
    for number, page in enumerate(pages, 1):
        name = "contact_sheet.png" if number == 1 else f"contact_sheet_{number}.png"
        title = f"prisma_abu batch {folder.name}: {len(rows)} pictures ({_counts(rows)})"
        if len(pages) > 1:
            title += f", page {number}/{len(pages)}"
        sheet = _draw_page(folder, page, title, min(columns, len(page)))
        written.append(write_image(folder / name, np.asarray(sheet),
                                   metadata={"contact_sheet": [row["output"] for row in page]}))
    return written


def _figure(row: Mapping[str, Any]) -> str:
    first, second = _labels(row)
    href = html.escape(quote(row["output"]))
    values = row.get("values") or {}
    tip = html.escape(", ".join(f"{k}={v}" for k, v in values.items()), quote=True)
    if row.get("status") == "failed":
        error = html.escape(str(row.get("error") or ""))
        return (f'<figure class="failed" title="{tip}"><div class="box">failed</div>'
                f"<figcaption>{html.escape(second)}<br><small>{error}</small></figcaption></figure>")
    return (f'<figure title="{tip}"><a href="{href}"><img src="{href}" alt="{html.escape(first)}/'
            f'{html.escape(second)}" loading="lazy"></a><figcaption>{html.escape(second)}</figcaption></figure>')


_STYLE = ("body{font:14px sans-serif;margin:1em;background:#fafafa}h2{font-size:15px;margin:1em 0 .3em}"
          "figure{display:inline-block;vertical-align:top;margin:4px;width:170px}"
          "img{max-width:170px;max-height:170px;display:block}"
          "figcaption{font-size:11px;word-break:break-all}.failed{color:#b22}"
          ".box{width:160px;height:120px;background:#ecdcdc;display:flex;align-items:center;"
          "justify-content:center}")


def write_index(folder: str | os.PathLike) -> Path:
    """``index.html``: every picture of the manifest, grouped by source/guide, offline (relative links)."""
    folder = Path(folder)
    rows = _sheet_rows(folder)
    sheets = sorted(folder.glob("contact_sheet*.png"))
    links = " &middot; ".join([f'<a href="{quote(p.name)}">{html.escape(p.name)}</a>' for p in sheets]
                              + [f'<a href="{MANIFEST}">{MANIFEST}</a>'])
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>prisma_abu batch {html.escape(folder.name)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>prisma_abu batch {html.escape(folder.name)}</h1>",
             f"<p>{len(rows)} pictures ({_counts(rows)}) &middot; {links}</p>"]
    for group, members in itertools.groupby(rows, key=lambda r: _labels(r)[0]):
        parts.append(f"<h2>{html.escape(group.replace('/', ' / '))}</h2>")
        parts.extend(_figure(row) for row in members)
    parts.append("</body></html>\n")
    return _write_text(folder / "index.html", "\n".join(parts))


# --- demo ---------------------------------------------------------------------------------------------

def demo_batch(out_dir: str | os.PathLike, *, jobs: int = 2, progress: Progress | None = None) -> list[Path]:
    """A small real batch for ``make demo``: chelsea × 3 guides × 2 layers × 2 presets at 320 px.

    Writes into ``out_dir`` directly (no date level) with its manifest,
    ``contact_sheet.png`` and ``index.html``; a second call skips what is there.

    Returns
    -------
    list of Path
        The 12 pictures, then the contact sheet(s) and ``index.html``.

    Raises
    ------
    PrismaAbuError
        If any picture failed (the first reasons are in the message).
    """
    from .data import guide_path, sample_path

    experiment = Experiment(
        inputs={"source": [str(sample_path("chelsea"))],
                "guide": [str(guide_path(name)) for name in ("swirl", "strokes", "stained_glass")]},
        out=out_dir, jobs=jobs,
        params={"base_width": 320, "mask": "otsu", "n2": 38, "n3": 1, "convd_median_factor": 0.6,
                "convd_big_factor": 0.0},
        grid={"layer": ["blocks.1", "blocks.2"], "enhance": [None, "Sharpness"]})
    report = run_batch(expand(experiment), out_dir, jobs=jobs, progress=progress)
    if report.failed:
        reasons = "; ".join(f"{r.item.output}: {r.error}" for r in report.failed[:3])
        raise PrismaAbuError(f"demo batch: {len(report.failed)} pictures failed ({reasons})")
    return [*report.paths(), *report.sheets, *([report.index] if report.index else [])]
