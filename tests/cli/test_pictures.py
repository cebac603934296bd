"""Scripting the picture commands: folders in and out, default names, stdin/stdout, --json, exit codes."""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from prisma_abu.cli import build_parser, main
from prisma_abu.io import read_image, read_metadata

from cli_support import GUIDE, SAMPLE, _error_line

#: a mix with no network: fast everywhere
QUICK_MIX = ["--layer", "none", "--size", "48", "--n3", "1", "-q"]


def _subparsers() -> dict:
    parser = build_parser()
    return next(a for a in parser._actions if a.dest == "command").choices


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: prisma-abu " + command) and " P_" not in text  # values are named
    for action in _subparsers()[command]._actions:  # every option says what it does, not just its default
        if action.option_strings and action.dest != "help" and action.help != argparse.SUPPRESS:  # (old spellings)
            assert action.help and len(action.help) > 12 and not action.help.startswith("default"), action.dest


def test_mix_help_names_values_and_lists_choices(capsys):
    with pytest.raises(SystemExit):
        main(["mix", "--help"])
    text = capsys.readouterr().out
    assert "--n1 PIXELS" in text and "--precision {auto,fp32,bf16}" in text
    assert "--size PIXELS, --base-width PIXELS" in text and "old spelling --base-width" in text
    assert "default: otsu" in text and "default: none" in text and "default: on" in text


def test_a_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["mix", SAMPLE, "--precision", "fp16"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'fp16'" in err[0] and "see prisma-abu mix --help" in err[0]


def test_a_folder_in_gives_one_picture_per_photo_in_a_folder_out(tmp_path, capsys):
    out = tmp_path / "painted"
    assert main(["mix", "sample", "--guide", GUIDE, *QUICK_MIX, "-o", str(out) + "/"]) == 0
    photos = sorted(p.stem for p in Path("sample").glob("*.jpg"))
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}_mix.png" for stem in photos]
    printed = capsys.readouterr().out.split()
    assert sorted(printed) == sorted(str(p) for p in out.iterdir())


def test_default_names_go_to_out_and_never_overwrite(tmp_path, monkeypatch):
    photo = tmp_path / "cat.jpg"
    shutil.copy(SAMPLE, photo)
    monkeypatch.chdir(tmp_path)
    assert main(["mix", str(photo), *QUICK_MIX]) == 0
    assert main(["mix", str(photo), *QUICK_MIX, "--force"]) == 0  # without --force: skipped, done before
    assert main(["mask", str(photo), "--size", "48", "-q"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cat_mask.png", "cat_mix.png", "cat_mix_1.png"]


def _run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prisma_abu", *args], input=stdin, capture_output=True,
                          cwd=Path(__file__).resolve().parents[2])


def test_stdout_gets_a_png_with_its_parameters_and_stdin_is_a_picture():
    done = _run(["mix", "-", "--guide", GUIDE, *QUICK_MIX, "-o", "-"], stdin=Path(SAMPLE).read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    picture = Image.open(io.BytesIO(done.stdout))
    assert picture.size == (48, 31)
    meta = json.loads(picture.info["prisma_abu"])
    assert meta["command"] == "mix" and meta["inputs"]["source"]["path"] == "-"


def test_json_prints_one_object_per_picture(tmp_path, capsys):
    assert main(["dream", SAMPLE, "--iter-n", "1", "--octave-n", "1", "--size", "48", "-q", "--json",
                 "-o", str(tmp_path / "d.png")]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert {"input", "output", "command", "params", "seconds", "device", "precision", "status"} <= set(row)
    assert row["output"] == str(tmp_path / "d.png") and row["status"] == "done" and row["command"] == "dream"
    assert row["precision"] in ("fp32", "bf16") and row["device"] == "cpu" and row["seconds"] > 0
    assert row["params"]["precision"] == row["precision"]  # what ran, not "auto"


def test_one_broken_input_of_three_exits_1_and_the_others_are_written(tmp_path, broken, capsys):
    out = tmp_path / "o"
    code = main(["mix", SAMPLE, broken[0], "sample/coffee.jpg", "--guide", GUIDE, *QUICK_MIX, "--json",
                 "-o", str(out)])
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["chelsea_mix.png", "coffee_mix.png"]
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["status"] for r in rows] == ["done", "failed", "done"] and "truncated" in rows[1]["error"]


def test_every_input_broken_exits_2(tmp_path, broken):
    assert main(["mix", *broken, *QUICK_MIX, "-o", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_an_output_that_is_the_input_is_refused_and_the_input_untouched(tmp_path, capsys):
    photo = tmp_path / "photo.jpg"
    shutil.copy(SAMPLE, photo)
    before = photo.read_bytes()
    assert main(["dream", str(photo), "--iter-n", "1", "--octave-n", "1", "-q", "-o", str(photo)]) == 2
    assert "is the image picture itself" in _error_line(capsys)
    assert photo.read_bytes() == before
    link = tmp_path / "link.jpg"
    link.symlink_to(photo)
    assert main(["mix", str(link), *QUICK_MIX, "-o", str(photo)]) == 2  # the same file under another name
    assert photo.read_bytes() == before
    capsys.readouterr()
    assert main(["mix", str(photo), *QUICK_MIX, "--overwrite", "-o", str(photo)]) == 0  # asked for
    assert read_image(photo).shape == (31, 48, 3)


def test_replay_onto_itself_is_refused(tmp_path, capsys):
    first = tmp_path / "a.png"
    assert main(["mix", SAMPLE, *QUICK_MIX, "-o", str(first)]) == 0
    before = first.read_bytes()
    assert main(["replay", str(first), "-q", "-o", str(first)]) == 2
    assert first.read_bytes() == before


@pytest.mark.parametrize("paths, stored", [("relative", "../sample/chelsea.jpg"), ("name", "chelsea.jpg")])
def test_metadata_paths(tmp_path, monkeypatch, paths, stored):
    (tmp_path / "sample").mkdir()
    shutil.copy(SAMPLE, tmp_path / "sample" / "chelsea.jpg")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "pictures" / "c.png"
    assert main(["mix", "sample/chelsea.jpg", *QUICK_MIX, "--metadata-paths", paths, "-o", str(out)]) == 0
    entry = read_metadata(out)["inputs"]["source"]
    assert entry["path"] == stored and len(entry["sha256"]) == 64
    assert str(tmp_path) not in json.dumps(read_metadata(out))  # no folder of the user's in the picture


def test_absolute_metadata_paths_when_asked(tmp_path):
    out = tmp_path / "c.png"
    assert main(["mix", SAMPLE, *QUICK_MIX, "--metadata-paths", "absolute", "-o", str(out)]) == 0
    assert read_metadata(out)["inputs"]["source"]["path"] == str(Path(SAMPLE).resolve())


def test_a_picture_below_the_output_is_stored_relative_and_replays_after_a_move(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "cat.jpg")
    out = folder / "cat_mix.png"
    assert main(["mix", str(folder / "cat.jpg"), *QUICK_MIX, "-o", str(out)]) == 0
    assert read_metadata(out)["inputs"]["source"]["path"] == "cat.jpg"
    moved = tmp_path / "moved"
    folder.rename(moved)  # the whole project elsewhere: the picture still finds its photo
    assert main(["replay", str(moved / "cat_mix.png"), "-q", "-o", str(moved / "again.png")]) == 0
    assert (moved / "again.png").read_bytes() == (moved / "cat_mix.png").read_bytes()


def test_a_default_name_taken_while_rendering_is_not_overwritten(tmp_path, monkeypatch, capsys):
    # issue 18: three concurrent `stylize` runs all printed out/chelsea_stylize.png and only one file survived;
    # here another run writes the planned name while this one renders
    import prisma_abu.jobs

    photo = tmp_path / "cat.jpg"
    shutil.copy(SAMPLE, photo)
    monkeypatch.chdir(tmp_path)
    render = prisma_abu.jobs.render_job

    def render_while_another_writes(job, **kw):
        (tmp_path / "out").mkdir(exist_ok=True)
        (tmp_path / "out" / "cat_mix.png").write_bytes(b"the other run's picture")
        return render(job, **kw)
    monkeypatch.setattr(prisma_abu.jobs, "render_job", render_while_another_writes)
    assert main(["mix", str(photo), *QUICK_MIX]) == 0
    assert (tmp_path / "out" / "cat_mix.png").read_bytes() == b"the other run's picture"
    assert capsys.readouterr().out.split() == [str(Path("out") / "cat_mix_1.png")]
    assert read_metadata(tmp_path / "out" / "cat_mix_1.png")["command"] == "mix"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cat_mix.png", "cat_mix_1.png"]  # no .part


def test_concurrent_writers_of_one_name_each_keep_their_file(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from prisma_abu.io import write_bytes_new_name

    with ThreadPoolExecutor(8) as pool:
        written = list(pool.map(lambda i: write_bytes_new_name(tmp_path / "cat.png", b"%d" % i), range(8)))
    assert len(set(written)) == 8 and sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    assert sorted(int(p.read_bytes()) for p in written) == list(range(8))


def test_viewer_without_a_display_is_one_line_before_qt_is_imported(monkeypatch, capsys):
    # issue 18: `prisma-abu viewer` with no display aborted (SIGABRT, exit 134): importing the viewer loads Qt
    import types

    import prisma_abu.cli.gui as gui_cli

    app = types.ModuleType("prisma_abu_gui.app")
    app.display_problem = lambda: "no display: expected $DISPLAY or $WAYLAND_DISPLAY"
    package = types.ModuleType("prisma_abu_gui")
    package.__path__ = []
    monkeypatch.setitem(sys.modules, "prisma_abu_gui", package)
    monkeypatch.setitem(sys.modules, "prisma_abu_gui.app", app)
    monkeypatch.setitem(sys.modules, "prisma_abu_gui.viewer", None)  # importing it fails: stands for Qt's abort
    monkeypatch.setattr(gui_cli, "_missing", lambda: [])
    assert main(["viewer"]) == 2
    assert capsys.readouterr().err == "prisma-abu: error: no display: expected $DISPLAY or $WAYLAND_DISPLAY\n"


def test_output_paths_are_printed_through_the_bar_not_into_it(tmp_path, monkeypatch, capsys):
    # issue 18: with stdout and stderr on one terminal the paths landed in the middle of progress lines
    import tqdm

    written = []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(tqdm.tqdm, "write", classmethod(lambda cls, s, file=None, **kw: written.append(s)))
    out = tmp_path / "painted"
    assert main(["mix", SAMPLE, GUIDE, "--guide", GUIDE, "--layer", "none", "--size", "48", "--n3", "1",
                 "-o", str(out) + "/"]) == 0
    assert sorted(written) == sorted(str(p) for p in out.iterdir()) and len(written) == 2


def test_without_a_terminal_a_long_run_logs_its_steps(tmp_path, monkeypatch, capsys):
    # issue 18: without a terminal a long run printed nothing until it ended
    import prisma_abu.pipeline.progress as progress

    monkeypatch.setattr(progress, "LOG_EVERY_S", 0.0)
    assert main(["stylize", SAMPLE, "--model", "multistyle26:1", "--size", "64", "-o", str(tmp_path / "a.png")]) == 0
    assert "chelsea.jpg: step 1/1" in capsys.readouterr().err
