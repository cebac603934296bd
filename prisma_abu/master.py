"""The book's ``PrismaMaster``: ``product_prisma`` as a façade over :mod:`prisma_abu.batch`.

The original rendered ``product(org_file_list, gd_file_list, nbk_list,
enhance_list, rb_rate_list)`` with joblib into
``save_dir/<source>/<guide or none_gd>/_<enhance>_<nbk>_<rb_rate>_<mask>.jpg``.
This one takes the same arguments in the same order and runs the same batch
engine as ``prisma-abu batch`` (resume, manifest, contact sheet, loky or Dask).

Examples
--------
>>> from prisma_abu.master import PrismaMaster
>>> report = PrismaMaster.product_prisma(  # doctest: +SKIP
...     ["sample/chelsea.jpg"], ["prisma_gd/swirl.jpg", None], ["blocks.1", "blocks.2"],
...     [None, "Sharpness"], [0.88, 1.0], "otsu_func + stdmean_func",
...     5, 28, 1, True, 1.0, 1.0, 1.5, 0.0, False, all_mask=False, save_dir="out/2024-05-01")
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Sequence

from .batch import (BatchItem, BatchReport, Experiment, Progress, expand, expand_inputs, format_value,
                    job_kind, run_batch, shallow_layers)
from .errors import InvalidParameterError
from .jobs import Job
from .params import MixParams

__all__ = ["PrismaMaster", "product_prisma", "ORIGINAL_MASKS", "ALL_MASK_SUFFIX"]

#: the masks rendered one after the other when ``mask_func_str`` is None (the original's order)
ORIGINAL_MASKS = ("otsu_func", "features_func", "stdmean_func")
#: guides whose file stem ends so also get the all-mask pictures when ``all_mask`` is true
ALL_MASK_SUFFIX = "_allmask"


def _listed(name: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes, os.PathLike)) or not isinstance(value, Sequence):
        raise InvalidParameterError(f"{name}: expected a list, got {type(value).__name__} {value!r}")
    if not value:
        raise InvalidParameterError(f"{name}: expected at least one entry, got an empty list")
    return list(value)


def _flag(name: str, value: Any) -> bool:
    """The original passed traits Bools; accept 0/1 and numpy booleans too."""
    if value in (True, False) and not isinstance(value, float):
        return bool(value)
    raise InvalidParameterError(f"{name}: expected True or False, got {value!r}")


def _all_mask_items(sources: Sequence[str], guides: Sequence[str | None], enhances: Sequence[Any],
                    fixed: dict[str, Any], mask: str, ext: str) -> list[BatchItem]:
    """The original's all-mask loop: shallow layers x (all_mask_rb_rate, 1.0), full mask, ``allmask_func``."""
    kind = job_kind("mix")
    base = MixParams.from_dict({**fixed, "mask": mask, "all_mask": True, "rb_rate": 1.0})
    layers = shallow_layers(base.backbone, base.weights)
    items = []
    for source in sources:
        for guide in guides:
            if guide is None or not Path(guide).stem.endswith(ALL_MASK_SUFFIX):
                continue
            folder = f"{kind.folder('source', source)}/{kind.folder('guide', guide)}"
            for enhance in enhances:
                for rate in (base.all_mask_rb_rate, 1.0):
                    for layer in layers:
                        params = base.replace(enhance=enhance, layer=layer, all_mask_rb_rate=rate)
                        name = (f"{folder}/_{format_value(params.enhance, 'enhance')}_{format_value(layer)}_"
                                f"{format_value(rate)}_allmask_func.{ext}")
                        items.append(BatchItem(Job("mix", params, {"source": source, "guide": guide}), name,
                                               {"layer": layer, "enhance": enhance, "all_mask_rb_rate": rate}))
    return items


class PrismaMaster:
    """The book's batch master; :meth:`product_prisma` is all it does."""

    @staticmethod
    def product_prisma(org_file_list: Sequence[Any], gd_file_list: Sequence[Any], nbk_list: Sequence[str | None],
                       enhance_list: Sequence[str | None], rb_rate_list: Sequence[float],
                       mask_func_str: str | None, n1: int, n2: int, n3: int, dd_factor: bool,
                       std_factor: float, loop_factor: float, convd_median_factor: float,
                       convd_big_factor: float, cb: bool, all_mask: bool = False,
                       save_dir: str | os.PathLike | None = None, *, jobs: int | None = None,
                       backend: str = "loky", scheduler: Any = None, force: bool = False, ext: str = "png",
                       progress: Progress | None = None, **params: Any) -> BatchReport:
        """Render every (source, guide, layer, enhance, rb_rate) combination into ``save_dir``.

        Parameters
        ----------
        org_file_list, gd_file_list : list
            Source pictures; guide pictures (``None``: a plain dream with
            ``iter_n = int(10 / rb_rate)``). Files, folders or globs.
        nbk_list : list of str or None
            Dream layers (the original's GoogLeNet blob names work with
            ``backbone="googlenet"``; None: no dream).
        enhance_list : list of str or None
            Enhance presets (None: none; written as an empty name part).
        rb_rate_list : list of float
        mask_func_str : str or None
            ``'otsu_func'``, ``'otsu_func + stdmean_func'``, ... (or the short
            names); None renders each of ``otsu_func``, ``features_func``,
            ``stdmean_func``.
        n1, n2, n3, dd_factor, std_factor, loop_factor, convd_median_factor, convd_big_factor, cb
            The mask and blend knobs (``dd_factor`` is ``MixParams.dd``).
        all_mask : bool
            Guides whose stem ends in ``_allmask`` (the original's opt-in)
            also get the all-mask pictures: every shallow layer of the
            backbone at ``all_mask_rb_rate`` and at 1.0, named
            ``_<enhance>_<layer>_<rate>_allmask_func``.
        save_dir : path-like, optional
            The batch folder itself (the original passed ``'../out/<date>'``);
            default ``out/<today>`` under the current folder.
        jobs, backend, scheduler, force, progress
            As :func:`prisma_abu.batch.run_batch` (the original's ``g_process_cnt`` is ``jobs``).
        ext : str
            ``png`` (default; the original wrote ``jpg``).
        **params
            Any other :class:`~prisma_abu.params.MixParams` field (``backbone``,
            ``base_width``, ``iter_n``...).

        Returns
        -------
        BatchReport
        """
        masks = list(ORIGINAL_MASKS) if mask_func_str is None else [mask_func_str]
        # the book's pictures: squares, the knobs as given (no auto, no texture preset) unless **params says
        fixed = {"square": True, "auto": False, "texture": None, "compose": "paste",
                 "n1": n1, "n2": n2, "n3": n3, "dd": _flag("dd_factor", dd_factor), "std_factor": std_factor,
                 "loop_factor": loop_factor, "convd_median_factor": convd_median_factor,
                 "convd_big_factor": convd_big_factor, "cb": _flag("cb", cb), **params}
        lists = {name: _listed(name, value) for name, value in (
            ("org_file_list", org_file_list), ("gd_file_list", gd_file_list), ("nbk_list", nbk_list),
            ("enhance_list", enhance_list), ("rb_rate_list", rb_rate_list))}
        folder = Path("out") / _dt.date.today().isoformat() if save_dir is None else Path(save_dir)
        experiment = Experiment(
            inputs={"source": lists["org_file_list"], "guide": lists["gd_file_list"]}, out=folder.parent,
            params=fixed, ext=ext,
            grid={"layer": lists["nbk_list"], "enhance": lists["enhance_list"],
                  "rb_rate": lists["rb_rate_list"], "mask": masks})
        items = expand(experiment)
        if _flag("all_mask", all_mask):
            sources = expand_inputs(lists["org_file_list"], role="source")
            guides = expand_inputs(lists["gd_file_list"], role="guide", optional=True)
            items += _all_mask_items(sources, guides, lists["enhance_list"], fixed, masks[0], experiment.ext)
        return run_batch(items, folder, jobs=jobs, backend=backend, scheduler=scheduler, force=force,
                         progress=progress, date=_dt.date.today().isoformat())


#: the original's module-level function (``import prisma_abu.master as PrismaMaster`` works too)
product_prisma = PrismaMaster.product_prisma
