"""The window keeps up (issue 12): the keep map, Cancel, per cent and time left, a scrolling left pane
at 1366x768, threads, the gallery's words, the batch dialog's textures and absolute folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.gui


def test_the_mask_panel_follows_the_blend_windows(window, wait, shown):
    controller, ui = window
    controller.live_preview = False
    controller.model.knobs.trait_set(size=80, n3=60, convd_big_factor=1.0, convd_median_factor=5.0)
    controller.start_render("full")
    wait(lambda: controller.model.result_kind == "full" and not controller.model.busy)
    wide = shown(ui, "mask_picture")[:, :, 0].copy()
    mask = controller.model.result.mask
    assert np.array_equal(wide, np.where(controller.model.result.keep, 255, 0))
    controller.model.knobs.n3 = 1  # the mask is the same, what the blend keeps is not
    controller.start_render("full")
    wait(lambda: controller.model.result_params.n3 == 1 and not controller.model.busy)
    narrow = shown(ui, "mask_picture")[:, :, 0]
    assert np.array_equal(narrow, np.where(controller.model.result.keep, 255, 0))
    assert not np.array_equal(wide, narrow)
    assert np.array_equal(controller.model.result.mask, mask)  # the mask itself did not change


def test_render_shows_per_cent_and_time_left_and_cancels(window, wait):
    controller, _ = window
    controller.live_preview = False
    # a dream long enough to be caught running (no texture preset: the knobs as set)
    controller.model.knobs.trait_set(size=64, layer="blocks.0", iter_n=400, octave_n=1)
    before = controller.model.result
    dropped = controller.results_dropped
    future = controller.start_render("full")
    wait(lambda: controller.model.progress > 0, timeout=120)
    assert controller.model.progress_max == 100 and 0 < controller.model.progress < 100
    assert "%" in controller.model.status and "s left" in controller.model.status
    assert controller.cancel_render()
    assert not controller.model.busy and controller.model.status.startswith("cancelled")
    wait(lambda: future.done() and controller.results_dropped == dropped + 1, timeout=120)
    assert controller.model.result is before  # the cancelled picture never shows
    assert not controller.cancel_render()  # nothing running any more


def test_previews_run_on_one_thread_and_renders_leave_a_core(window, wait, monkeypatch):
    import prisma_abu_gui.render_control as module

    controller, _ = window
    controller.live_preview = False
    seen = []
    monkeypatch.setattr(module, "use_threads", lambda n: seen.append(n))
    controller.start_render("preview")
    wait(lambda: not controller.model.busy)
    controller.start_render("full")
    wait(lambda: not controller.model.busy)
    assert seen == [1, controller.render_threads]
    assert controller.render_threads == max(1, len(__import__("os").sched_getaffinity(0)) - 1)


def test_the_left_pane_scrolls_at_1366x768(window, pause):
    from pyface.qt import QtWidgets

    controller, ui = window
    ui.control.resize(1366, 768)
    pause(0.2)
    assert ui.control.height() <= 768
    areas = [a for a in ui.control.findChildren(QtWidgets.QScrollArea) if a.widget() is not None
             and a.widget().findChildren(QtWidgets.QWidget)]
    knobs = [a for a in areas if any(e.control in a.widget().findChildren(QtWidgets.QWidget)
                                     for e in ui.get_editors("n1"))]
    assert knobs, "the knobs are not in a scroll area"
    area = knobs[0]
    # the knobs keep their natural height and the area scrolls over them, instead of squeezing them
    assert area.widget().sizeHint().height() > area.viewport().height()
    assert area.viewport().width() >= area.widget().sizeHint().width()  # ...and never squeezes it sideways
    assert area.verticalScrollBar().maximum() > 0
    n1 = ui.get_editors("n1")[0].control
    assert n1.height() >= n1.minimumSizeHint().height()


def test_the_gallery_says_guide_and_none(qt_gui, tmp_path):
    from prisma_abu.data import guide_path, sample_path
    from prisma_abu_gui.gallery import GalleryController, GalleryEntry, GalleryModel

    photo = str(sample_path("coffee"))
    entries = [GalleryEntry(photo, str(guide_path("swirl")), Path(photo)),
               GalleryEntry(photo, None, Path(photo))]
    gallery = GalleryController(model=GalleryModel(entries=entries))
    gallery._show()
    assert "guide 1/2" in gallery.message and "style" not in gallery.message
    gallery.next_guide()
    assert gallery.caption.endswith("×  none") and "guide 2/2" in gallery.message
    assert gallery.guide_picture is not None  # a panel saying none, not an empty one
    assert gallery.guide_picture.data.std() > 0


def test_the_batch_dialog_offers_textures_and_named_layers_in_an_absolute_folder(window):
    from prisma_abu.data import data_dir
    from prisma_abu.params import TEXTURES
    from prisma_abu.pipeline.models import layer_names
    from prisma_abu_gui.batch_dialog import batch_model_for

    controller, _ = window
    model = batch_model_for(controller.model)
    values = [v for v, _ in model.layer_options]
    assert values[:4] == ["texture:auto", *(f"texture:{t}" for t in TEXTURES)]
    layers = [v for v in values if not v.startswith("texture:") and v not in ("auto", "none")]
    assert 0 < len(layers) <= 12 < len(layer_names(controller.model.knobs.backbone))
    assert Path(model.out).is_absolute() and Path(model.out) == (data_dir() / "out" / "gui").resolve()
