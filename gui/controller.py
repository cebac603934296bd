"""The main window's controller: commands, background rendering, errors.

Renders run on one worker thread (:class:`concurrent.futures.ThreadPoolExecutor`);
their results come back to the UI thread through
:meth:`pyface.api.GUI.invoke_later`. Every request gets a generation number:
a result whose generation is no longer the newest is dropped, and a dream
still running for stale knobs stops at its next step. Knob changes start a
quick preview (``preview_width`` pixels wide) after ``debounce_ms`` of quiet.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
from pyface.api import GUI, FileDialog, OK, clipboard
from pyface.array_image import ArrayImage
from traits.api import Any, Bool, Button, Float, Instance, Int, List, Property, Str, cached_property, observe
from traitsui.api import Controller

from prisma_abu.errors import InvalidParameterError, PrismaAbuError
from prisma_abu.jobs import Job, run_job
from prisma_abu.params import MixParams

from .command import command_line
from .files import check_picture_path as _check_picture_path
from .files import params_from_file, params_to_file
from .messages import error_text
from .model import BatchModel, MixModel, PrismaModel, as_rgb
from .render import PREVIEW_WIDTH, Superseded, dream_steps, preview_params, render_mix, render_threads, use_threads

__all__ = ["PrismaController", "error_text", "params_from_file", "params_to_file"]

logger = logging.getLogger(__name__)

PICTURE_WILDCARD = "Pictures (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
PARAMS_WILDCARD = "Parameters (*.toml *.json);;Pictures prisma-abu wrote (*.png *.jpg *.webp *.tif);;All files (*)"


def _picture(array: np.ndarray | None) -> ArrayImage | None:
    rgb = as_rgb(array)
    return None if rgb is None else ArrayImage(data=rgb)


class PrismaController(Controller):
    """Controller of :class:`~prisma_abu_gui.model.PrismaModel` (the main window)."""

    model = Instance(PrismaModel, ())

    def default_traits_view(self):
        from .views import main_view

        return main_view

    # -- commands -------------------------------------------------------------------------------------
    render_button = Button("Render")
    cancel_button = Button("Cancel")
    save_button = Button("Save…")
    batch_button = Button("Batch…")
    copy_button = Button("Copy command")
    load_params_button = Button("Load params…")
    save_params_button = Button("Save params…")
    defaults_button = Button("Defaults")
    open_source_button = Button("Open…")
    open_guide_button = Button("Open…")

    #: knob changes start a preview this wide after this many quiet milliseconds
    live_preview = Bool(True)
    preview_width = Int(PREVIEW_WIDTH)
    debounce_ms = Int(120)
    #: torch threads for the previews (1: small pictures gain nothing from more) and the full renders
    #: (all cores but one, left to the window: two threads fighting the UI thread for two cores made a
    #: 160 px preview take seconds)
    preview_threads = Int(1)
    render_threads = Int(render_threads())

    #: what the window shows (built from ``model.result``)
    source_picture = Property(observe="model.result")
    guide_picture = Property(observe="model.result")
    mask_picture = Property(observe="model.result")
    result_picture = Property(observe="model.result")
    #: the file name "Copy command" writes to (the last one saved, or this)
    output_path = Str("out.png")
    #: the last command line copied
    last_command = Str()

    #: counters a test can read: renders started, results dropped as stale; the last render's seconds
    renders_started = Int(0)
    results_dropped = Int(0)
    last_render_seconds = Float(0.0)

    _executor = Instance(ThreadPoolExecutor)
    _generation = Int(0)
    _debounce = Int(0)
    _pending = Instance(Future)
    _saving = Instance(Future)
    _closed = Bool(False)
    _batches = List()

    # -- life cycle -------------------------------------------------------------------------------------

    def init(self, info) -> bool:
        """The window is up: the knobs' pane as wide as its rows, then a first preview."""
        self._fit_knobs_pane(info)
        self.request_preview(delay_ms=0)
        return True

    @staticmethod
    def _fit_knobs_pane(info) -> None:
        """The scrolling knobs' pane never narrower than its rows (it scrolls up and down, not sideways)."""
        from pyface.qt import QtCore, QtWidgets

        control = info.ui.control if info is not None and info.ui is not None else None
        if control is None:
            return
        for area in control.findChildren(QtWidgets.QScrollArea):
            inner = area.widget()
            if inner is not None:
                area.setMinimumWidth(inner.sizeHint().width() + area.verticalScrollBar().sizeHint().width() + 4)
                area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for name in ("status", "error"):  # long lines wrap rather than widen the window
            for editor in info.ui.get_editors(name):
                if isinstance(editor.control, QtWidgets.QLabel):
                    editor.control.setWordWrap(True)
                    editor.control.setMinimumWidth(0)

    def closed(self, info, is_ok) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Drop pending work and stop the worker (a running render finishes in the background)."""
        self._closed = True
        self._generation += 1
        for batch in self._batches:
            batch.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prisma-render")
        return self._executor

    # -- pictures shown -----------------------------------------------------------------------------------

    @cached_property
    def _get_source_picture(self):
        return None if self.model.result is None else _picture(self.model.result.source)

    @cached_property
    def _get_guide_picture(self):
        return None if self.model.result is None else _picture(self.model.result.guide)

    @cached_property
    def _get_mask_picture(self):
        """The blend's final keep map (white: the photo's pixel), else the mask (a plain dream)."""
        result = self.model.result
        if result is None:
            return None
        if result.keep is not None:
            return _picture(np.where(result.keep, 255, 0).astype(np.uint8))
        return _picture(result.mask)

    @cached_property
    def _get_result_picture(self):
        return None if self.model.result is None else _picture(self.model.result.image)

    # -- status -----------------------------------------------------------------------------------------------

    def show_error(self, exc: BaseException | str, what: str = "") -> None:
        """Put an error in the window (the window lives on)."""
        text = exc if isinstance(exc, str) else error_text(exc)
        if not isinstance(exc, (str, PrismaAbuError)):
            logger.error("unexpected error %s", what, exc_info=exc)
        self.model.error = f"{what}: {text}" if what else text
        self.model.status = "error (the picture shown is the last good one)" if self.model.result is not None \
            else "error"

    def show_status(self, text: str) -> None:
        self.model.status = text
        self.model.error = ""

    # -- rendering ------------------------------------------------------------------------------------------

    @observe("model.knobs:*,model.knobs,model.source,model.guide", post_init=True)
    def _knobs_changed(self, event) -> None:
        if event.name in ("mask_choices", "layer_choices", "backbone_choices", "showing_choices") \
                or self.model.knobs.showing_choices:  # auto's choices shown in its knobs: nothing new
            return
        if self.live_preview:
            self.request_preview()

    def request_preview(self, delay_ms: int | None = None) -> None:
        """Start a preview after ``debounce_ms`` unless another request comes first."""
        self._debounce += 1
        token = self._debounce
        GUI.invoke_after(self.debounce_ms if delay_ms is None else delay_ms, self._debounced, token)

    def _debounced(self, token: int) -> None:
        if token == self._debounce and self.live_preview and not self._closed:
            self.start_render("preview")

    def current_job(self) -> tuple[MixParams, str, str | None]:
        """The knobs' parameters and the chosen files (InvalidParameterError if impossible)."""
        params = self.model.knobs.to_params()
        if not self.model.source:
            raise InvalidParameterError("source: expected a picture, got none (pick one or open a file)")
        return params, self.model.source, self.model.guide

    def start_render(self, kind: str = "full") -> Future | None:
        """Render the current knobs in the background: ``preview`` (small) or ``full``.

        Returns the future (None if the knobs are impossible: the error is shown).
        A preview still waiting for its debounce delay is called off.
        """
        self._debounce += 1
        self._generation += 1
        generation = self._generation
        try:
            params, source, guide = self.current_job()
        except PrismaAbuError as exc:
            self.model.busy = False
            self.show_error(exc)
            return None
        if kind == "preview":
            params = preview_params(params, self.preview_width)
        self._steps_done, self._steps_total = 0, max(1, dream_steps(params, guide is not None))
        self._what = "a preview" if kind == "preview" else "the full picture"
        self.model.progress = 0
        self.model.progress_max = 100
        self.model.busy = True
        self.model.status = f"rendering {self._what}…"
        self.renders_started += 1
        started = time.perf_counter()
        self._started = started
        callback = self._progress_callback(generation)
        threads = self.preview_threads if kind == "preview" else self.render_threads
        future = self._worker().submit(self._render_in_worker, generation, source, guide, params,
                                       callback, threads)
        future.add_done_callback(
            lambda f: GUI.invoke_later(self._render_done, generation, kind, params, (source, guide), started, f))
        self._pending = future
        return future

    def _render_in_worker(self, generation: int, source: str, guide: str | None, params: MixParams,
                          callback: Callable, threads: int) -> Any:
        if generation != self._generation:
            raise Superseded()
        use_threads(threads)
        return render_mix(source, guide, params, callback=callback)

    def _progress_callback(self, generation: int) -> Callable[[int, int, float], None]:
        def callback(octave: int, step: int, value: float) -> None:
            if generation != self._generation:
                raise Superseded()
            GUI.invoke_later(self._progress, generation)
        return callback

    _steps_done = Int(0)
    _steps_total = Int(1)
    _what = Str()
    _started = Any()

    def _progress(self, generation: int) -> None:
        """One dream step more: the bar in per cent, the status with the time left."""
        if generation != self._generation:
            return
        self._steps_done = min(self._steps_done + 1, self._steps_total)
        done, total = self._steps_done, self._steps_total
        self.model.progress = min(99, int(100 * done / total))
        elapsed = time.perf_counter() - (self._started or time.perf_counter())
        left = elapsed / done * (total - done) if done else 0.0
        self.model.status = f"rendering {self._what}… {self.model.progress} % (about {left:.0f} s left)"

    def cancel_render(self) -> bool:
        """Stop the render in progress (at its next dream step); True if one was running."""
        if not self.model.busy:
            return False
        self._debounce += 1
        self._generation += 1
        self.model.busy = False
        self.model.progress = 0
        self.show_status("cancelled (the picture shown is the last one made)")
        return True

    @observe("cancel_button")
    def _cancel_fired(self, event) -> None:
        self.cancel_render()

    def _render_done(self, generation: int, kind: str, params: MixParams, inputs: tuple, started: float,
                     future: Future) -> None:
        if generation != self._generation or future.cancelled():
            self.results_dropped += 1
            return
        self.model.busy = False
        exc = future.exception()
        if isinstance(exc, Superseded):
            self.results_dropped += 1
            return
        if exc is not None:
            self.show_error(exc)
            return
        result = future.result()
        self.model.trait_set(result=result, result_params=params, result_inputs=inputs, result_kind=kind,
                             progress=self.model.progress_max)
        h, w = result.image.shape[:2]
        took = time.perf_counter() - started
        self.last_render_seconds = took
        what = "preview" if kind == "preview" else "full picture"
        hint = " (Render for the full size)" if kind == "preview" and params.size < self.model.knobs.size else ""
        chose = ""
        if params.auto and result.params is not None:
            from prisma_abu.pipeline import describe_choices
            chose = "  ·  " + describe_choices(result.params)
            if self.model.knobs.auto:  # auto's values shown in its knobs: edit one and the rest stay
                self.model.knobs.show_choices(result.params, params.size / self.model.knobs.size)
        self.show_status(f"{what} {w}x{h} in {took:.1f} s{hint}{chose}")

    @observe("render_button")
    def _render_fired(self, event) -> None:
        self.start_render("full")

    # -- pictures --------------------------------------------------------------------------------------------

    @observe("open_source_button")
    def _open_source_fired(self, event) -> None:
        path = self._ask_file("open", PICTURE_WILDCARD, "Open a photo")
        if path:
            self.model.add_source(path)

    @observe("open_guide_button")
    def _open_guide_fired(self, event) -> None:
        path = self._ask_file("open", PICTURE_WILDCARD, "Open a guide picture")
        if path:
            self.model.add_guide(path)

    def _ask_file(self, action: str, wildcard: str, title: str, default_path: str = "") -> str | None:
        parent = self.info.ui.control if self.info is not None and self.info.ui is not None else None
        dialog = FileDialog(parent=parent, action=action, wildcard=wildcard, title=title,
                            default_path=default_path)
        return dialog.path if dialog.open() == OK else None

    # -- save the picture -------------------------------------------------------------------------------

    @observe("save_button")
    def _save_fired(self, event) -> None:
        path = self._ask_file("save as", "PNG (*.png);;JPEG (*.jpg);;WebP (*.webp);;TIFF (*.tif)",
                              "Save the picture", self.output_path)
        if path:
            self.save_picture(path)

    def save_picture(self, path: str | os.PathLike) -> Future | None:
        """Render the current knobs at full size with ``run_job`` into ``path`` (it keeps its parameters)."""
        try:
            params, source, guide = self.current_job()
            _check_picture_path(path)
        except PrismaAbuError as exc:
            self.show_error(exc, "save")
            return None
        job = Job("mix", params, {"source": source, "guide": guide})
        self.model.status = f"saving {path}…"
        future = self._worker().submit(self._save_in_worker, job, path, self.render_threads)
        future.add_done_callback(lambda f: GUI.invoke_later(self._saved, str(path), f))
        self._saving = future
        return future

    @staticmethod
    def _save_in_worker(job: Job, path: str | os.PathLike, threads: int) -> Path:
        use_threads(threads)
        return run_job(job, path)

    def _saved(self, path: str, future: Future) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is not None:
            self.show_error(exc, "save")
            return
        self.output_path = path
        self.show_status(f"saved {future.result()}")

    # -- parameters ------------------------------------------------------------------------------------------

    @observe("load_params_button")
    def _load_params_fired(self, event) -> None:
        path = self._ask_file("open", PARAMS_WILDCARD, "Load parameters")
        if path:
            self.load_params(path)

    @observe("save_params_button")
    def _save_params_fired(self, event) -> None:
        path = self._ask_file("save as", PARAMS_WILDCARD, "Save parameters", "params.toml")
        if path:
            self.save_params(path)

    def load_params(self, path: str | os.PathLike) -> MixParams | None:
        """Set every knob from a ``.toml`` / ``.json`` file."""
        try:
            params = params_from_file(path)
            self.model.knobs.set_params(params)
        except PrismaAbuError as exc:
            self.show_error(exc, "load params")
            return None
        self.show_status(f"parameters loaded from {path}")
        return params

    def save_params(self, path: str | os.PathLike) -> Path | None:
        """Write the knobs to a ``.toml`` / ``.json`` file."""
        try:
            written = params_to_file(self.model.knobs.to_params(), path)
        except PrismaAbuError as exc:
            self.show_error(exc, "save params")
            return None
        self.show_status(f"parameters saved to {written}")
        return written

    @observe("defaults_button")
    def _defaults_fired(self, event) -> None:
        self.model.knobs.set_params(MixParams())

    # -- command line -----------------------------------------------------------------------------------------

    @observe("copy_button")
    def _copy_fired(self, event) -> None:
        self.copy_command()

    def copy_command(self) -> str | None:
        """Put the equivalent ``prisma-abu mix`` line on the clipboard."""
        try:
            params, source, guide = self.current_job()
        except PrismaAbuError as exc:
            self.show_error(exc, "copy command")
            return None
        line = command_line(params, source, guide, self.output_path)
        clipboard.text_data = line
        self.last_command = line
        self.show_status("command copied to the clipboard")
        return line

    # -- batch ---------------------------------------------------------------------------------------------------

    @observe("batch_button")
    def _batch_fired(self, event) -> None:
        self.open_batch()

    def batch_model(self) -> BatchModel:
        """The batch dialog's model: the window's knobs fixed, its current values chosen."""
        from .batch_dialog import batch_model_for

        return batch_model_for(self.model)

    def open_batch(self, *, kind: str = "live"):
        """Open the "Batch" dialog (returns its controller)."""
        from .batch_dialog import BatchController
        from .views import batch_view

        try:
            batch = BatchController(model=self.batch_model())
        except PrismaAbuError as exc:
            self.show_error(exc, "batch")
            return None
        parent = self.info.ui.control if self.info is not None and self.info.ui is not None else None
        batch.edit_traits(view=batch_view, kind=kind, parent=parent)
        self._batches.append(batch)
        return batch


def new_model(source: str | None = None, guide: str | None = None,
              params: MixParams | None = None) -> PrismaModel:
    """The main window's model: bundled pictures offered, ``source``/``guide`` chosen."""
    from prisma_abu.data import guide_images, sample_images

    from .model import picture_choices

    try:
        samples = [str(p) for p in sample_images()]
    except PrismaAbuError:
        samples = []
    try:
        guides = [str(p) for p in guide_images()]
    except PrismaAbuError:
        guides = []
    model = PrismaModel(knobs=MixModel() if params is None else MixModel.from_params(params),
                        source_choices=picture_choices(samples),
                        guide_choices=picture_choices(guides, none_label="(none)"))
    if source is not None:
        model.add_source(os.path.abspath(source))
    elif samples:
        model.source = samples[0]
    if guide is not None:
        model.add_guide(os.path.abspath(guide))
    elif guides:
        model.guide = guides[0]
    return model
