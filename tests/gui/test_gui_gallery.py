"""Batch from the window, with progress and Cancel; the arrow-key gallery on its pictures."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu.io import read_image

pytestmark = pytest.mark.gui


@pytest.fixture
def batch(window, tmp_path):
    """The batch dialog of the window: 2 photos x 2 guides, FAST knobs, into tmp_path."""
    from prisma_abu_gui.batch_dialog import BatchController, batch_model_for

    controller, _ = window
    model = batch_model_for(controller.model)
    model.trait_set(sources=[p for p, _ in model.source_options[:2]],
                    guides=[p for p, _ in model.guide_options[1:3]], out=str(tmp_path / "out"),
                    date="2024-05-01")
    dialog = BatchController(model=model)
    ui = dialog.edit_traits()
    yield dialog
    for gallery in [dialog.gallery] if dialog.gallery is not None else []:
        gallery.info.ui.dispose()
    ui.dispose()


def test_batch_runs_the_grid_and_opens_the_gallery(batch, wait, shown):
    from pyface.qt import QtCore
    from pyface.qt.QtTest import QTest

    assert batch.model.count == 4
    batch.run_button = True
    wait(lambda: batch.gallery is not None, timeout=60)
    assert not batch.model.running and batch.model.error == ""
    assert batch.model.status.startswith("4 rendered")
    assert batch.model.done == batch.model.total == 4

    gallery = batch.gallery
    model, ui = gallery.model, gallery.info.ui
    assert len(model.sources) == 2 and len(model.styles) == 2

    def check_shown():
        entry = model.current
        assert np.array_equal(gallery.result_picture.data, np.uint8(read_image(entry.picture)))
        assert np.array_equal(shown(ui, "result_picture"), np.uint8(read_image(entry.picture)))
        assert np.array_equal(shown(ui, "source_picture"), np.uint8(read_image(entry.source)))
        assert np.array_equal(shown(ui, "guide_picture"), np.uint8(read_image(entry.guide)))

    check_shown()
    first = model.current
    QTest.keyClick(ui.control, QtCore.Qt.Key.Key_Down)  # next photo, same guide
    assert (model.source_index, model.style_index) == (1, 0)
    assert model.current.source != first.source and model.current.guide == first.guide
    check_shown()
    QTest.keyClick(ui.control, QtCore.Qt.Key.Key_Right)  # next guide
    assert (model.source_index, model.style_index) == (1, 1)
    assert model.current.guide != first.guide
    check_shown()
    QTest.keyClick(ui.control, QtCore.Qt.Key.Key_Up)
    QTest.keyClick(ui.control, QtCore.Qt.Key.Key_Left)
    assert model.current == first
    QTest.keyClick(ui.control, QtCore.Qt.Key.Key_Left)  # wraps around
    assert model.style_index == 1

    # the same batch folder, opened again later (the dialog's Gallery button without a run)
    from prisma_abu_gui.batch_dialog import BatchController
    from prisma_abu_gui.model import BatchModel

    again = BatchController(model=BatchModel(out=batch.model.out, date="2024-05-01"))
    assert sorted(e.picture for e in again.gallery_entries()) == sorted(e.picture for e in model.entries)


def test_a_folder_without_a_batch_has_no_gallery(tmp_path):
    from prisma_abu_gui.batch_dialog import BatchController
    from prisma_abu_gui.model import BatchModel

    dialog = BatchController(model=BatchModel(out=str(tmp_path), date="2024-05-01"))
    assert dialog.open_gallery() is None
    assert "no batch pictures" in dialog.model.error


def test_the_arrow_keys_are_bound_to_the_gallery_moves():
    from prisma_abu_gui.gallery import GalleryController
    from prisma_abu_gui.views import gallery_keys, gallery_view

    bound = {b.binding1: b.method_name for b in gallery_keys.bindings}
    assert bound == {"Down": "next_source", "Up": "previous_source", "Right": "next_guide",
                     "Left": "previous_guide"}
    assert all(callable(getattr(GalleryController, name)) for name in bound.values())
    assert gallery_view.key_bindings is gallery_keys


def test_cancel_stops_the_batch(batch, wait):
    batch.gallery_when_done = False
    batch.model.trait_set(layers=["auto"], rb_rates=[1.0, 0.5])  # slower pictures: a dream each
    batch.model.params = batch.model.params.replace(iter_n=2, octave_n=1)
    future = batch.run()
    batch.cancel_button = True
    wait(lambda: future.done() and not batch.model.running, timeout=60)
    assert batch.model.status.startswith("cancelled"), batch.model.status
    assert batch.model.done < batch.model.count


def test_an_impossible_grid_is_an_error_in_the_dialog(batch):
    batch.model.rb_rates = []
    assert batch.run() is None
    assert "empty" in batch.model.error
    assert not batch.model.running
