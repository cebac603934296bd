"""prisma_abu.cli.batch: options, exit codes, dry runs, style batches."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from prisma_abu.batch import read_manifest
from prisma_abu.cli import main

from batch_support import cli_batch_folder, CAT, COFFEE, DATE, ROOT, SWIRL


def test_cli_corrupt_inputs_fail_alone_exit_1(tmp_path, broken, capsys):
    argv = ["batch", "--source", CAT, *broken, "--guide", SWIRL, "--set", "base_width=48", "--set", "n3=1",
            "--layer", "none", "-o", str(tmp_path), "--date", DATE, "-q"]
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 1
    folder = cli_batch_folder(argv)
    assert folder.parent == tmp_path / DATE
    assert f"batch {folder}: 1 done, 0 skipped, 2 failed" in out
    assert "failed: cut/swirl/__none_1.0_otsu.png: InvalidImageError" in out
    statuses = {r["output"]: r["status"] for r in read_manifest(folder)}
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


def _no_render(monkeypatch):
    import prisma_abu.jobs

    def refuse(*a, **k):
        raise AssertionError("a dry run rendered a picture")
    for name in ("render", "render_job", "run_job"):
        monkeypatch.setattr(prisma_abu.jobs, name, refuse)


def test_cli_dry_run_prints_renders_and_writes_nothing(tmp_path, capsys, monkeypatch):
    # issue 18: a style batch's dry run took 2 min 20 s, rendering its first picture for the estimate
    _no_render(monkeypatch)
    argv = ["batch", "--source", CAT, COFFEE, "--guide", SWIRL, "none", "--layer", "none",
            "--enhance", "none,Sharpness,Contrast", "--set", "n2=5,9", "-o", str(tmp_path / "o"), "--dry-run"]
    code = main(argv)
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and not (tmp_path / "o").exists()
    assert out[0].startswith("24 pictures in ") and "2 source x 2 guide x 3 enhance x 2 n2" in out[0]
    assert out[1] == "  chelsea/swirl/__none_1.0_otsu_n2-5.png" and out[-2] == "  ... and 14 more"
    assert out[-1].startswith("estimate: none yet (no earlier mix batch recorded under ")
    assert main([*argv, "--no-estimate"]) == 0 and not capsys.readouterr().out.splitlines()[-1].startswith("estimate")


def test_cli_dry_run_estimates_from_recorded_manifests(tmp_path, capsys, monkeypatch):
    import json

    earlier = tmp_path / "o" / "2024-01-01" / "mix-00000000"
    earlier.mkdir(parents=True)
    rows = [{"output": f"a/{i}.png", "command": "mix", "status": "done", "seconds": s} for i, s in enumerate((2, 3, 4))]
    rows.append({"output": "b.png", "command": "style", "status": "done", "seconds": 500})
    (earlier / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _no_render(monkeypatch)
    assert main(["batch", "--source", CAT, COFFEE, "--guide", SWIRL, "--layer", "none", "--set", "n2=5,9",
                 "-o", str(tmp_path / "o"), "--dry-run"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("estimate: about 12 s for all (3.00 s a picture, the median of 3 recorded"), last


def test_cli_options_override_the_experiment_file(tmp_path, capsys):
    code = main(["batch", str(ROOT / "docs" / "experiment.toml"), "--source", COFFEE, "--layer", "none",
                 "--enhance", "Contrast", "-o", str(tmp_path), "--date", "2024_05_01", "--dry-run"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[0].startswith(f"4 pictures in {tmp_path / DATE}/mix-") and out[0].endswith(": 4 guide")
    assert out[1] == "  coffee/swirl/_Contrast_none_1.0_otsu.png"


def test_a_huge_grid_is_counted_without_being_built_and_refused(tmp_path, capsys):
    import time

    values = ",".join(str(n) for n in range(1, 1001))  # 1000 x 1000 x 1000 x 2 sources = 2e9 pictures
    argv = ["batch", "--source", CAT, COFFEE, "--layer", "none", "--set", f"n1={values}", "--set", f"n2={values}",
            "--set", f"n3={values}", "-o", str(tmp_path / "o")]
    start = time.perf_counter()
    assert main([*argv, "--dry-run", "--no-estimate"]) == 0
    assert time.perf_counter() - start < 30  # counted from the axes, not days of expansion (a loose bound)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2,000,000,000 pictures in ") and "refused without --max-pictures" in out[0]
    assert len(out) == 12 and out[-1] == "  ... and 1,999,999,990 more"
    assert main(argv) == 2
    assert "2,000,000,000 pictures: more than 1,000,000" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_set_takes_one_field_and_says_the_right_form(capsys):
    assert main(["batch", "--source", CAT, "--set", "iter_n=1,octave_n=1", "-o", "x", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "one field per --set; expected --set iter_n=1 --set octave_n=1" in err


def test_batch_cli_is_registered():
    from prisma_abu.cli import build_parser

    args = build_parser().parse_args(["batch", "x.toml", "--jobs", "2", "--backend", "dask"])
    assert args.experiment == "x.toml" and args.jobs == 2 and args.backend == "dask"


def test_importing_batch_loads_no_network():
    code = "import sys, prisma_abu.batch, prisma_abu.master, prisma_abu.cli.batch; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONWARNINGS": "error"})
    assert out.stdout.strip() == "False"


def test_style_jobs_batch_as_contents_x_styles(tmp_path, capsys):
    from prisma_abu.cli import main as cli_main
    from prisma_abu.io import read_metadata as read_meta

    root = ROOT
    argv = ["batch", "--command", "style", "--source", str(root / "sample/chelsea.jpg"),
            str(root / "sample/coffee.jpg"), "--guide", str(root / "prisma_gd/swirl.jpg"),
            "--set", "image_size=32", "--set", "num_iterations=2", "--set", "save_iter=0",
            "--set", "print_iter=0", "--set", "style_weight=100,1000", "--date", "2020-01-01",
            "-o", str(tmp_path), "-q"]
    assert cli_main(argv) == 0
    folder = cli_batch_folder(argv)
    pictures = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png") if p.parent != folder)
    assert pictures == ["chelsea/swirl/_5.0_100.0.png", "chelsea/swirl/_5.0_1000.0.png",
                        "coffee/swirl/_5.0_100.0.png", "coffee/swirl/_5.0_1000.0.png"]
    meta = read_meta(folder / pictures[1])
    assert meta["command"] == "style" and meta["params"]["style_weight"] == 1000.0
    assert meta["inputs"]["style0"]["path"].endswith("swirl.jpg")


def test_cli_json_prints_each_row_and_the_totals_and_output_is_spelled_like_every_command(tmp_path, broken,
                                                                                          capsys):
    import json

    argv = ["batch", "--source", CAT, *broken, "--guide", SWIRL, "--set", "base_width=48", "--set", "n3=1",
            "--layer", "none", "--output", str(tmp_path), "--date", DATE, "-q", "--json"]
    assert main(argv) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    rows, totals = lines[:-1], lines[-1]
    folder = cli_batch_folder(argv)
    assert (totals["folder"], totals["done"], totals["failed"]) == (str(folder), 1, 2)
    assert {r["output"]: r["status"] for r in rows} == {
        str(folder / "chelsea/swirl/__none_1.0_otsu.png"): "done", str(folder / "cut/swirl/__none_1.0_otsu.png"):
            "failed", str(folder / "notes/swirl/__none_1.0_otsu.png"): "failed"}
    done = next(r for r in rows if r["status"] == "done")
    assert os.path.isfile(done["output"]) and done["params"]["n3"] == 1 and done["seconds"] > 0
