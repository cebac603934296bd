"""A batch's grid: every input x every grid value as :class:`BatchItem` jobs, validated and uniquely named
before anything is rendered."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping, Sequence

from ..errors import InvalidParameterError
from ..jobs import Job
from ..params import Params
from .experiment import Experiment, role_key
from .inputs import expand_inputs
from .kinds import JobKind, format_value, job_kind

__all__ = ["BatchItem", "expand", "count_pictures", "iter_items", "MAX_PICTURES", "unique_items"]


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


def _build(kind: JobKind, values: dict, files: dict) -> Params:
    try:
        return kind.build(values, files)
    except InvalidParameterError as exc:
        raise InvalidParameterError(f"{exc} (in the combination {_describe(values)})") from None


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _item_name(kind: JobKind, params: Params, values: Mapping[str, Any], files: Mapping[str, str | None],
               varying: Sequence[str], ext: str) -> str:
    ignored, labels = kind.plain(params, files)
    parts = [labels[f] if f in labels else format_value(kind.name_value(f, params, values), f)
             for f in kind.name_fields]
    extras = [f"_{f}-{format_value(values[f], f)}" for f in varying
              if f not in kind.name_fields and f not in ignored]
    folders = [kind.folder(role, files[role]) for role in kind.roles]
    return "/".join(folders) + "/_" + "_".join(parts) + "".join(extras) + "." + ext


#: the most pictures :func:`expand` makes unless told otherwise (``--max-pictures``)
MAX_PICTURES = 1_000_000


def _inputs(kind: JobKind, experiment: Experiment) -> dict[str, tuple[str | None, ...]]:
    inputs = {}
    for role in kind.roles:
        optional = role in kind.optional_roles
        entries = experiment.inputs.get(role, (None,) if optional else ())
        inputs[role] = expand_inputs(entries, role=role, optional=optional)
        if not inputs[role]:
            raise InvalidParameterError(f"no {role_key(role)}: expected at least one {role} picture")
    return inputs


def count_pictures(experiment: Experiment) -> int:
    """How many pictures ``experiment`` makes at most, from its axes alone (nothing is built).

    Repeated plain dreams (no guide) are rendered once, so the batch may hold
    fewer; ``all_mask`` without a layer loops over about ten shallow layers.
    """
    kind = job_kind(experiment.command)
    count = math.prod(len(v) for v in _inputs(kind, experiment).values())
    count *= math.prod(len(v) for v in experiment.grid.values())
    return count * kind.variant_factor(experiment.params, experiment.grid)


def iter_items(experiment: Experiment, inputs: Mapping[str, tuple[str | None, ...]] | None = None
               ) -> Iterator[BatchItem]:
    """The pictures of ``experiment`` one at a time, unchecked (a dry run's first rows)."""
    kind = job_kind(experiment.command)
    inputs = _inputs(kind, experiment) if inputs is None else inputs
    varying = [a for a in _axes(kind, experiment.grid) if len(set(map(repr, experiment.grid[a]))) > 1]
    for files, values in _combinations(kind, experiment, inputs):
        params = _build(kind, values, files)
        job = Job(kind.command, params, kind.job_inputs(params, files, values))
        name = _item_name(kind, params, values, files, varying, experiment.ext)
        labels = {r: kind.folder(r, files[r]) for r in kind.roles}
        chosen = {k: v for k, v in values.items() if k not in experiment.params}
        yield BatchItem(job, name, MappingProxyType({**labels, **chosen}))


def expand(experiment: Experiment, *, max_pictures: int = MAX_PICTURES) -> list[BatchItem]:
    """Every picture of ``experiment``, validated before anything is rendered.

    Every parameter object is built (so a bad value anywhere fails now, with
    the combination it is in), presets, masks, layers and weights are checked,
    and the file names are checked to be unique. A grid of more than
    ``max_pictures`` is refused before anything is built.

    Returns
    -------
    list of BatchItem
        In product order: inputs (roles in order), then the grid axes.

    Raises
    ------
    InvalidParameterError
        No inputs for a required role, a bad value, two pictures with one name, too many pictures.
    ModelError
        A backbone in use has no weights.
    """
    kind = job_kind(experiment.command)
    inputs = _inputs(kind, experiment)
    count = count_pictures(experiment)
    if count > max_pictures:
        raise InvalidParameterError(f"{count:,} pictures: more than {max_pictures:,}; expected a smaller grid "
                                    f"(or --max-pictures {count})")
    items = list(iter_items(experiment, inputs))
    kind.validate([item.job.params for item in items])
    return unique_items(items, kind)


def unique_items(items: list[BatchItem], kind: JobKind) -> list[BatchItem]:
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
