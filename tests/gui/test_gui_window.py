"""The main window: render, preview, debounce, errors, parameters, command line, save."""

from __future__ import annotations

import shlex

from pathlib import Path

import numpy as np
import pytest

from prisma_abu.cli import build_parser, params_from_args
from prisma_abu.io import read_image, read_metadata
from prisma_abu.jobs import requested_params
from prisma_abu.params import MixParams
from prisma_abu.pipeline import mix

pytestmark = pytest.mark.gui


def library_mix(source, guide, params):
    return mix(read_image(source), None if guide is None else read_image(guide), params)


@pytest.mark.parametrize("knobs", [
    {"size": 80, "layer": None, "n3": 40, "mask": "otsu+stdmean", "enhance": "Contrast"},
    {"size": 64, "layer": "auto", "iter_n": 1, "octave_n": 1, "n3": 30, "rb_rate": 0.88, "seed": 3},
])
def test_render_shows_what_the_library_makes(window, wait, shown, knobs):
    controller, ui = window
    controller.live_preview = False
    controller.model.knobs.trait_set(**knobs)
    controller.render_button = True  # what clicking "Render" does
    wait(lambda: controller.model.result_kind == "full" and not controller.model.busy, timeout=60)
    params = controller.model.knobs.to_params()
    assert controller.model.result_params == params
    assert controller.model.error == ""
    from prisma_abu.pipeline.models import set_threads

    before = set_threads(controller.render_threads)  # the window's full renders' arithmetic: fp32 sums by thread
    try:
        expected = library_mix(controller.model.source, controller.model.guide, params)
    finally:
        set_threads(before)
    result = controller.model.result
    for name in ("image", "mask", "source", "blended"):
        assert np.array_equal(getattr(result, name), getattr(expected, name)), name
    # and the widget paints exactly those bytes
    assert np.array_equal(shown(ui, "result_picture"), expected.image)
    assert np.array_equal(shown(ui, "source_picture"), expected.source)
    assert np.array_equal(shown(ui, "guide_picture"), expected.guide)
    # the Mask panel shows the final keep map: where the picture really has the photo's pixels
    assert np.array_equal(shown(ui, "mask_picture")[:, :, 0], np.where(expected.keep, 255, 0))


def test_render_button_is_in_the_window(window, wait):
    controller, ui = window
    from traitsui.testing.api import MouseClick, UITester

    before = controller.renders_started
    UITester().find_by_name(ui, "render_button").perform(MouseClick())
    wait(lambda: controller.renders_started == before + 1 and not controller.model.busy)
    assert controller.model.result_kind == "full"


def test_knob_changes_are_debounced_into_one_small_preview(window, wait, pause):
    controller, _ = window
    controller.preview_width = 32
    before = controller.renders_started
    for n1 in (2, 4, 6, 8, 10):  # five quick changes...
        controller.model.knobs.n1 = n1
    wait(lambda: controller.renders_started > before and not controller.model.busy)
    pause(0.5)  # past the debounce delay again: nothing more starts
    assert controller.renders_started == before + 1  # ...one preview
    assert controller.model.result_kind == "preview"
    assert controller.model.result_params.size == 32
    assert controller.model.result.image.shape[1] == 32
    # the preview's windows shrink with it: n1=10 at 64 px is 5 at 32 px
    assert controller.model.result_params.n1 == 5


def test_stale_results_are_dropped(window, wait):
    controller, _ = window
    controller.live_preview = False
    dropped = controller.results_dropped
    controller.model.knobs.seed = 1
    first = controller.start_render("full")
    controller.model.knobs.trait_set(seed=2, n3=20)
    second = controller.start_render("full")
    wait(lambda: first.done() and second.done() and not controller.model.busy)
    wait(lambda: controller.results_dropped == dropped + 1)
    assert controller.model.result_params == controller.model.knobs.to_params()
    assert controller.model.result_params.n3 == 20


def test_a_broken_picture_is_an_error_in_the_window(window, wait, tmp_path):
    controller, ui = window
    controller.live_preview = False
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    controller.model.add_source(str(broken))
    controller.start_render("full")
    wait(lambda: not controller.model.busy)
    assert "broken.jpg" in controller.model.error
    assert controller.model.status.startswith("error")
    assert ui.control is not None and ui.control.isVisible()  # the window lives on
    # and works again with a good picture
    controller.model.source = next(iter(controller.model.source_choices))
    controller.start_render("full")
    wait(lambda: not controller.model.busy and controller.model.result_kind == "full")
    assert controller.model.error == ""


def test_a_window_larger_than_the_picture_is_an_error_in_the_window(window, wait):
    controller, _ = window
    controller.live_preview = False
    controller.model.knobs.trait_set(size=64, n3=200)
    controller.start_render("full")
    wait(lambda: not controller.model.busy)
    assert "n3" in controller.model.error and "200" in controller.model.error
    # the preview fails alike (its windows shrink with the picture)
    controller.start_render("preview")
    wait(lambda: not controller.model.busy)
    assert "n3" in controller.model.error


def test_an_unknown_file_name_to_save_is_an_error(window):
    controller, _ = window
    assert controller.save_picture("picture.xyz") is None
    assert "picture.xyz" in controller.model.error


PARAMS = MixParams(mask="otsu+features", dd=False, cb=True, std_factor=1.25, loop_factor=0.5, n1=3, n2=11,
                   n3=31, convd_median_factor=2.5, convd_big_factor=0.25, rb_rate=0.88, all_mask=True,
                   all_mask_rb_rate=0.5, spots_keep=((10, 12, 4),), spots_drop=((1, 2, 3), (4, 5, 6)),
                   enhance="Sharpness", enhance_p=1.5, layer=None, backbone="vgg16", iter_n=3, force_iter_n=2,
                   octave_n=2, octave_scale=1.5, step_size=2.0, jitter=8, precision="fp32", size=96,
                   keep_size=True, seed=7, weights="w.pt")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_save_and_load_params_round_trip(window, tmp_path, suffix):
    controller, _ = window
    controller.live_preview = False
    controller.model.knobs.set_params(PARAMS)
    path = controller.save_params(tmp_path / f"params{suffix}")
    assert path is not None and path.is_file()
    controller.model.knobs.set_params(MixParams())
    assert controller.model.knobs.to_params() == MixParams()
    assert controller.load_params(path) == PARAMS
    assert controller.model.knobs.to_params() == PARAMS
    assert controller.model.error == ""


def test_loading_bad_params_is_an_error_in_the_window(window, tmp_path):
    controller, _ = window
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "mix"\nrb_rate = 0.0\n')
    assert controller.load_params(bad) is None
    assert "rb_rate" in controller.model.error
    assert controller.load_params(tmp_path / "missing.json") is None
    assert "missing.json" in controller.model.error


def test_copy_command_puts_an_equivalent_command_on_the_clipboard(window):
    controller, _ = window
    from pyface.api import clipboard

    controller.live_preview = False
    controller.model.knobs.set_params(PARAMS.replace(backbone="efficientnet_lite0"))
    line = controller.copy_command()
    assert clipboard.text_data == line
    words = shlex.split(line)
    assert words[:2] == ["prisma-abu", "mix"]
    args = build_parser().parse_args(words[1:])
    assert params_from_args(MixParams, args) == controller.model.knobs.to_params()
    assert (args.inputs, args.guide) == ([controller.model.source], controller.model.guide)


def test_save_writes_the_picture_with_its_parameters(window, wait, tmp_path):
    controller, _ = window
    controller.live_preview = False
    out = tmp_path / "painting.png"
    future = controller.save_picture(out)
    wait(lambda: future.done() and controller.model.status.startswith("saved"))
    params = controller.model.knobs.to_params()
    meta = read_metadata(out)
    assert requested_params(meta) == params  # what was asked; meta["params"]: as rendered (texture resolved)
    rendered = MixParams.from_dict(meta["params"])
    assert rendered == params.with_texture()
    # stored relative to the picture's folder, so it resolves to the guide from there
    assert (out.parent / meta["inputs"]["guide"]["path"]).resolve() == Path(controller.model.guide).resolve()
    expected = library_mix(controller.model.source, controller.model.guide, params)
    assert np.array_equal(np.uint8(read_image(out)), expected.image)
    # a picture it wrote gives its parameters back, as rendered ("Load params..." on the PNG)
    controller.model.knobs.set_params(MixParams())
    assert controller.load_params(out) == rendered
    assert controller.model.knobs.to_params() == rendered


def test_screenshot(window, wait, tmp_path):
    controller, ui = window
    from prisma_abu_gui.screenshot import grab

    controller.start_render("full")
    wait(lambda: not controller.model.busy and controller.model.result_kind == "full")
    path = grab(ui, tmp_path / "gui.png")
    image = read_image(path)
    assert image.shape[0] > 400 and image.shape[1] > 800
    assert image.std() > 10  # not a blank window


def test_auto_shows_its_choices_in_the_knobs_and_an_edit_keeps_them(window, wait, pause):
    # issue 19: the window showed otsu 5/25/120 while saliency ran, and an edit threw auto's choices away
    controller, _ = window
    knobs = controller.model.knobs
    started = controller.renders_started
    knobs.auto = True
    wait(lambda: controller.renders_started > started and not controller.model.busy, timeout=60)
    chosen = controller.model.result.params
    assert chosen.mask != "otsu" and not chosen.auto  # what auto chose for this photo
    assert knobs.auto and knobs.mask == chosen.mask and knobs.convd_median_factor == chosen.convd_median_factor
    assert (knobs.n2, knobs.n3) == (chosen.n2, chosen.n3)  # the preview is the knobs' size here
    before = controller.renders_started
    pause(0.5)
    assert controller.renders_started == before  # showing the choices renders nothing new
    knobs.n1 = chosen.n1 + 1  # an edit: auto off, the other choices stay
    assert not knobs.auto and knobs.mask == chosen.mask and knobs.n3 == chosen.n3
