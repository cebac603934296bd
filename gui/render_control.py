"""Rendering in the background for the main window: previews, full pictures, progress, cancel.

Renders run on one worker thread (:class:`concurrent.futures.ThreadPoolExecutor`);
their results come back to the UI thread through
:meth:`pyface.api.GUI.invoke_later`. Every request gets a generation number:
a result whose generation is no longer the newest is dropped, and a render
still running for stale knobs stops at its next step. Mix knob changes start
a quick preview (``preview_width`` pixels wide) after ``debounce_ms`` of
quiet; every command renders in full with "Render", through
:func:`prisma_abu.jobs.render_job` (mix through ``pipeline.mix``, whose mask
and keep map the window shows).
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

from pyface.api import GUI
from traits.api import Any, Bool, Button, Float, HasTraits, Instance, Int, Str, observe

from prisma_abu.errors import PrismaAbuError
from prisma_abu.jobs import Job, render_job

from .command_table import WINDOW_COMMANDS
from .render import PREVIEW_WIDTH, Superseded, preview_params, render_mix, render_threads, use_threads

__all__ = ["RenderControl"]

#: model changes that are no new request (lists offered, auto's choices shown)
_NOT_A_CHANGE = ("mask_choices", "layer_choices", "backbone_choices", "showing_choices")


class RenderControl(HasTraits):
    """The main window's rendering (a part of :class:`~prisma_abu_gui.controller.PrismaController`).

    Needs ``model`` (a :class:`~prisma_abu_gui.model.PrismaModel`), ``show_error`` and ``show_status``.
    """

    render_button = Button("Render")
    cancel_button = Button("Cancel")

    #: mix knob changes start a preview this wide after this many quiet milliseconds
    live_preview = Bool(True)
    preview_width = Int(PREVIEW_WIDTH)
    debounce_ms = Int(120)
    #: torch threads for the previews (1: small pictures gain nothing from more) and the full renders
    #: (all cores but one, left to the window: two threads fighting the UI thread for two cores made a
    #: 160 px preview take seconds)
    preview_threads = Int(1)
    render_threads = Int(render_threads())

    #: counters a test can read: renders started, results dropped as stale; the last render's seconds
    renders_started = Int(0)
    results_dropped = Int(0)
    last_render_seconds = Float(0.0)

    _executor = Instance(ThreadPoolExecutor)
    _generation = Int(0)
    _debounce = Int(0)
    _pending = Instance(Future)
    _closed = Bool(False)
    _steps_done = Int(0)
    _steps_total = Int(1)
    _what = Str()
    _started = Any()

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prisma-render")
        return self._executor

    def stop_rendering(self) -> None:
        """Drop pending work and stop the worker (a running render finishes in the background)."""
        self._closed = True
        self._generation += 1
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # -- what to render ------------------------------------------------------------------------------

    def window_job(self, command: str | None = None) -> Job:
        """The chosen command's job on the window's pictures and knobs (InvalidParameterError if impossible)."""
        model = self.model
        command = model.command if command is None else command
        params = model.knobs_of(command).to_params()
        return WINDOW_COMMANDS[command].job(params, model.source, model.guide, model.style_image)

    # -- previews ----------------------------------------------------------------------------------------

    @observe("model.knobs:*,model.knobs,model.source,model.guide", post_init=True)
    def _knobs_changed(self, event) -> None:
        if event.name in _NOT_A_CHANGE or self.model.knobs.showing_choices:  # auto's choices shown: nothing new
            return
        if self.live_preview:
            self.request_preview()

    def request_preview(self, delay_ms: int | None = None) -> None:
        """Start a mix preview after ``debounce_ms`` unless another request comes first."""
        self._debounce += 1
        token = self._debounce
        GUI.invoke_after(self.debounce_ms if delay_ms is None else delay_ms, self._debounced, token)

    def _debounced(self, token: int) -> None:
        if token == self._debounce and self.live_preview and not self._closed and self.model.command == "mix":
            self.start_render("preview")

    # -- rendering ---------------------------------------------------------------------------------------

    def start_render(self, kind: str = "full") -> Future | None:
        """Render the chosen command's knobs in the background: ``preview`` (small, mix only) or ``full``.

        Returns the future (None if the knobs are impossible: the error is shown).
        A preview still waiting for its debounce delay is called off.
        """
        self._debounce += 1
        self._generation += 1
        generation = self._generation
        command = WINDOW_COMMANDS[self.model.command]
        try:
            job = self.window_job()
        except PrismaAbuError as exc:
            self.model.busy = False
            self.show_error(exc)
            return None
        if kind == "preview" and command.name == "mix":
            job = job.with_params(preview_params(job.params, self.preview_width))
        else:
            kind = "full"
        self._steps_done, self._steps_total = 0, command.progress_total(job)
        self._what = "a preview" if kind == "preview" else "the full picture"
        self.model.trait_set(progress=0, progress_max=100, busy=True, status=f"rendering {self._what}…")
        self.renders_started += 1
        started = self._started = time.perf_counter()
        callback = self._progress_callback(generation)
        threads = self.preview_threads if kind == "preview" else self.render_threads
        future = self._worker().submit(self._render_in_worker, generation, job, callback, threads)
        future.add_done_callback(lambda f: GUI.invoke_later(self._render_done, generation, kind, job, started, f))
        self._pending = future
        return future

    def _render_in_worker(self, generation: int, job: Job, callback: Callable, threads: int) -> Any:
        if generation != self._generation:
            raise Superseded()
        use_threads(threads)
        if job.command == "mix":  # the MixResult: its mask and keep map are shown too
            return render_mix(job.inputs["source"], job.inputs.get("guide"), job.params, callback=callback)
        return render_job(job, callback=callback)

    def _progress_callback(self, generation: int) -> Callable[..., None]:
        def callback(*step) -> None:
            if generation != self._generation:
                raise Superseded()
            GUI.invoke_later(self._progress, generation)
        return callback

    def _progress(self, generation: int) -> None:
        """One step more: the bar in per cent, the status with the time left (a step told after the render
        ended, as a one-step stylize's may be, says nothing)."""
        if generation != self._generation or not self.model.busy:
            return
        self._steps_done = min(self._steps_done + 1, self._steps_total)
        done, total = self._steps_done, self._steps_total
        percent = min(99, int(100 * done / total))
        elapsed = time.perf_counter() - (self._started or time.perf_counter())
        left = elapsed / done * (total - done) if done else 0.0
        self.model.status = f"rendering {self._what}… {percent} % (about {left:.0f} s left)"
        # last: the progress bar's editor runs the event loop, where the render's end may come in (and its
        # status must stay)
        self.model.progress = percent

    def cancel_render(self) -> bool:
        """Stop the render in progress (at its next step); True if one was running."""
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

    @observe("render_button")
    def _render_fired(self, event) -> None:
        self.start_render("full")

    def _render_done(self, generation: int, kind: str, job: Job, started: float, future: Future) -> None:
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
        command = WINDOW_COMMANDS[job.command]
        inputs = (job.inputs[command.photo_role], job.inputs.get(command.second_role))
        self.model.trait_set(result_params=job.params, result_inputs=inputs, result_kind=kind,
                             progress=self.model.progress_max, result=result)  # the result last: the rest is read then
        h, w = result.image.shape[:2]
        took = self.last_render_seconds = time.perf_counter() - started
        what = "preview" if kind == "preview" else "full picture" if job.command == "mix" else job.command
        knobs = self.model.knobs
        hint = " (Render for the full size)" if kind == "preview" and job.params.size < knobs.size else ""
        chose = ""
        if job.command == "mix" and job.params.auto and result.params is not None:
            from prisma_abu.pipeline import describe_choices

            chose = "  ·  " + describe_choices(result.params)
            if knobs.auto:  # auto's values shown in its knobs: edit one and the rest stay
                knobs.show_choices(result.params, job.params.size / knobs.size)
        self.show_status(f"{what} {w}x{h} in {took:.1f} s{hint}{chose}")
