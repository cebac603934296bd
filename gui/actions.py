"""The main window's file and clipboard commands: save the picture, parameters to and from files, the
equivalent command line, the batch dialog (a part of :class:`~prisma_abu_gui.controller.PrismaController`)."""

from __future__ import annotations

import os
from concurrent.futures import Future
from pathlib import Path

from pyface.api import GUI, clipboard
from traits.api import Button, HasTraits, Instance, List, Str, observe

from prisma_abu.errors import PrismaAbuError
from prisma_abu.jobs import Job, run_job
from prisma_abu.params import Params

from .command import job_command_line
from .command_table import WINDOW_COMMANDS, command_for, window_kinds
from .files import check_picture_path, params_from_file, params_to_file
from .model import BatchModel
from .render import use_threads

__all__ = ["FileActions", "PICTURE_WILDCARD", "PARAMS_WILDCARD"]

PICTURE_WILDCARD = "Pictures (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp);;All files (*)"
PARAMS_WILDCARD = "Parameters (*.toml *.json);;Pictures prisma-abu wrote (*.png *.jpg *.webp *.tif);;All files (*)"


class FileActions(HasTraits):
    """Save, parameters, command line and batch. Needs ``model``, ``window_job``, ``_worker``, ``show_error``,
    ``show_status``, ``render_threads`` and ``_ask_file`` (the controller's)."""

    save_button = Button("Save…")
    batch_button = Button("Batch…")
    copy_button = Button("Copy command")
    load_params_button = Button("Load params…")
    save_params_button = Button("Save params…")
    defaults_button = Button("Defaults")

    #: the file name "Copy command" writes to (the last one saved, or this)
    output_path = Str("out.png")
    #: the last command line copied
    last_command = Str()

    _saving = Instance(Future)
    _batches = List()

    # -- save the picture -------------------------------------------------------------------------------

    @observe("save_button")
    def _save_fired(self, event) -> None:
        path = self._ask_file("save as", "PNG (*.png);;JPEG (*.jpg);;WebP (*.webp);;TIFF (*.tif)",
                              "Save the picture", self.output_path)
        if path:
            self.save_picture(path)

    def save_picture(self, path: str | os.PathLike) -> Future | None:
        """Render the chosen command at full size with ``run_job`` into ``path`` (it keeps its parameters)."""
        try:
            job = self.window_job()
            check_picture_path(path)
        except PrismaAbuError as exc:
            self.show_error(exc, "save")
            return None
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

    def load_params(self, path: str | os.PathLike) -> Params | None:
        """Set every knob of the command the file's parameters are for (a ``.toml`` / ``.json`` file, or a
        picture prisma-abu wrote), and choose that command."""
        try:
            params = params_from_file(path, kinds=window_kinds(), default=self.model.knobs_of().params_cls)
            command = command_for(params)
            self.model.knobs_of(command).set_params(params)
        except PrismaAbuError as exc:
            self.show_error(exc, "load params")
            return None
        self.model.command = command
        self.show_status(f"parameters loaded from {path}")
        return params

    def save_params(self, path: str | os.PathLike) -> Path | None:
        """Write the chosen command's knobs to a ``.toml`` / ``.json`` file."""
        try:
            written = params_to_file(self.model.knobs_of().to_params(), path)
        except PrismaAbuError as exc:
            self.show_error(exc, "save params")
            return None
        self.show_status(f"parameters saved to {written}")
        return written

    @observe("defaults_button")
    def _defaults_fired(self, event) -> None:
        knobs = self.model.knobs_of()
        knobs.set_params(knobs.params_cls())

    # -- command line -----------------------------------------------------------------------------------------

    @observe("copy_button")
    def _copy_fired(self, event) -> None:
        self.copy_command()

    def copy_command(self) -> str | None:
        """Put the equivalent ``prisma-abu <command>`` line on the clipboard."""
        model = self.model
        command = WINDOW_COMMANDS[model.command]
        try:
            job = self.window_job()  # the same checks as a render; the knobs as typed (a model file's path)
            line = job_command_line(command.name, model.knobs_of().to_params(), job.inputs[command.photo_role],
                                    job.inputs.get(command.second_role), command.second_flag, self.output_path)
        except PrismaAbuError as exc:
            self.show_error(exc, "copy command")
            return None
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

    def stop_batches(self) -> None:
        for batch in self._batches:
            batch.stop()
