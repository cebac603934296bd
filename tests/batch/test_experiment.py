"""prisma_abu.batch.experiment: the grid, names, inputs, validation, dates, experiment files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from prisma_abu.batch import (
    Experiment,
    batch_date,
    expand,
    expand_inputs,
    load_experiment,
)
from prisma_abu.errors import InvalidParameterError

from batch_support import BRICK, CAT, COFFEE, DATE, FAST, ROOT, SWIRL, _experiment, _outputs


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


def test_inputs_may_be_folders_and_globs(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    for name in ("b.png", "a.jpg", "c.txt"):
        (folder / name).write_bytes(b"x")
    expected = (str(folder / "a.jpg"), str(folder / "b.png"))
    assert expand_inputs([folder], role="source") == expected
    assert expand_inputs([str(folder / "*.*g"), str(folder / "a.jpg")], role="source") == expected
    assert expand_inputs(["none", SWIRL], role="guide", optional=True) == (None, SWIRL)


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
    ({"layer": ["blocks.1", "blocks.99"]}, "unknown layer 'blocks.99' for efficientnet_lite0; expected one of its"),
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
    assert exp.folder().parent == tmp_path / "result" / DATE and exp.folder().name.startswith("mix-")
    items = expand(exp)
    assert items[0].job.inputs == {"source": str(folder / "pics" / "cat.jpg"), "guide": SWIRL}
    # no mask knob given: auto chooses each picture's mask, and the names say so
    assert _outputs(items) == ["cat/swirl/__none_1.0_auto.png", "cat/swirl/__none_0.5_auto.png",
                               "cat/none_gd/__none_1.0_auto.png", "cat/none_gd/__none_0.5_auto.png"]


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
