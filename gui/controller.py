"""The main window's controller: the view, its life cycle, the pictures shown, errors.

Rendering (:mod:`.render_control`: previews, full renders, progress, cancel)
and the file commands (:mod:`.actions`: save, parameters, command line,
batch) are its two parts, each in its own module.
"""

from __future__ import annotations

import logging
import os

import numpy as np
from pyface.api import FileDialog, OK
from pyface.array_image import ArrayImage
from traits.api import Button, Instance, Property, cached_property, observe
from traitsui.api import Controller

from prisma_abu.errors import PrismaAbuError
from prisma_abu.params import MixParams, Params
from prisma_abu.pipeline import MixResult

from .actions import PICTURE_WILDCARD, FileActions
from .command_table import command_for
from .files import params_from_file, params_to_file
from .messages import error_text
from .model import MixModel, PrismaModel, display_rgb
from .render import load_picture
from .render_control import RenderControl

__all__ = ["PrismaController", "new_model", "error_text", "params_from_file", "params_to_file"]

logger = logging.getLogger(__name__)


def _picture(array: np.ndarray | None) -> ArrayImage | None:
    rgb = display_rgb(array)
    return None if rgb is None else ArrayImage(data=rgb)


def _file_picture(path: str | None) -> ArrayImage | None:
    """A picture the window shows from its file (another command's input); None if it cannot be read."""
    if path is None:
        return None
    try:
        return _picture(load_picture(path))
    except PrismaAbuError:
        return None


class PrismaController(RenderControl, FileActions, Controller):
    """Controller of :class:`~prisma_abu_gui.model.PrismaModel` (the main window)."""

    model = Instance(PrismaModel, ())

    def default_traits_view(self):
        from .views import main_view

        return main_view

    open_source_button = Button("Open…")
    open_guide_button = Button("Open…")
    open_style_button = Button("Open…")

    #: what the window shows (built from ``model.result``, and from the inputs it was made of)
    source_picture = Property(observe="model.result,model.result_inputs")
    guide_picture = Property(observe="model.result,model.result_inputs")
    mask_picture = Property(observe="model.result")
    result_picture = Property(observe="model.result")

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
        """Drop pending work and stop the worker and any batch (a running render finishes in the background)."""
        self.stop_batches()
        self.stop_rendering()

    # -- pictures shown -----------------------------------------------------------------------------------

    def _inputs_shown(self) -> tuple[str | None, str | None]:
        return self.model.result_inputs if self.model.result is not None else (None, None)

    @cached_property
    def _get_source_picture(self):
        result = self.model.result
        if isinstance(result, MixResult):
            return _picture(result.source)
        return _file_picture(self._inputs_shown()[0])

    @cached_property
    def _get_guide_picture(self):
        result = self.model.result
        if isinstance(result, MixResult):
            return _picture(result.guide)
        return _file_picture(self._inputs_shown()[1])

    @cached_property
    def _get_mask_picture(self):
        """The blend's final keep map (white: the photo's pixel), else the mask (a plain dream); none but mix's."""
        result = self.model.result
        if not isinstance(result, MixResult):
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

    # -- pictures --------------------------------------------------------------------------------------------

    def _open_picture(self, title: str) -> str | None:
        return self._ask_file("open", PICTURE_WILDCARD, title)

    @observe("open_source_button,open_guide_button,open_style_button")
    def _opened(self, event) -> None:
        """Open…: a picture from a dialog as the photo, the guide or the style picture."""
        title, add = {"open_source_button": ("Open a photo", self.model.add_source),
                      "open_guide_button": ("Open a guide picture", self.model.add_guide),
                      "open_style_button": ("Open a style picture", self.model.add_style_image)}[event.name]
        path = self._open_picture(title)
        if path:
            add(path)

    def _ask_file(self, action: str, wildcard: str, title: str, default_path: str = "") -> str | None:
        parent = self.info.ui.control if self.info is not None and self.info.ui is not None else None
        dialog = FileDialog(parent=parent, action=action, wildcard=wildcard, title=title,
                            default_path=default_path)
        return dialog.path if dialog.open() == OK else None



def new_model(source: str | None = None, guide: str | None = None,
              params: Params | None = None) -> PrismaModel:
    """The main window's model: bundled pictures offered, ``source``/``guide`` chosen, the command whose
    parameters ``params`` are chosen and holding them (InvalidParameterError if the window has no such command)."""
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
    mix = params is None or isinstance(params, MixParams)
    model = PrismaModel(knobs=MixModel() if mix and params is None else MixModel.from_params(params) if mix
                        else MixModel(), source_choices=picture_choices(samples),
                        guide_choices=picture_choices(guides, none_label="(none)"))
    if not mix:
        model.command = command_for(params)
        model.knobs_of().set_params(params)
    if source is not None:
        model.add_source(os.path.abspath(source))
    elif samples:
        model.source = samples[0]
    if guide is not None:
        model.add_guide(os.path.abspath(guide))
    elif guides:
        model.guide = guides[0]
    if guides:
        model.style_image = guides[0]
    return model
