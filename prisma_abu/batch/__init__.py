"""Batches: parameter grids, naming, resume, parallel backends, contact sheets.

A batch is a list of :class:`BatchItem` — a :class:`~prisma_abu.jobs.Job` and
the path of its picture inside the batch folder. :func:`expand` makes the items
of an :class:`Experiment` (every input × every grid value); :func:`run_batch`
renders the ones not yet on disk, on one machine (joblib/loky) or on a Dask
cluster, and writes the pictures, ``manifest.jsonl``, ``contact_sheet.png``
and ``index.html``. This package is the only writer of batch outputs; it never
prints (progress goes through a callback).

The rooms: :mod:`.experiment` (the file format), :mod:`.inputs` (files, folders, globs), :mod:`.grid` (every
combination as a named job),
:mod:`.kinds` (job kinds: roles and naming per command), :mod:`.run` (plan,
resume, run), :mod:`.manifest` (rows and reports), :mod:`.backends` (in
process, loky, Dask), :mod:`.report` (contact sheet, index.html).

Layout (the original's, under ``OUT/<date>``)::

    <source stem>/<guide stem | none_gd>/_<enhance>_<layer>_<rb_rate>_<mask>[_<field>-<value>...].png
    manifest.jsonl  contact_sheet.png  index.html

``<enhance>`` is empty for no preset and a layer's ``/`` becomes ``_`` (as in
the original); grid fields other than those four are appended as
``_<field>-<value>`` when they take more than one value. Pictures without a
guide are plain dreams (``iter_n = int(10 / rb_rate)``): their mask part is
``mask`` (as in the original) and mask/blend fields are left out of their
names, so the plain dream of one source is rendered once, not once per mask.

Examples
--------
>>> exp = Experiment(inputs={"source": ["sample/chelsea.jpg"], "guide": ["prisma_gd/swirl.jpg", None]},
...                  out="out/batch", grid={"rb_rate": [1.0, 0.88]}, params={"layer": None})
>>> [item.output for item in expand(exp)]  # doctest: +SKIP
['chelsea/swirl/__none_1.0_otsu.png', 'chelsea/swirl/__none_0.88_otsu.png',
 'chelsea/none_gd/__none_1.0_otsu.png', 'chelsea/none_gd/__none_0.88_otsu.png']
"""

from __future__ import annotations

from .backends import BACKENDS
from .experiment import (Experiment, batch_date, experiment_from_dict, load_experiment, read_experiment_file,
                         role_key)
from .grid import MAX_PICTURES, BatchItem, count_pictures, expand, iter_items
from .inputs import expand_inputs
from .kinds import JobKind, format_value, job_kind, register_kind, shallow_layers
from .manifest import MANIFEST, BatchReport, ItemResult, read_manifest, recorded_seconds
from .report import write_contact_sheet, write_index
from .run import Progress, run_batch, run_experiment, same_job

__all__ = [
    "BACKENDS",
    "MAX_PICTURES",
    "count_pictures",
    "iter_items",
    "MANIFEST",
    "BatchItem",
    "BatchReport",
    "Experiment",
    "ItemResult",
    "JobKind",
    "Progress",
    "batch_date",
    "expand",
    "expand_inputs",
    "experiment_from_dict",
    "format_value",
    "job_kind",
    "load_experiment",
    "read_experiment_file",
    "read_manifest",
    "recorded_seconds",
    "register_kind",
    "role_key",
    "run_batch",
    "run_experiment",
    "same_job",
    "shallow_layers",
    "write_contact_sheet",
    "write_index",
]
