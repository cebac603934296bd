"""prisma_abu.batch, batch_cli and master: grids, names, validation, resume, backends, sheets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from prisma_abu import batch
from prisma_abu.batch import (Experiment, batch_date, expand, expand_inputs, format_value, load_experiment,
                              read_manifest, run_batch, run_experiment)
from prisma_abu.cli import main
from prisma_abu.data import guide_path, sample_path
from prisma_abu.errors import InvalidParameterError
from prisma_abu.io import read_image, read_metadata
from prisma_abu.master import PrismaMaster

ROOT = Path(__file__).resolve().parent.parent
CAT, COFFEE = str(sample_path("chelsea")), str(sample_path("coffee"))
SWIRL, BRICK = str(guide_path("swirl")), str(guide_path("brick"))
#: tiny and network-free unless a test asks for a layer
FAST = {"base_width": 48, "n3": 1, "layer": None}
DATE = "2024-05-01"


def _experiment(tmp_path, *, sources=(CAT,), guides=(SWIRL,), params=None, grid=None, **kw) -> Experiment:
    """FAST parameters, except those the grid varies."""
    grid = grid or {}
    fixed = {k: v for k, v in {**FAST, **(params or {})}.items() if k not in grid or k in (params or {})}
    return Experiment(inputs={"source": list(sources), "guide": list(guides)}, out=tmp_path / "out",
                      params=fixed, grid=grid, **{"date": DATE, **kw})


def _outputs(items) -> list[str]:
    return [item.output for item in items]


def _pictures(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.png") if not p.name.startswith("contact_sheet"))


@pytest.fixture
def broken(tmp_path) -> list[str]:
    """A truncated JPEG and a text file named .jpg."""
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "cut.jpg").write_bytes(Path(COFFEE).read_bytes()[:300])
    (folder / "notes.jpg").write_text("not a picture\n")
    return [str(folder / "cut.jpg"), str(folder / "notes.jpg")]


@pytest.fixture
def no_layer_check(monkeypatch):
    """Names only: accept any layer without looking at a network."""
    monkeypatch.setattr(batch.MixKind, "validate", lambda self, params: None)


@pytest.fixture
def torch_threads():
    """Dask workers in this process set torch's threads; put them back."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


# --- grid expansion and names -------------------------------------------------------------------

def test_grid_is_the_product_in_the_originals_order_and_layout(tmp_path, no_layer_check):
    exp = _experiment(tmp_path, sources=(CAT, COFFEE), guides=(SWIRL, BRICK),
                      params={"mask": "otsu_func"},
                      grid={"rb_rate": [1, 0.88], "layer": ["conv2/3x3_reduce", "blocks.1"],
                            "enhance": ["none", "Sharpness"]})
    items = expand(exp)
    assert len(items) == 2 * 2 * 2 * 2 * 2
    assert _outputs(items)[:5] == [
        "chelsea/swirl/__conv2_3x3_reduce_1.0_otsu_func.png",
        "chelsea/swirl/__conv2_3x3_reduce_0.88_otsu_func.png",
        "chelsea/swirl/_Sharpness_conv2_3x3_reduce_1.0_otsu_func.png",
        "chelsea/swirl/_Sharpness_conv2_3x3_reduce_0.88_otsu_func.png",
        "chelsea/swirl/__blocks.1_1.0_otsu_func.png"]
    assert _outputs(items)[-1] == "coffee/brick/_Sharpness_blocks.1_0.88_otsu_func.png"
    first = items[0].job
    assert first.command == "mix" and first.inputs == {"source": CAT, "guide": SWIRL}
    assert first.params.rb_rate == 1.0 and first.params.layer == "conv2/3x3_reduce" and first.params.enhance is None


def test_no_guide_is_none_gd_and_one_plain_dream_per_source(tmp_path):
    exp = _experiment(tmp_path, guides=(SWIRL, "none"),
                      grid={"layer": ["stem"], "mask": ["otsu", "stdmean+features"], "n2": [5, 9]})
    names = _outputs(expand(exp))
    assert names == ["chelsea/swirl/__stem_1.0_otsu_n2-5.png", "chelsea/swirl/__stem_1.0_otsu_n2-9.png",
                     "chelsea/swirl/__stem_1.0_stdmean+features_n2-5.png",
                     "chelsea/swirl/__stem_1.0_stdmean+features_n2-9.png",
                     "chelsea/none_gd/__stem_1.0_mask.png"]


def test_other_varying_fields_are_appended_and_fixed_ones_are_not(tmp_path):
    exp = _experiment(tmp_path, params={"seed": 3}, grid={"n1": [3], "convd_median_factor": [0.5, 1.5]})
    assert _outputs(expand(exp)) == ["chelsea/swirl/__none_1.0_otsu_convd_median_factor-0.5.png",
                                     "chelsea/swirl/__none_1.0_otsu_convd_median_factor-1.5.png"]


def test_format_value_follows_the_original():
    assert format_value("conv2/3x3_reduce") == "conv2_3x3_reduce"
    assert format_value(None, "enhance") == "" and format_value(None, "layer") == "none"
    assert format_value("otsu_func + stdmean_func") == "otsu_func+stdmean_func"
    assert format_value(0.88) == "0.88" and format_value(((1, 2, 3),)) == "1-2-3"


def test_all_mask_without_layers_loops_over_the_shallow_layers(tmp_path):
    from prisma_abu.neural.backbones import load_backbone

    shallow = load_backbone("efficientnet_lite0").shallow_layers
    exp = Experiment(inputs={"source": [CAT], "guide": [SWIRL]}, out=tmp_path, date=DATE,
                     params={"base_width": 48, "all_mask": True})
    items = expand(exp)
    assert [i.job.params.layer for i in items] == list(shallow)
    assert items[0].output == f"chelsea/swirl/__{format_value(shallow[0])}_1.0_otsu.png"


def test_dream_batches_name_pictures_by_layer(tmp_path):
    exp = Experiment(command="dream", inputs={"image": [CAT], "guide": [SWIRL, None]}, out=tmp_path,
                     params={"width": 48}, grid={"layer": ["blocks.1", "blocks.2"]})
    items = expand(exp)
    assert _outputs(items) == ["chelsea/swirl/_blocks.1.png", "chelsea/swirl/_blocks.2.png",
                               "chelsea/none_gd/_blocks.1.png", "chelsea/none_gd/_blocks.2.png"]
    assert items[0].job.params.objective == "guide" and items[2].job.params.objective == "l2"
    assert items[0].job.params.layers == ("blocks.1",)


def test_inputs_may_be_folders_and_globs(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    for name in ("b.png", "a.jpg", "c.txt"):
        (folder / name).write_bytes(b"x")
    expected = (str(folder / "a.jpg"), str(folder / "b.png"))
    assert expand_inputs([folder], role="source") == expected
    assert expand_inputs([str(folder / "*.*g"), str(folder / "a.jpg")], role="source") == expected
    assert expand_inputs(["none", SWIRL], role="guide", optional=True) == (None, SWIRL)


# --- validation: one raise each ------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"grid": {"rb_ratee": [1.0]}}, r"unknown field\(s\) rb_ratee in grid for mix; expected some of: mask, dd"),
    ({"params": {"colour": 1}}, r"unknown field\(s\) colour in params"),
    ({"params": {"n2": 5}, "grid": {"n2": [5, 9]}}, "n2: both a fixed value"),
    ({"grid": {"n2": []}}, "grid n2: expected at least one value"),
    ({"ext": "gif"}, "ext: expected one of jpeg, jpg, png"),
    ({"backend": "ray"}, "backend: expected one of loky, dask"),
    ({"jobs": 0}, "jobs: expected a whole number >= 1"),
    ({"date": "yesterday"}, "date: expected today, latest, YYYY-MM-DD or YYYY_MM_DD"),
    ({"command": "paint"}, "command: expected one of dream, mix"),
])
def test_experiment_rejects(tmp_path, kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        _experiment(tmp_path, **kwargs)


def test_unknown_input_role_is_rejected(tmp_path):
    with pytest.raises(InvalidParameterError, match="unknown input role.*expected source, guide"):
        Experiment(inputs={"content": [CAT]}, out=tmp_path)


@pytest.mark.parametrize("grid, match", [
    ({"rb_rate": [1.0, 1.5]}, r"rb_rate: expected a value in \(0, 1\], got 1.5 \(in the combination"),
    ({"enhance": ["Sharpness", "Blurry"]}, "enhance: expected one of None, Sharpness.*got 'Blurry'"),
    ({"mask": ["otsu", "otsu+sobel"]}, "expected mask names among 'otsu'.*got 'sobel'"),
    ({"layer": ["blocks.1", "blocks.99"]}, "unknown layer 'blocks.99' for efficientnet_lite0; expected one of: stem"),
    ({"backbone": ["alexnet"], "layer": ["stem"]}, "unknown backbone 'alexnet'; expected one of"),
    ({"weights": ["/no/such/weights.pt"], "layer": ["stem"]}, "weights: /no/such/weights.pt: no such file"),
])
def test_every_value_is_checked_before_rendering(tmp_path, grid, match):
    with pytest.raises(InvalidParameterError, match=match):
        expand(_experiment(tmp_path, params={"base_width": 48, "n3": 1}, grid=grid))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("inputs, match", [
    ({"guide": [SWIRL]}, "no sources: expected at least one source picture"),
    ({"source": ["none"]}, "source: expected a picture, got 'none'"),
    ({"source": ["/no/such.jpg"]}, "source: /no/such.jpg: no such file"),
    ({"source": ["/no/such/*.jpg"]}, "source: no file matches '/no/such/\\*.jpg'"),
    ({"source": [7]}, "source: expected a path, a folder or a glob, got 7"),
])
def test_bad_inputs(tmp_path, inputs, match):
    with pytest.raises(InvalidParameterError, match=match):
        expand(Experiment(inputs=inputs, out=tmp_path, params=FAST))


def test_a_folder_without_pictures_is_rejected(tmp_path):
    with pytest.raises(InvalidParameterError, match="holds no pictures"):
        expand_inputs([tmp_path], role="guide")


def test_two_pictures_with_one_name_fail_clearly(tmp_path):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "chelsea.jpg").write_bytes(Path(CAT).read_bytes())
    exp = _experiment(tmp_path, sources=(CAT, str(other / "chelsea.jpg")))
    with pytest.raises(InvalidParameterError, match="two pictures would be written to chelsea/swirl/__none"):
        expand(exp)


def test_dates():
    import datetime

    assert batch_date("2024_05_01") == batch_date("2024-05-01") == batch_date(datetime.date(2024, 5, 1))
    assert batch_date(None) == batch_date("today") == datetime.date.today().isoformat()
    with pytest.raises(InvalidParameterError, match="date: expected today"):
        batch_date("2024-13-01")


def test_latest_date_is_the_newest_batch_with_a_manifest(tmp_path):
    for name in ("2024-01-02", "2024-03-04", "2025-01-01"):
        (tmp_path / name).mkdir()
    for name in ("2024-01-02", "2024-03-04"):
        (tmp_path / name / "manifest.jsonl").write_text("")
    assert batch_date("latest", tmp_path) == "2024-03-04"


# --- the experiment file -------------------------------------------------------------------------

def test_toml_paths_are_relative_to_the_file(tmp_path):
    folder = tmp_path / "exp"
    (folder / "pics").mkdir(parents=True)
    (folder / "pics" / "cat.jpg").write_bytes(Path(CAT).read_bytes())
    (folder / "e.toml").write_text(textwrap.dedent(f"""
        [batch]
        sources = ["pics/*.jpg"]
        guides = ["{SWIRL}", "none"]
        out = "../result"
        date = 2024-05-01
        [params]
        base_width = 48
        layer = "none"
        [grid]
        rb_rate = [1, 0.5]
    """))
    exp = load_experiment(folder / "e.toml")
    assert exp.folder() == tmp_path / "result" / DATE
    items = expand(exp)
    assert items[0].job.inputs == {"source": str(folder / "pics" / "cat.jpg"), "guide": SWIRL}
    assert _outputs(items) == ["cat/swirl/__none_1.0_otsu.png", "cat/swirl/__none_0.5_otsu.png",
                               "cat/none_gd/__none_1.0_otsu.png", "cat/none_gd/__none_0.5_otsu.png"]


@pytest.mark.parametrize("text, match", [
    ("[batch\nsources = 1", "invalid TOML"),
    ("[batch]\nsources = []\n[extra]\n", r"unknown table\(s\) extra"),
    ("[batch]\nsourcez = ['a.jpg']\n", r"unknown key\(s\) sourcez in \[batch\]; expected some of: command"),
    ("batch = 3\n", r"\[batch\]: expected a table"),
])
def test_bad_experiment_files(tmp_path, text, match):
    (tmp_path / "e.toml").write_text(text)
    with pytest.raises(InvalidParameterError, match=match):
        load_experiment(tmp_path / "e.toml")


def test_missing_experiment_file(tmp_path):
    with pytest.raises(InvalidParameterError, match="no such experiment file"):
        load_experiment(tmp_path / "nope.toml")


def test_the_documented_experiment_expands():
    exp = load_experiment(ROOT / "docs" / "experiment.toml")
    items = expand(exp)
    assert len(items) == 2 * 3 * 2 * 2 + 2 * 2 * 2
    assert exp.jobs == 2 and exp.out == ROOT / "out" / "batch"


# --- running -------------------------------------------------------------------------------------

def test_run_writes_pictures_manifest_sheet_and_gallery(tmp_path, broken):
    exp = _experiment(tmp_path, sources=(CAT, *broken), guides=(SWIRL, "none"), grid={"rb_rate": [1.0, 0.9]})
    calls = []
    report = run_experiment(exp, progress=lambda done, total, result: calls.append((done, total, result)))
    folder = tmp_path / "out" / DATE
    assert report.folder == folder and len(report.done) == 4 and len(report.failed) == 8
    assert calls[0] == (0, 12, None) and [c[0] for c in calls[1:]] == list(range(1, 13))
    assert "InvalidImageError" in report.failed[0].error
    rows = read_manifest(folder)
    assert sorted(r["output"] for r in rows) == sorted(_outputs(expand(exp)))
    done = next(r for r in rows if r["status"] == "done")
    assert done["params"]["rb_rate"] in (1.0, 0.9) and done["date"] == DATE and done["seconds"] > 0
    picture = folder / done["output"]
    assert read_metadata(picture)["params"] == done["params"]
    sheet = read_metadata(folder / "contact_sheet.png")["contact_sheet"]
    assert sorted(sheet) == sorted(r["output"] for r in rows)
    page = (folder / "index.html").read_text()
    for row in rows:
        assert f'href="{row["output"].replace("+", "%2B")}"' in page or row["status"] == "failed"
    assert page.count('class="failed"') == 8 and "http" not in page.replace("http-equiv", "")


def test_cli_corrupt_inputs_fail_alone_exit_1(tmp_path, broken, capsys):
    code = main(["batch", "--source", CAT, *broken, "--guide", SWIRL, "--set", "base_width=48", "--set", "n3=1",
                 "--layer", "none", "-o", str(tmp_path), "--date", DATE, "-q"])
    out = capsys.readouterr().out
    assert code == 1
    assert f"batch {tmp_path / DATE}: 1 done, 0 skipped, 2 failed" in out
    assert "failed: cut/swirl/__none_1.0_otsu.png: InvalidImageError" in out
    statuses = {r["output"]: r["status"] for r in read_manifest(tmp_path / DATE)}
    assert statuses == {"chelsea/swirl/__none_1.0_otsu.png": "done", "cut/swirl/__none_1.0_otsu.png": "failed",
                        "notes/swirl/__none_1.0_otsu.png": "failed"}


@pytest.mark.parametrize("argv, match", [
    (["--set", "n2"], "--set: expected FIELD=V1,V2"),
    (["--set", "colour=1,2"], "unknown field colour for mix; expected some of"),
    (["--set", "n2=5,big"], "n2: expected int values, got 'big'"),
    (["--set", "dd=maybe"], "dd: expected bool values"),
    (["--set", "spots_keep=1"], "spots_keep: a tuple field; expected it in the experiment file"),
    (["--rb-rate", ","], "rb_rate: expected values separated by commas"),
])
def test_cli_bad_options_exit_2(tmp_path, capsys, argv, match):
    import re

    code = main(["batch", "--source", CAT, "-o", str(tmp_path), *argv])
    assert code == 2 and re.search(match, capsys.readouterr().err)


def test_cli_bad_experiment_file_exits_2(tmp_path, capsys):
    (tmp_path / "e.toml").write_text("[grid]\nlayer = [\n")
    assert main(["batch", str(tmp_path / "e.toml"), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prisma-abu: error: ") and "got invalid TOML" in err and err.count("\n") == 1


def test_cli_needs_an_output_folder(capsys):
    assert main(["batch", "--source", CAT]) == 2
    assert "no output folder: expected -o OUT" in capsys.readouterr().err


def test_cli_dry_run_prints_and_writes_nothing(tmp_path, capsys):
    code = main(["batch", "--source", CAT, COFFEE, "--guide", SWIRL, "none", "--layer", "none",
                 "--enhance", "none,Sharpness,Contrast", "--set", "n2=5,9", "-o", str(tmp_path / "o"), "--dry-run"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and not (tmp_path / "o").exists()
    assert out[0].startswith("24 pictures in ") and "2 source x 2 guide x 3 enhance x 2 n2" in out[0]
    assert out[1] == "  chelsea/swirl/__none_1.0_otsu_n2-5.png" and out[-1] == "  ... and 14 more"


def test_cli_options_override_the_experiment_file(tmp_path, capsys):
    code = main(["batch", str(ROOT / "docs" / "experiment.toml"), "--source", COFFEE, "--layer", "none",
                 "--enhance", "Contrast", "-o", str(tmp_path), "--date", "2024_05_01", "--dry-run"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[0] == f"4 pictures in {tmp_path / DATE}: 4 guide; 0 already there"
    assert out[1] == "  coffee/swirl/_Contrast_none_1.0_otsu.png"


# --- resume ----------------------------------------------------------------------------------------

_SLOW_CLI = textwrap.dedent("""
    import sys, time
    import prisma_abu.batch as batch
    _render = batch.render
    def slow(job, **kw):
        time.sleep(0.4)
        return _render(job, **kw)
    batch.render = slow
    from prisma_abu.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_sigkill_mid_batch_then_rerun_finishes_once(tmp_path):
    argv = ["batch", "--source", CAT, COFFEE, "--guide", SWIRL, BRICK, "none", "--rb-rate", "1,0.9",
            "--layer", "none", "--set", "base_width=48", "--set", "n3=1", "-o", str(tmp_path), "--date", DATE, "-q"]
    folder = tmp_path / DATE
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_CLI, *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while len(_pictures(folder)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    first = {p: p.stat().st_mtime_ns for p in _pictures(folder)}
    assert 3 <= len(first) < 12
    for picture in first:
        assert read_image(picture).shape == (48, 48, 3)

    assert main(argv) == 0
    pictures = _pictures(folder)
    assert len(pictures) == 12 and not list(folder.rglob("*.part"))
    assert all(read_image(p).shape == (48, 48, 3) for p in pictures)
    assert all(p.stat().st_mtime_ns == mtime for p, mtime in first.items())  # nothing rendered twice
    rows = read_manifest(folder)
    assert sorted(r["output"] for r in rows) == sorted(str(p.relative_to(folder)) for p in pictures)
    assert {r["status"] for r in rows} <= {"done", "skipped"}


def test_a_picture_written_before_its_row_gets_one_on_rerun(tmp_path):
    exp = _experiment(tmp_path, grid={"rb_rate": [1.0, 0.9, 0.8]})
    run_experiment(exp)
    folder = exp.folder()
    lines = (folder / "manifest.jsonl").read_text().splitlines()
    (folder / "manifest.jsonl").write_text("\n".join(lines[:1]) + "\n" + lines[1][:40])  # killed mid-line
    (folder / ".x.png.123.part").write_bytes(b"half")
    report = run_experiment(exp)
    assert [r.status for r in report.results] == ["skipped"] * 3
    rows = read_manifest(folder)
    assert len(rows) == 3 and [r["status"] for r in rows] == ["done", "skipped", "skipped"]
    assert not (folder / ".x.png.123.part").exists()


def test_failed_pictures_are_retried_and_force_redoes_everything(tmp_path, broken):
    exp = _experiment(tmp_path, sources=(CAT, broken[1]))
    assert len(run_experiment(exp).failed) == 1
    Path(broken[1]).write_bytes(Path(COFFEE).read_bytes())  # the input is fixed
    report = run_experiment(exp)
    assert [r.status for r in report.results] == ["skipped", "done"]
    picture = exp.folder() / report.results[0].item.output
    before = picture.stat().st_mtime_ns
    report = run_experiment(exp, force=True)
    assert [r.status for r in report.results] == ["done", "done"] and picture.stat().st_mtime_ns > before
    assert [r["status"] for r in read_manifest(exp.folder())] == ["done", "done"]


def test_a_picture_made_with_other_parameters_is_not_skipped_silently(tmp_path):
    run_experiment(_experiment(tmp_path))
    report = run_experiment(_experiment(tmp_path, params={"seed": 5}))
    assert report.failed[0].error.endswith(
        "already holds a picture made with other parameters or inputs; "
        "expected to redo it with force (--force) or another date")


def test_one_batch_per_folder_at_a_time(tmp_path):
    import fcntl

    folder = tmp_path / "b"
    folder.mkdir()
    with open(folder / ".batch.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(InvalidParameterError, match="another batch is writing there"):
            run_batch(expand(_experiment(tmp_path)), folder)


def test_run_batch_refuses_repeated_outputs(tmp_path):
    items = expand(_experiment(tmp_path))
    with pytest.raises(InvalidParameterError, match="two pictures would be written"):
        run_batch(items * 2, tmp_path / "b")


# --- backends --------------------------------------------------------------------------------------

def test_dask_cluster_gives_the_same_pictures_as_loky(tmp_path, torch_threads):
    from distributed import LocalCluster

    exp = _experiment(tmp_path, guides=(SWIRL, BRICK, "none"),
                      params={"octave_n": 1, "iter_n": 3, "jitter": 4},
                      grid={"layer": ["stem", "none"], "rb_rate": [1.0, 0.9]})
    items = expand(exp)
    loky = run_batch(items, tmp_path / "loky", jobs=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask = run_batch(items, tmp_path / "dask", backend="dask", scheduler=cluster.scheduler_address)
    assert len(loky.done) == len(dask.done) == len(items) == 12
    for item in items:
        np.testing.assert_array_equal(read_image(tmp_path / "loky" / item.output),
                                      read_image(tmp_path / "dask" / item.output))


def test_unreachable_scheduler_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "DASK_CONNECT_TIMEOUT", "1s")
    with pytest.raises(InvalidParameterError, match="scheduler: cannot reach tcp://127.0.0.1:9"):
        run_batch(expand(_experiment(tmp_path)), tmp_path / "b", backend="dask", scheduler="tcp://127.0.0.1:9")


# --- the book's PrismaMaster -------------------------------------------------------------------------

def test_product_prisma_writes_the_originals_tree(tmp_path):
    save_dir = tmp_path / "out" / DATE
    report = PrismaMaster.product_prisma(
        [CAT], [SWIRL, None], [None, "stem"], [None, "Sharpness"], [1.0, 0.88], "otsu_func + stdmean_func",
        5, 28, 1, True, 1.0, 1.0, 1.5, 0.0, False, all_mask=False, save_dir=save_dir,
        base_width=48, force_iter_n=1, octave_n=1)
    assert report.ok
    expected = set()
    for guide in ("swirl", "none_gd"):
        for layer in ("none", "stem"):
            for enhance in ("", "Sharpness"):
                for rate in ("1.0", "0.88"):
                    mask = "mask" if (guide, layer) == ("none_gd", "stem") else "otsu_func+stdmean_func"
                    expected.add(f"chelsea/{guide}/_{enhance}_{layer}_{rate}_{mask}.png")
    assert {str(p.relative_to(save_dir)) for p in _pictures(save_dir)} == expected
    assert len(read_manifest(save_dir)) == 16 and (save_dir / "contact_sheet.png").is_file()


def test_product_prisma_without_a_mask_renders_the_three_and_all_mask_guides_loop(tmp_path):
    from prisma_abu.neural.backbones import load_backbone

    allmask = tmp_path / "swirl_allmask.jpg"
    allmask.write_bytes(Path(SWIRL).read_bytes())
    report = PrismaMaster.product_prisma(
        [CAT], [BRICK, str(allmask)], ["stem"], [None], [1.0], None, 5, 28, 1, True, 1.0, 1.0, 1.5, 0.0, False,
        True, tmp_path / "o", base_width=48, force_iter_n=1, octave_n=1)
    assert report.ok
    names = {r.item.output for r in report.results}
    for guide in ("brick", "swirl_allmask"):
        for mask in ("otsu_func", "features_func", "stdmean_func"):
            assert f"chelsea/{guide}/__stem_1.0_{mask}.png" in names
    shallow = load_backbone("efficientnet_lite0").shallow_layers
    for layer in shallow:
        for rate in ("0.88", "1.0"):
            assert f"chelsea/swirl_allmask/__{format_value(layer)}_{rate}_allmask_func.png" in names
    assert len(names) == 6 + 2 * len(shallow)


def test_product_prisma_wants_lists(tmp_path):
    with pytest.raises(InvalidParameterError, match="org_file_list: expected a list, got str"):
        PrismaMaster.product_prisma(CAT, [SWIRL], [None], [None], [1.0], "otsu_func", 5, 28, 1, True, 1.0, 1.0,
                                    1.5, 0.0, False, save_dir=tmp_path)


def test_product_prisma_wants_flags(tmp_path):
    with pytest.raises(InvalidParameterError, match="dd_factor: expected True or False, got 'yes'"):
        PrismaMaster.product_prisma([CAT], [SWIRL], [None], [None], [1.0], "otsu_func", 5, 28, 1, "yes", 1.0,
                                    1.0, 1.5, 0.0, False, save_dir=tmp_path)


def test_product_prisma_wants_entries(tmp_path):
    with pytest.raises(InvalidParameterError, match="rb_rate_list: expected at least one entry"):
        PrismaMaster.product_prisma([CAT], [SWIRL], [None], [None], [], "otsu_func", 5, 28, 1, True, 1.0,
                                    1.0, 1.5, 0.0, False, save_dir=tmp_path)


def test_batch_cli_is_registered():
    from prisma_abu.cli import build_parser

    args = build_parser().parse_args(["batch", "x.toml", "--jobs", "2", "--backend", "dask"])
    assert args.experiment == "x.toml" and args.jobs == 2 and args.backend == "dask"


def test_importing_batch_loads_no_network():
    code = "import sys, prisma_abu.batch, prisma_abu.master, prisma_abu.batch_cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "error"})
    assert out.stdout.strip() == "False"


def test_style_jobs_batch_as_contents_x_styles(tmp_path, capsys):
    from prisma_abu.cli import main as cli_main
    from prisma_abu.io import read_metadata as read_meta

    root = Path(__file__).resolve().parents[1]
    argv = ["batch", "--command", "style", "--source", str(root / "sample/chelsea.jpg"),
            str(root / "sample/coffee.jpg"), "--guide", str(root / "prisma_gd/swirl.jpg"),
            "--set", "image_size=32", "--set", "num_iterations=2", "--set", "save_iter=0",
            "--set", "print_iter=0", "--set", "style_weight=100,1000", "--date", "2020-01-01",
            "-o", str(tmp_path), "-q"]
    assert cli_main(argv) == 0
    folder = tmp_path / "2020-01-01"
    pictures = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png") if p.parent != folder)
    assert pictures == ["chelsea/swirl/_5.0_100.0.png", "chelsea/swirl/_5.0_1000.0.png",
                        "coffee/swirl/_5.0_100.0.png", "coffee/swirl/_5.0_1000.0.png"]
    meta = read_meta(folder / pictures[1])
    assert meta["command"] == "style" and meta["params"]["style_weight"] == 1000.0
    assert meta["inputs"]["style0"]["path"].endswith("swirl.jpg")
