"""What the audit of hostile runs found: each is one line and exit 2, nothing written, no traceback."""

from __future__ import annotations

import json
import os
import shutil
import stat

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from prisma_abu.cli import main
from prisma_abu.io import read_metadata, write_image

from cli_support import GUIDE, SAMPLE, _error_line

QUICK_MIX = ["--layer", "none", "--size", "48", "--n3", "1", "-q"]
QUICK_STYLE = ["--style", GUIDE, "--num-iterations", "2", "--scales", "1", "--precision", "fp32", "--save-iter", "0",
               "--print-iter", "0", "-q"]


def _fails(capsys, argv, message, tmp_path=None):
    try:
        code = main(argv)
    except SystemExit as exc:  # a usage error: argparse's, printed as one line too
        code = exc.code
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and ": error: " in err[0], err
        line = err[0]
    else:
        line = _error_line(capsys)
    assert code == 2
    assert message in line and "Traceback" not in line, line
    return line


def test_a_folder_no_one_can_write_in_is_one_line(tmp_path, capsys):
    _fails(capsys, ["mix", SAMPLE, *QUICK_MIX, "-o", "/proc/prisma_abu/x.png"], "cannot write there")


def test_an_output_folder_that_is_read_only_or_below_a_file_fails_before_rendering(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        _fails(capsys, ["mix", SAMPLE, *QUICK_MIX, "-o", str(locked / "x.png")], "permission denied")
    finally:
        locked.chmod(stat.S_IRWXU)


def test_an_output_below_a_file_or_with_a_name_too_long(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    _fails(capsys, ["mix", SAMPLE, *QUICK_MIX, "-o", str(tmp_path / "file" / "x.png")], "is a file, not a folder")
    _fails(capsys, ["mix", SAMPLE, *QUICK_MIX, "-o", str(tmp_path / ("n" * 300 + ".png"))], "longer than 255 bytes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_batch_into_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    _fails(capsys, ["batch", "--source", SAMPLE, "--layer", "none", "-o", str(tmp_path / "file")], "is a file")


@pytest.mark.parametrize("shape, size", [((20, 8000), 128), ((100, 4000), 512), ((300, 451), 16)])
def test_style_on_a_picture_too_thin_for_the_network(tmp_path, capsys, shape, size):
    thin = tmp_path / "thin.png"
    write_image(thin, np.full((*shape, 3), 128, np.uint8))
    _fails(capsys, ["style", str(thin), *QUICK_STYLE, "--size", str(size), "-o", str(tmp_path / "o.png")],
           "too small for vgg16")
    assert not (tmp_path / "o.png").exists()


def test_numbers_the_machine_cannot_do(tmp_path, capsys):
    out = str(tmp_path / "o.png")
    _fails(capsys, ["dream", SAMPLE, "--jitter", "1e20", "-o", out], "argument --jitter: expected a whole number")
    _fails(capsys, ["dream", SAMPLE, "--jitter", "100000", "-o", out], "jitter: expected a value in [0, 4096]")
    _fails(capsys, ["dream", SAMPLE, "--step-size", "1e300", "-o", out], "step_size: expected a value in [0, 255]")
    _fails(capsys, ["dream", SAMPLE, "--channels", "999999", "--iter-n", "1", "-o", out],
           "channels: expected channel numbers below")
    _fails(capsys, ["dream", SAMPLE, "--size", "100000", "-o", out], "megapixels; expected at most 50")
    _fails(capsys, ["mix", SAMPLE, "--size", "20000", "-o", out], "megapixels; expected at most 50")
    assert list(tmp_path.iterdir()) == []


def test_params_given_a_picture_or_text_that_is_not_utf8(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe n1 = 3")
    _fails(capsys, ["mix", SAMPLE, *QUICK_MIX, "--params", str(bad), "-o", str(tmp_path / "o.png")],
           "is not UTF-8 text")
    _fails(capsys, ["mix", SAMPLE, *QUICK_MIX, "--params", SAMPLE, "-o", str(tmp_path / "o.png")],
           "carries no prisma_abu parameters")
    made = tmp_path / "made.png"
    assert main(["mix", SAMPLE, *QUICK_MIX, "--n2", "9", "-o", str(made)]) == 0
    capsys.readouterr()
    again = tmp_path / "again.png"
    assert main(["mix", SAMPLE, "-q", "--params", str(made), "-o", str(again)]) == 0  # a picture it wrote: fine
    assert read_metadata(again)["params"]["n2"] == 9


@pytest.mark.parametrize("table, message", [
    ('[batch]\ncommand = ["mix"]\nout = "o"\n', "for a batch, got ['mix']"),
    ('[batch]\nsources = 5\nout = "o"\n', "expected a path, a folder, a glob or a list of them, got 5"),
    ('[batch]\njobs = "2"\nout = "o"\n', "jobs: expected a whole number"),
])
def test_experiment_files_of_the_wrong_types(tmp_path, capsys, table, message):
    path = tmp_path / "e.toml"
    path.write_text(table)
    _fails(capsys, ["batch", str(path)], message)


def _forged(tmp_path, change) -> str:
    made = tmp_path / "made.png"
    assert main(["mix", SAMPLE, *QUICK_MIX, "-o", str(made)]) == 0
    meta = read_metadata(made)
    change(meta)
    forged = tmp_path / "forged.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("prisma_abu", meta if isinstance(meta, str) else json.dumps(meta))
    Image.open(made).save(forged, pnginfo=info)
    return str(forged)


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update(inputs=[1, 2]), "inputs are not a table of roles"),
    (lambda m: m["inputs"]["source"].pop("sha256"), "expected a path and a sha256"),
    (lambda m: m["params"].update(n1=10 ** 400), "n1: expected a value in"),
    (lambda m: m.update(command="dream", inputs={"image": m["inputs"]["source"]}),
     "dream: expected dream parameters, got mix parameters"),
    (lambda m: m.update(command="dream"), "dream takes no input source; refusing to read it"),
    (lambda m: m["inputs"].update(shadow={"path": "/etc/shadow", "sha256": "0" * 64}), "mix takes no input shadow"),
    (lambda m: m["inputs"].update(shadow={"path": "/no/such/file", "sha256": "0" * 64}), "mix takes no input shadow"),
])
def test_forged_replay_metadata(tmp_path, capsys, change, message):
    forged = _forged(tmp_path, change)
    capsys.readouterr()
    _fails(capsys, ["replay", forged, "-q", "-o", str(tmp_path / "r.png")], message)
    assert not (tmp_path / "r.png").exists()


def test_metadata_nested_deeper_than_json_can_read(tmp_path, capsys):
    forged = _forged(tmp_path, lambda m: None)
    Image.open(forged).save(forged, pnginfo=_deep_info())
    capsys.readouterr()
    _fails(capsys, ["replay", forged, "-q", "-o", str(tmp_path / "r.png")], "not valid JSON")


def _deep_info():
    info = PngImagePlugin.PngInfo()
    info.add_itxt("prisma_abu", "[" * 100_000 + "]" * 100_000)
    return info


def test_a_jpeg_whose_parameters_pass_64_kb_keeps_them(tmp_path):
    spots = ";".join(f"{i % 40},{i % 37},1" for i in range(6000))
    out = tmp_path / "many.jpg"
    assert main(["mix", SAMPLE, *QUICK_MIX, "--spots-keep", spots, "-o", str(out)]) == 0
    assert len(read_metadata(out)["params"]["spots_keep"]) == 6000


def test_a_killed_write_leaves_nothing_a_later_write_does_not_clean(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (tmp_path / f".o.png.{dead}.x1y2.part").write_bytes(b"half a picture")
    assert main(["mix", SAMPLE, *QUICK_MIX, "-o", str(tmp_path / "o.png")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.png"]
    shutil.rmtree(tmp_path)
