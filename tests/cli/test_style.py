"""prisma_abu.cli.style: `prisma-abu style` writes replayable pictures and checkpoints; errors are one line."""

from __future__ import annotations

import re

import numpy as np
import pytest

from prisma_abu.cli import main
from prisma_abu.io import read_image, read_metadata, write_image
from prisma_abu.jobs import job_from_metadata, render


def test_cli_writes_a_replayable_picture_and_checkpoints(tmp_path, capsys):
    from prisma_abu.data import guide_path, sample_path

    out = tmp_path / "s.png"
    styles = f"{guide_path('swirl')},{guide_path('brick')}"
    code = main(["style", str(sample_path("chelsea")), "--style", styles, "--style-blend-weights", "3,1",
                 "--image-size", "64", "--num-iterations", "6", "--scales", "1", "--precision", "fp32",
                 "--init", "image", "--save-iter", "3", "--print-iter", "2", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and captured.out.strip() == str(out)
    assert [line.split()[1] for line in captured.err.splitlines()] == ["2/6", "4/6", "6/6"]
    assert "content" in captured.err and "style" in captured.err and "tv" in captured.err
    meta = read_metadata(out)
    assert meta["command"] == "style" and meta["params"]["style_blend_weights"] == [3.0, 1.0]
    assert set(meta["inputs"]) == {"content", "style0", "style1", "init_image", "mask_file"}
    checkpoint = tmp_path / "s_0003.png"
    assert read_metadata(checkpoint)["checkpoint_iteration"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png", "s_0003.png"]
    # replay renders the same bytes
    again = render(job_from_metadata(meta, picture=out))
    np.testing.assert_array_equal(again, read_image(out).astype(np.uint8))


def test_cli_mask_file_goes_to_the_job_inputs(tmp_path, capsys):
    from prisma_abu.data import guide_path, sample_path

    mask = tmp_path / "m.png"
    half = np.zeros((30, 45, 3), np.uint8)
    half[:, 22:] = 255
    write_image(mask, half)
    out = tmp_path / "o.png"
    code = main(["style", str(sample_path("chelsea")), "--style", str(guide_path("swirl")),
                 "--mask", str(mask),
                 "--image-size", "64", "--num-iterations", "3", "--scales", "1", "--precision", "fp32",
                 "--save-iter", "0", "--print-iter", "0", "-o", str(out)])
    assert code == 0
    meta = read_metadata(out)
    # below the output's folder: stored relative to it; the parameters name the file, no folders
    assert meta["inputs"]["mask_file"]["path"] == "m.png" and meta["params"]["mask"] == "m.png"


@pytest.mark.parametrize("args,match", [
    (["--style", "no/such/style.jpg"], "no/such/style.jpg: no such file"),
    (["--style", "{swirl}", "--style-layers", "relu1_1,relu9_9"], "unknown layer 'relu9_9' for vgg16"),
    (["--style", "{swirl}", "--image-size", "4"], "size: expected a value in"),
    (["--style", "{swirl}", "--mask", "blob"], "mask: expected a mask name"),
])
def test_cli_errors_are_one_line_exit_2_and_no_file(tmp_path, capsys, args, match):
    from prisma_abu.data import guide_path, sample_path

    out = tmp_path / "never.png"
    args = [a.replace("{swirl}", str(guide_path("swirl"))) for a in args]
    quick = [] if "--image-size" in args else ["--image-size", "64", "--scales", "1"]
    code = main(["style", str(sample_path("chelsea")), *args, *quick, "--num-iterations", "1",
                 "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("prisma-abu: error: ")
    assert re.search(match, lines[0])
    assert not out.exists() and list(tmp_path.iterdir()) == []
