"""Each rendering command is described once (issue 20): jobs render by the descriptor, a batch names by it, the
command line and the window count progress by it. A new command is a descriptor and its renderer, nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu import commands
from prisma_abu.batch import job_kind
from prisma_abu.commands import COMMANDS, Command, Job, Naming, progress_steps, register_command
from prisma_abu.errors import InvalidParameterError
from prisma_abu.jobs import job_from_metadata, job_metadata, render_job
from prisma_abu.params import DreamParams, MixParams, StyleParams, StylizeParams

from cli_support import GUIDE, SAMPLE


@pytest.fixture
def negative():
    """A newcomer's command: a renderer and its descriptor, registered; nothing else is touched."""
    def render(job, callback):
        image = job.input_image("picture")
        if callback is not None:
            callback(0, 1, 0.0)
        return 255 - image

    described = register_command(Command("negative", StylizeParams, ("picture",), ("picture",), render,
                                         steps=lambda job: 1, naming=Naming(("picture",), name_fields=("strength",))))
    yield described
    del COMMANDS["negative"]


def test_a_new_command_renders_replays_and_batches_from_its_descriptor_alone(negative, tmp_path):
    job = Job("negative", StylizeParams(strength=0.5), {"picture": SAMPLE})
    rendered = render_job(job)
    assert np.array_equal(rendered.image, 255 - job.input_image("picture"))
    assert progress_steps(job) == 1
    again = job_from_metadata(job_metadata(rendered, tmp_path / "n.png"), picture=tmp_path / "n.png")
    assert again.command == "negative" and again.params == job.params
    kind = job_kind("negative")
    assert (kind.roles, kind.name_fields, kind.params_cls) == (("picture",), ("strength",), StylizeParams)


def test_batch_naming_is_the_descriptor_s():
    for name in ("mix", "dream", "style", "stylize"):
        kind, naming = job_kind(name), COMMANDS[name].naming
        assert (kind.roles, kind.name_fields, kind.product_order, kind.optional_roles) == (
            naming.roles, naming.name_fields, naming.product_order, naming.optional_roles)
        assert kind.params_cls is COMMANDS[name].params_cls
    assert job_kind("mix").folder("guide", None) == "none_gd"
    with pytest.raises(InvalidParameterError, match="expected one of dream, mix, style, stylize for a batch"):
        job_kind("mask")  # described without a naming: not batchable


@pytest.mark.parametrize("job, steps", [
    (Job("dream", DreamParams(iter_n=3, octave_n=2), {"image": SAMPLE}), 6),
    # the texture preset is counted as the work does (issue 20: 40 steps were announced for 12)
    (Job("mix", MixParams(texture="fine"), {"source": SAMPLE, "guide": GUIDE}), MixParams(texture="fine")
     .with_texture().octave_n * MixParams(texture="fine").with_texture().iter_n),
    (Job("mix", MixParams(layer=None), {"source": SAMPLE}), None),
    (Job("mask", MixParams(), {"source": SAMPLE}), None),
    (Job("style", StyleParams(num_iterations=7), {"content": SAMPLE, "style0": GUIDE}), 7),
    (Job("stylize", StylizeParams(), {"photo": SAMPLE}), 1),
], ids=["dream", "mix-texture", "mix-no-dream", "mask", "style", "stylize"])
def test_progress_steps_come_from_the_descriptor(job, steps):
    assert progress_steps(job) == steps


def test_the_announced_steps_are_the_steps_a_mix_reports(tmp_path):
    job = Job("mix", MixParams(size=48, n3=1, texture="fine", auto=False), {"source": SAMPLE, "guide": GUIDE})
    calls = []
    render_job(job, callback=lambda *a: calls.append(a))
    assert len(calls) == progress_steps(job) > 0


def test_a_job_s_device_and_precision_are_resolved_once_into_the_job_as_rendered(monkeypatch):
    from prisma_abu.pipeline import models

    asked = []
    real = models.resolve_precision
    monkeypatch.setattr(models, "resolve_precision", lambda *a, **k: asked.append(a) or real(*a, **k))
    job = Job("dream", DreamParams(iter_n=1, octave_n=1, size=32, precision="auto"), {"image": SAMPLE})
    rendered = render_job(job)
    assert rendered.job.params.device == "cpu" and rendered.job.params.precision in ("fp32", "bf16")
    assert rendered.requested.precision == "auto" and [a[0] for a in asked].count("auto") == 1
    resolved, _ = commands.resolve_job(rendered.job)
    assert resolved.params == rendered.job.params  # a resolved job resolves to itself


def test_a_kind_of_one_s_own_keeps_what_it_says_and_takes_the_rest_from_the_descriptor():
    from prisma_abu.batch import JobKind

    class Mine(JobKind):
        command = "stylize"
        name_fields = ("model",)

    kind = Mine()
    assert kind.name_fields == ("model",) and kind.roles == COMMANDS["stylize"].naming.roles


def test_a_new_command_gets_its_command_line_from_its_descriptor(negative, tmp_path, capsys):
    from prisma_abu.cli import main
    from prisma_abu.io import read_image, read_metadata

    out = tmp_path / "neg.png"
    assert main(["negative", SAMPLE, "-o", str(out), "--strength", "0.5", "-q"]) == 0
    photo = Job("negative", StylizeParams(), {"picture": SAMPLE}).input_image("picture")
    assert np.array_equal(read_image(out), 255 - photo)
    meta = read_metadata(out)
    assert meta["command"] == "negative" and meta["params"]["strength"] == 0.5
    assert main(["replay", str(out), "-o", str(tmp_path / "again.png"), "-q"]) == 0
    assert np.array_equal(read_image(tmp_path / "again.png"), read_image(out))
    assert main(["negative", SAMPLE, "--strength", "7", "-o", str(tmp_path / "x.png")]) == 2  # its knobs' checks
    assert "strength" in capsys.readouterr().err and not (tmp_path / "x.png").exists()
