"""The "Batch" dialog's controller: run a grid with :mod:`prisma_abu.batch`, show progress, cancel.

The batch runs on a worker thread (``run_experiment`` with a progress
callback); progress comes back through :meth:`pyface.api.GUI.invoke_later`.
Cancel takes effect after the picture being rendered: the progress callback
raises :class:`BatchCancelled`, which stops the engine between two pictures
(everything written so far is complete and in the manifest).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pyface.api import GUI
from traits.api import Bool, Button, Instance, observe
from traitsui.api import Controller

from prisma_abu.errors import InvalidParameterError, PrismaAbuError

from .messages import error_text
from .model import ENHANCE_PRESETS, BatchModel, PrismaModel

__all__ = ["BatchCancelled", "BatchController", "batch_model_for", "GRID_FIELDS"]

#: the knobs the dialog varies (the others stay at the window's values)
GRID_FIELDS = ("layer", "texture", "enhance", "rb_rate")


class BatchCancelled(Exception):
    """Raised by the progress callback to stop a batch between two pictures."""


def _labelled(choices: dict) -> list[tuple[str, str]]:
    """``{value: "NNN:label"}`` -> ``[(value or "none", label)]`` in the labels' order."""
    ordered = sorted(choices.items(), key=lambda kv: kv[1])
    return [("none" if v is None else str(v), label.split(":", 1)[1]) for v, label in ordered]


def _name(value: Any) -> str:
    return "none" if value is None else str(value)


def _texture_label(name: str) -> str:
    from prisma_abu.params import TEXTURES

    if name == "auto":
        return "texture auto (auto's pick)"
    t = TEXTURES[name]
    return f"texture {name} ({t['backbone']} {t['layer']})"


def dream_options(params) -> list[tuple[str, str]]:
    """What the dialog's "Dream" list offers: the texture presets, then the backbone's named shallow
    layers (about ten, not all of them), ``auto`` and none."""
    from prisma_abu.pipeline.models import shallow_layers

    from .model import TEXTURE_CHOICES

    options = [(f"texture:{t}", _texture_label(t)) for t in TEXTURE_CHOICES if t is not None]
    try:
        layers = list(shallow_layers(params.backbone, params.weights))
    except PrismaAbuError:
        layers = []
    options += [(layer, f"{params.backbone} {layer}") for layer in layers]
    options += [("auto", f"{params.backbone} Prisma layer"), ("none", "none (no dream)")]
    return options


def _chosen_dream(params) -> str:
    if params.layer == "auto" and params.texture is not None:
        return f"texture:{params.texture}"
    return _name(params.layer)


def batch_model_for(model: PrismaModel) -> BatchModel:
    """A batch of the window's picture with its knobs: one value per axis, ready to widen."""
    knobs = model.knobs
    params = knobs.to_params()
    options = dream_options(params)
    chosen = _chosen_dream(params)
    if chosen not in dict(options):
        options.append((chosen, chosen))
    enhance_options = [(_name(v), _name(v)) for v in ENHANCE_PRESETS]
    return BatchModel(
        params=params,
        source_options=_labelled(model.source_choices),
        guide_options=_labelled(model.guide_choices),
        layer_options=options,
        enhance_options=enhance_options,
        sources=[model.source] if model.source else [],
        guides=[_name(model.guide)],
        layers=[chosen],
        enhances=[_name(params.enhance)],
        rb_rates=[params.rb_rate],
    )


class BatchController(Controller):
    """Runs the dialog's grid; opens the gallery on the pictures when it is done."""

    model = Instance(BatchModel, ())

    def default_traits_view(self):
        from .views import batch_view

        return batch_view

    run_button = Button("Run batch")
    cancel_button = Button("Cancel")
    gallery_button = Button("Gallery")

    #: open the gallery by itself when a batch ends
    gallery_when_done = Bool(True)

    _executor = Instance(ThreadPoolExecutor)
    _cancel = Instance(threading.Event, ())
    _future = Instance(Future)
    _report = Instance(object)
    #: the gallery opened last (None: none yet)
    gallery = Instance(object)

    def closed(self, info, is_ok) -> None:
        self.stop()

    def stop(self) -> None:
        """The dialog goes away: stop the batch after its current picture."""
        self.gallery_when_done = False
        self._cancel.set()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def experiments(self) -> list:
        """The :class:`prisma_abu.batch.Experiment` s the dialog describes (textures, layers)."""
        from prisma_abu.batch import Experiment

        m = self.model
        fixed = {k: v for k, v in m.params.to_dict().items() if k not in GRID_FIELDS}
        out = str(Path(m.out).expanduser().resolve()) if m.out else m.out
        return [Experiment(inputs=inputs, out=out, params=fixed, grid=grid, date=m.date or None, jobs=m.jobs)
                for inputs, grid in m.grids()]

    def experiment(self):
        """The first :class:`prisma_abu.batch.Experiment` of :meth:`experiments`."""
        return self.experiments()[0]

    @observe("run_button")
    def _run_fired(self, event) -> None:
        self.run()

    def run(self) -> Future | None:
        """Start the batch in the background (None if the grid is impossible: the error is shown)."""
        if self.model.running:
            return None
        try:
            experiments = self.experiments()
            experiment = experiments[0]
            folder = experiment.folder()
        except PrismaAbuError as exc:
            self.model.trait_set(error=error_text(exc), status="not started")
            return None
        self._cancel = threading.Event()
        self.model.trait_set(running=True, done=0, total=max(1, self.model.count), error="",
                             status=f"expanding {self.model.count} combinations…", folder=str(folder))
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prisma-batch")
        started = time.perf_counter()
        cancel = self._cancel
        future = self._executor.submit(self._run_in_worker, experiments, cancel)
        future.add_done_callback(lambda f: GUI.invoke_later(self._finished, f, started))
        self._future = future
        return future

    def _run_in_worker(self, experiments, cancel: threading.Event):
        from prisma_abu.batch import expand, run_batch

        def progress(rendered: int, to_render: int, result: Any) -> None:
            GUI.invoke_later(self._progress, rendered, to_render, result)
            if cancel.is_set():
                raise BatchCancelled()

        if cancel.is_set():
            raise BatchCancelled()
        items = [item for experiment in experiments for item in expand(experiment)]
        first = experiments[0]
        date = first.resolve_date()
        return run_batch(items, Path(first.out) / date / first.batch_name(), jobs=first.jobs, backend=first.backend,
                         scheduler=first.scheduler, progress=progress, date=date)

    def _progress(self, rendered: int, to_render: int, result: Any) -> None:
        self.model.trait_set(done=rendered, total=max(1, to_render))
        if result is None:
            self.model.status = f"rendering {to_render} pictures…"
        else:
            last = f"{result.status}: {result.item.output}"
            self.model.status = f"{rendered}/{to_render}  {last}"

    @observe("cancel_button")
    def _cancel_fired(self, event) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Stop after the picture being rendered."""
        if self.model.running:
            self._cancel.set()
            self.model.status = "cancelling after this picture…"

    def _finished(self, future: Future, started: float) -> None:
        self.model.running = False
        took = time.perf_counter() - started
        exc = None if future.cancelled() else future.exception()
        if future.cancelled() or isinstance(exc, BatchCancelled):
            self.model.status = f"cancelled after {self.model.done} pictures ({took:.0f} s); " \
                                f"what was rendered is in {self.model.folder}"
            return
        if exc is not None:
            self.model.trait_set(error=error_text(exc), status="batch failed")
            return
        report = future.result()
        self._report = report
        self.model.folder = str(report.folder)
        self.model.done = self.model.total
        self.model.status = (f"{len(report.done)} rendered, {len(report.skipped)} already there, "
                             f"{len(report.failed)} failed in {took:.1f} s: {report.folder}")
        if report.failed:
            self.model.error = f"{report.failed[0].item.output}: {report.failed[0].error}"
        if self.gallery_when_done:
            self.open_gallery()

    @observe("gallery_button")
    def _gallery_fired(self, event) -> None:
        self.open_gallery()

    def gallery_entries(self) -> list:
        from .gallery import entries_from_folder, entries_from_report

        from prisma_abu.batch import batch_date

        if self._report is not None:
            return entries_from_report(self._report)
        folder = self.model.folder or str(Path(self.model.out) / batch_date(self.model.date or None, self.model.out))
        entries = entries_from_folder(folder)
        if not entries and Path(folder).is_dir():  # a date folder: its newest batch (<command>-<digest>/)
            batches = sorted((p for p in Path(folder).iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
            entries = next((found for found in map(entries_from_folder, map(str, reversed(batches))) if found), [])
        if not entries:
            raise InvalidParameterError(f"gallery: {folder} holds no batch pictures; expected a batch folder")
        return entries

    def open_gallery(self, *, kind: str = "live"):
        """The gallery on this batch's pictures (its controller), or None with the error shown."""
        from .gallery import open_gallery

        try:
            entries = self.gallery_entries()
        except PrismaAbuError as exc:
            self.model.error = error_text(exc)
            return None
        parent = self.info.ui.control if self.info is not None and self.info.ui is not None else None
        self.gallery = open_gallery(entries, parent=parent, kind=kind)
        return self.gallery
