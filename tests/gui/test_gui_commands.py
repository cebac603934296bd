"""The window renders every command (issue 20): dream, stylize and style beside mix, through prisma_abu.jobs."""

from __future__ import annotations

import shlex

import numpy as np
import pytest

from prisma_abu.io import read_metadata
from prisma_abu.jobs import Job, Rendered, render_job, requested_params
from prisma_abu.params import DreamParams, StyleParams, StylizeParams

pytestmark = pytest.mark.gui

TINY = {
    "dream": DreamParams(size=40, iter_n=2, octave_n=1, seed=2),
    "stylize": StylizeParams(model="multistyle26:1", size=32),
    "style": StyleParams(size=24, num_iterations=2, scales=1, print_iter=0, save_iter=0),
}


def _library(job: Job, threads: int) -> np.ndarray:
    from prisma_abu.pipeline.models import set_threads

    before = set_threads(threads)  # the window's full renders' arithmetic
    try:
        return render_job(job).image
    finally:
        set_threads(before)


def _render(controller, wait, command: str):
    controller.live_preview = False
    controller.model.command = command
    controller.model.knobs_of().set_params(TINY[command])
    before = controller.renders_started
    controller.render_button = True  # what clicking "Render" does
    wait(lambda: controller.renders_started == before + 1 and not controller.model.busy, timeout=120)
    assert controller.model.error == ""
    return controller.model.result


@pytest.mark.parametrize("command, inputs", [
    ("dream", lambda m: {"image": m.source, "guide": None}),
    ("stylize", lambda m: {"photo": m.source, "model": None, "style_image": None}),
    ("style", lambda m: {"content": m.source, "style0": m.style_image}),
])
def test_each_command_renders_what_the_library_renders(window, wait, shown, command, inputs):
    controller, ui = window
    result = _render(controller, wait, command)
    assert isinstance(result, Rendered) and result.job.command == command
    assert controller.model.result_params == TINY[command]
    expected = _library(Job(command, TINY[command], inputs(controller.model)), controller.render_threads)
    assert np.array_equal(result.image, expected)
    assert np.array_equal(shown(ui, "result_picture"), expected)  # the widget paints those bytes
    # the photo and the guide or style picture it was made from; none where the command took none (a dream
    # without the guide objective), not the mix preview's guide from before
    from prisma_abu_gui.command_table import WINDOW_COMMANDS

    roles = WINDOW_COMMANDS[command].photo_role, WINDOW_COMMANDS[command].second_role
    assert np.array_equal(shown(ui, "source_picture"), result.job.input_image(roles[0]))
    if result.job.inputs.get(roles[1]) is None:
        assert controller.guide_picture is None
    else:
        assert np.array_equal(shown(ui, "guide_picture"), result.job.input_image(roles[1]))
    h, w = expected.shape[:2]
    # the status says what was made (a one-step stylize's progress, told after its end, left "rendering… 100 %")
    assert controller.model.status.startswith(f"{command} {w}x{h} in "), controller.model.status
    assert controller.model.progress == controller.model.progress_max


def test_the_guide_objective_dreams_toward_the_guide_and_stylize_arbitrary_takes_the_style_picture(window):
    controller, _ = window
    model = controller.model
    model.command = "dream"
    assert controller.window_job().inputs["guide"] is None  # l2: no guide read
    model.dream_knobs.objective = "guide"
    assert controller.window_job().inputs == {"image": model.source, "guide": model.guide}
    model.command = "stylize"
    assert controller.window_job().inputs["style_image"] is None
    model.stylize_knobs.model = "arbitrary"
    assert controller.window_job().inputs["style_image"] == model.style_image


def test_a_missing_style_picture_or_model_is_one_line_in_the_window(window):
    controller, ui = window
    controller.live_preview = False
    controller.model.command = "style"
    controller.model.style_image = None
    assert controller.start_render("full") is None
    assert "style picture" in controller.model.error and not controller.model.busy
    controller.model.command = "stylize"
    controller.model.stylize_knobs.model = "no-such-model"
    assert controller.start_render("full") is None
    assert "no-such-model" in controller.model.error
    assert ui.control.isVisible()


def test_save_writes_the_commands_picture_with_its_parameters(window, wait, tmp_path):
    controller, _ = window
    controller.model.command = "stylize"
    controller.model.stylize_knobs.set_params(TINY["stylize"])
    out = tmp_path / "painted.png"
    future = controller.save_picture(out)
    wait(lambda: future.done() and controller.model.status.startswith("saved"), timeout=120)
    meta = read_metadata(out)
    assert meta["command"] == "stylize" and requested_params(meta) == TINY["stylize"]


@pytest.mark.parametrize("command", ["dream", "stylize", "style"])
def test_copy_command_is_the_commands_own_line(window, command):
    from prisma_abu.cli import build_parser, params_from_args

    controller, _ = window
    controller.model.command = command
    params = TINY[command].replace(seed=5)
    controller.model.knobs_of().set_params(params)
    words = shlex.split(controller.copy_command())
    assert words[:2] == ["prisma-abu", command]
    args = build_parser().parse_args(words[1:])
    assert params_from_args(type(params), args) == params
    assert args.inputs == [controller.model.source]


def test_loading_a_dream_file_chooses_dream(window, tmp_path):
    controller, _ = window
    path = tmp_path / "dream.toml"
    path.write_text(TINY["dream"].to_toml())
    assert controller.load_params(path) == TINY["dream"]
    assert controller.model.command == "dream" and controller.model.dream_knobs.to_params() == TINY["dream"]
    assert controller.model.knobs.to_params() != TINY["dream"]  # the mix knobs are untouched
    written = controller.save_params(tmp_path / "back.json")
    assert DreamParams.from_json(written.read_text()) == TINY["dream"]


def test_a_stylize_params_file_opens_the_window_on_stylize(qt_gui, tmp_path, capsys):
    from prisma_abu_gui.app import create_controller, main

    path = tmp_path / "stylize.json"
    path.write_text(TINY["stylize"].to_json())
    controller = create_controller(params=str(path))
    assert controller.model.command == "stylize" and controller.model.stylize_knobs.to_params() == TINY["stylize"]
    path.write_text('{"kind": "train-style"}')  # a kind the window has no knobs for: one line, exit 2
    assert main(["--params", str(path)]) == 2
    assert "expected parameters of kind 'mix'" in capsys.readouterr().err
