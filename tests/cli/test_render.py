"""The picture commands as a user meets them: exit codes, one-line errors, no half-written files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from prisma_abu.cli import main
from prisma_abu.io import read_image, read_metadata

from cli_support import FAST, GUIDE, SAMPLE, _error_line


def test_dream_writes_picture_with_parameters(tmp_path, capsys):
    out = tmp_path / "d.png"
    assert main(["dream", SAMPLE, "--layer", "blocks.1", "--seed", "3", *FAST, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    img = read_image(out)
    assert img.shape[1] == 96
    meta = read_metadata(out)
    assert meta["command"] == "dream"
    assert meta["params"]["layers"] == ["blocks.1"] and meta["params"]["seed"] == 3
    assert meta["inputs"]["image"]["sha256"]


def test_replay_gives_the_same_bytes(tmp_path):
    first, again = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["dream", SAMPLE, "--layer", "stem", *FAST, "-o", str(first)]) == 0
    assert main(["replay", str(first), "-o", str(again), "-q"]) == 0
    assert first.read_bytes() == again.read_bytes()


def test_replay_refuses_changed_input(tmp_path, capsys):
    src = tmp_path / "in.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(src)
    out = tmp_path / "a.png"
    assert main(["dream", str(src), "--layer", "stem", *FAST, "-o", str(out)]) == 0
    Image.fromarray(np.full((40, 40, 3), 91, np.uint8)).save(src)
    assert main(["replay", str(out), "-o", str(tmp_path / "b.png")]) == 2
    assert "changed since the picture was made" in _error_line(capsys)
    assert not (tmp_path / "b.png").exists()


def test_guided_dream(tmp_path):
    out = tmp_path / "g.png"
    assert main(["dream", SAMPLE, "--guide", GUIDE, "--layer", "blocks.2", *FAST, "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["params"]["objective"] == "guide" and meta["inputs"]["guide"]["path"].endswith("swirl.jpg")


@pytest.mark.parametrize("args, message", [
    (["dream", "nope.jpg"], "nope.jpg: no such file"),
    (["dream", "sample"], "pictures need a folder; expected -o DIR"),
    (["dream", "README.md"], "not a picture Pillow can read"),
    (["dream", SAMPLE, "--layer", "blocks.99"], r"unknown layer 'blocks.99' .*expected one of its \d+ layers .*closest: blocks.9"),
    (["dream", SAMPLE, "--backbone", "resnet"], "expected one of"),
    (["dream", SAMPLE, "--iter-n", "-3"], r"iter_n: expected a value in \[0, 1000\], got -3"),
    (["dream", SAMPLE, "--iter-n", "100000"], r"iter_n: expected a value in \[0, 1000\], got 100000"),  # issue 18
    (["dream", SAMPLE, "--octave-n", "40"], r"octave_n: expected a value in \[1, 16\], got 40"),
    (["dream", SAMPLE, "--octave-scale", "0.2"], "octave_scale: expected a value in"),
    (["dream", SAMPLE, "--guide", "missing.jpg"], "missing.jpg: no such file"),
    (["dream", SAMPLE, "--objective", "guide"], "objective 'guide' needs a guide image"),
])
def test_bad_input_is_one_line_exit_2_no_file(tmp_path, capsys, args, message):
    out = tmp_path / "o.png"
    assert main([*args, "-q", "-o", str(out)]) == 2
    import re

    assert re.search(message, _error_line(capsys))
    assert list(tmp_path.iterdir()) == []


def test_truncated_input(tmp_path, capsys):
    from pathlib import Path

    data = Path(SAMPLE).read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    out = tmp_path / "o.png"
    assert main(["dream", str(tmp_path / "cut.jpg"), "-o", str(out)]) == 2
    assert "broken or truncated" in _error_line(capsys)
    assert not out.exists()


def test_bad_output_suffix_fails_before_work(tmp_path, capsys):
    assert main(["dream", SAMPLE, "-o", str(tmp_path / "o.gif")]) == 2
    assert "cannot write a .gif file" in _error_line(capsys)


def test_unknown_option_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["dream", SAMPLE, "--bogus"])
    assert exc.value.code == 2


def test_params_file_is_the_starting_point(tmp_path):
    from prisma_abu.params import DreamParams

    pfile = tmp_path / "p.toml"
    pfile.write_text(DreamParams(layers=("stem",), iter_n=1, octave_n=1, size=64, seed=9).to_toml())
    out = tmp_path / "o.png"
    assert main(["dream", SAMPLE, "--params", str(pfile), "--seed", "4", "-q", "-o", str(out)]) == 0
    p = read_metadata(out)["params"]
    assert p["seed"] == 4 and p["iter_n"] == 1 and p["layers"] == ["stem"]


def test_a_params_files_mask_knobs_are_honoured_not_replaced_by_auto(tmp_path):
    # issue 19: a file's mask = "otsu" and n3 = 60 were silently replaced by auto's choices
    pfile = tmp_path / "p.toml"
    pfile.write_text('mask = "otsu"\nn3 = 60\nsize = 64\nlayer = "None"\n')
    out = tmp_path / "o.png"
    assert main(["mix", SAMPLE, "--guide", GUIDE, "--params", str(pfile), "-q", "-o", str(out)]) == 0
    p = read_metadata(out)["params"]
    assert (p["mask"], p["n3"], p["auto"]) == ("otsu", 60, False)
    again = tmp_path / "auto.png"  # unless the file (or the command line) asks for auto too
    assert main(["mix", SAMPLE, "--guide", GUIDE, "--params", str(pfile), "--auto", "-q", "-o", str(again)]) == 0
    assert read_metadata(again)["params"]["n3"] != 60


def test_console_script_runs_as_a_process(tmp_path):
    exe = [sys.executable, "-m", "prisma_abu.cli"]
    done = subprocess.run([*exe, "dream", "nope.jpg", "-o", str(tmp_path / "x.png")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("prisma-abu: error:")


def test_mix_mask_and_features_commands(tmp_path):
    out = tmp_path / "m.png"
    assert main(["mix", SAMPLE, "--guide", GUIDE, "--mask", "otsu+features", "--n1", "5", "--n2", "25",
                 "--n3", "1", "--no-dd", "--rb-rate", "0.88", "--enhance", "Sharpness", "--layer", "none",
                 "--base-width", "96", "--seed", "0", "-q", "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["command"] == "mix" and meta["params"]["dd"] is False and meta["params"]["layer"] is None
    assert read_image(out).shape == (63, 96, 3)  # the aspect kept: chelsea is 451x300
    mask = tmp_path / "mask.png"
    assert main(["mask", SAMPLE, "--mask", "otsu", "--base-width", "96", "-o", str(mask)]) == 0
    assert set(np.unique(read_image(mask))) <= {0.0, 255.0}
    assert main(["features", SAMPLE, "--base-width", "96", "-o", str(tmp_path / "f.png")]) == 0
    again = tmp_path / "again.png"
    assert main(["replay", str(out), "-o", str(again), "-q"]) == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--n3", "500", "--base-width", "96"], r"n3: expected a window between 1 and 96"),
    (["--n1", "0"], r"n1: expected a value in \[1, 100000\], got 0"),
    (["--rb-rate", "1.5"], r"rb_rate: expected a value in \(0, 1\], got 1.5"),
    (["--convd-big-factor", "-1"], "convd_big_factor: expected a value in"),
    (["--guide", "README.md"], "README.md: not a picture"),
    (["--mask", "sobel"], "sobel"),
])
def test_mix_bad_input(tmp_path, capsys, args, message):
    import re

    out = tmp_path / "o.png"
    argv = ["mix", SAMPLE, *args, "-q", "-o", str(out)]
    if "--guide" not in args:
        argv[2:2] = ["--guide", GUIDE]
    assert main(argv) == 2
    assert re.search(message, _error_line(capsys))
    assert not out.exists()


@pytest.mark.parametrize("texture", ["fine", "strokes", "bold"])
def test_mix_progress_counts_the_texture_presets_steps(texture):
    # issue 18: mix's bar announced 40 steps (octave_n 4 x iter_n 10) for a 12-step texture dream
    from prisma_abu.commands import progress_steps
    from prisma_abu.jobs import Job
    from prisma_abu.params import MixParams
    from prisma_abu.params.mix import TEXTURES

    job = Job("mix", MixParams(texture=texture), {"source": SAMPLE, "guide": GUIDE})
    preset = TEXTURES[texture]
    assert progress_steps(job) == preset["octave_n"] * preset["iter_n"] != 40
