"""The model viewer: arrows switch photo and model, paintings come off the UI thread, cached and prefetched."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from prisma_abu.data import guide_path, sample_path


@pytest.fixture
def viewer(qt_gui):
    from prisma_abu_gui.viewer import ModelEntry, ViewerController, ViewerModel, viewer_view

    calls, main = [], threading.main_thread()

    def paint(photo, entry):
        assert threading.current_thread() is not main  # never on the UI thread
        calls.append(entry.spec)
        return np.full((*photo.shape[:2], 3), 40 * (len(calls) % 6), np.float32)

    models = [ModelEntry(f"m{i}", f"model {i}") for i in range(4)]
    model = ViewerModel(photos=[str(sample_path("chelsea")), str(sample_path("coffee"))], models=models, size=96)
    controller = ViewerController(model=model, paint=paint)
    ui = controller.edit_traits(view=viewer_view)
    yield controller, calls
    controller.shutdown()
    ui.dispose()


def test_arrows_switch_and_neighbours_are_ready_before_they_are_asked_for(viewer, wait):
    controller, calls = viewer  # the first pair is shown as the viewer opens
    wait(lambda: controller.shown >= 1)
    assert controller.result_picture is not None and "chelsea.jpg  ×  model 0" in controller.caption
    # the four neighbours (models 1 and 3, photo 2 both ways) are painted next, unasked
    wait(lambda: all(controller.cached(k) is not None for k in [(0, 1), (0, 3), (1, 0)]))
    hits = controller.hits
    controller.next_model()
    assert controller.hits == hits + 1 and controller.shown == 2  # shown at once, from the cache
    controller.next_photo()
    wait(lambda: controller.shown >= 3)
    assert "coffee.jpg  ×  model 1" in controller.caption
    controller.previous_model()
    controller.previous_model()
    wait(lambda: controller.shown >= 5 and not controller.model.busy)
    assert controller.model.current() == (1, 3)


def test_a_broken_model_is_said_in_the_window_and_the_others_still_work(qt_gui, wait):
    from prisma_abu.errors import ModelError
    from prisma_abu_gui.viewer import ModelEntry, ViewerController, ViewerModel, viewer_view

    def paint(photo, entry):
        if entry.spec == "bad":
            raise ModelError("bad.pth: not a model file prisma_abu can read")
        return np.zeros((*photo.shape[:2], 3), np.float32)

    model = ViewerModel(photos=[str(sample_path("chelsea"))], models=[ModelEntry("ok", "ok"), ModelEntry("bad", "bad")],
                        size=64)
    controller = ViewerController(model=model, paint=paint)
    ui = controller.edit_traits(view=viewer_view)
    try:
        wait(lambda: controller.shown >= 1)
        controller.next_model()
        wait(lambda: "bad.pth" in controller.model.error)
        controller.next_model()
        wait(lambda: controller.shown >= 2 and controller.model.error == "")
    finally:
        controller.shutdown()
        ui.dispose()


def test_the_real_networks_paint_at_the_viewers_size(qt_gui, wait):
    from prisma_abu_gui.viewer import ViewerController, ViewerModel, default_models, viewer_view

    models = default_models(guides=[str(guide_path("swirl"))])
    assert [m.spec for m in models[:2]] == ["multistyle26:0", "multistyle26:1"] and models[-1].spec == "arbitrary"
    model = ViewerModel(photos=[str(sample_path("chelsea"))], models=[models[7], models[-1]], size=96)
    controller = ViewerController(model=model)
    ui = controller.edit_traits(view=viewer_view)
    try:
        wait(lambda: controller.shown >= 1, timeout=120)
        assert max(controller.cached((0, 0)).shape[:2]) == 96
        controller.next_model()
        wait(lambda: controller.shown >= 2, timeout=120)
        assert controller.style_picture is not None  # the painting arbitrary takes, top-left
    finally:
        controller.shutdown()
        ui.dispose()
