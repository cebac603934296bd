"""`prisma-abu stylize`, `models`, `train-style`: replayable pictures, model files as inputs, videos, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from prisma_abu.cli import main
from prisma_abu.io import read_image, read_metadata

from cli_support import GUIDE, SAMPLE, _error_line
from video_support import make_clip

QUICK = ["--size", "64", "-q"]


def test_a_builtin_style_writes_a_picture_that_replays_to_the_same_bytes(tmp_path, capsys):
    out = tmp_path / "cat.png"
    assert main(["stylize", SAMPLE, "--model", "multistyle26:3=0.5,12=0.5", *QUICK, "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["command"] == "stylize" and meta["params"]["model"] == "multistyle26:3=0.5,12=0.5"
    assert len(meta["arithmetic"]["model_sha256"]) == 64
    again = tmp_path / "again.png"
    assert main(["replay", str(out), "-q", "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_arbitrary_with_a_painting(tmp_path):
    out = tmp_path / "a.png"
    assert main(["stylize", SAMPLE, "--model", "arbitrary", "--style-image", GUIDE, "--strength", "0.7", *QUICK,
                 "-o", str(out)]) == 0
    assert read_metadata(out)["inputs"]["style_image"]["path"].endswith("swirl.jpg")
    assert read_image(out).shape == (42, 64, 3)


def _trained_model(tmp_path) -> str:
    """A tiny network written by the trainer's own writer (random weights: a model file like any other)."""
    from prisma_abu.neural.stylenets.train import initial_net
    from prisma_abu.neural.stylenets.transformer_net import save_model
    from prisma_abu.params import TrainStyleParams

    params = TrainStyleParams(width=0.25, image_size=64, steps=1)
    path = tmp_path / "mine.pth"
    save_model(path, initial_net(params), params)
    return str(path)


def test_a_model_file_is_an_input_and_replay_refuses_it_changed(tmp_path, capsys):
    model = _trained_model(tmp_path)
    out = tmp_path / "mine.png"
    assert main(["stylize", SAMPLE, "--model", model, *QUICK, "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["params"]["model"] == "mine.pth" and meta["inputs"]["model"]["path"] == "mine.pth"
    with open(model, "ab") as fh:
        fh.write(b"\0")
    capsys.readouterr()
    assert main(["replay", str(out), "-q", "-o", str(tmp_path / "r.png")]) == 2
    assert "changed since the picture was made" in _error_line(capsys)


@pytest.mark.parametrize("args, message", [
    (["--model", "multistyle99"], "unknown model"),
    (["--model", "multistyle26:40"], "multistyle26"),
    (["--strength", "2"], r"strength: expected a value in [0, 1]"),
    (["--model", "nosuch.pth"], "nosuch.pth"),
    (["--model", "arbitrary"], "expected a style picture"),
])
def test_bad_models_and_strengths_are_one_line(tmp_path, capsys, args, message):
    assert main(["stylize", SAMPLE, *args, *QUICK, "-o", str(tmp_path / "o.png")]) == 2
    assert message in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_model_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a model at all")
    assert main(["stylize", SAMPLE, "--model", str(bad), *QUICK, "-o", str(tmp_path / "o.png")]) == 2
    _error_line(capsys)
    assert not (tmp_path / "o.png").exists()


def test_models_lists_the_builtins_and_the_model_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRISMA_ABU_MODELS", str(tmp_path))
    (tmp_path / "mine.pth").write_bytes(b"x" * 2000)
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "multistyle26:N" in out and "arbitrary" in out and "mine.pth" in out


def test_the_sheet_shows_every_style_labelled(tmp_path):
    out = tmp_path / "sheet.png"
    assert main(["stylize", SAMPLE, "--sheet", "--size", "64", "-q", "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["stylize_sheet"] == [f"multistyle26:{i}" for i in range(26)]
    assert read_image(out).shape[1] > 6 * 64


def test_a_video_is_painted_frame_by_frame_with_its_audio(tmp_path, capsys):
    from prisma_abu.video import open_video, read_video_metadata, video_info

    clip = make_clip(tmp_path / "clip.mp4", frames=6)
    out = tmp_path / "painted.mp4"
    assert main(["stylize", str(clip), "--temporal", "0.3", "--json", "-q", "-o", str(out)]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["output"] == str(out) and row["frames"] == 6
    info = video_info(out)
    assert info.has_audio and (info.width, info.height) == (128, 96)
    _, frames = open_video(out)
    assert len(list(frames)) == 6
    assert read_video_metadata(out)["params"]["model"] == "multistyle26:7"


def test_an_unreadable_video_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\0" * 1000)
    assert main(["stylize", str(bad), "-q", "-o", str(tmp_path / "o.mp4")]) == 2
    assert "not a video FFmpeg can read" in _error_line(capsys)
    assert not (tmp_path / "o.mp4").exists()


def test_train_style_writes_a_model_stylize_takes(tmp_path, capsys):
    model = tmp_path / "swirl.pth"
    assert main(["train-style", GUIDE, "--photos", "sample/coffee.jpg", "sample/rocket.jpg", "--steps", "2",
                 "--image-size", "32", "--batch-size", "1", "--width", "0.25", "--style-image-size", "64",
                 "--precision", "fp32", "-q", "-o", str(model)]) == 0
    assert model.is_file() and model.with_suffix(".ckpt").is_file()
    capsys.readouterr()
    out = tmp_path / "cat.png"
    assert main(["stylize", SAMPLE, "--model", str(model), *QUICK, "-o", str(out)]) == 0
    assert read_image(out).shape == (42, 64, 3)


def test_a_batch_of_photos_x_models_x_strengths(tmp_path, capsys):
    model = _trained_model(tmp_path)
    code = main(["batch", "--command", "stylize", "--source", SAMPLE, "--set", f"model=multistyle26:1,{model}",
                 "--set", "strength=1,0.5", "--set", "size=64", "-o", str(tmp_path / "b"), "--date", "2020-01-01",
                 "-q"])
    assert code == 0
    (batch,) = (tmp_path / "b" / "2020-01-01").glob("stylize-*")  # the batch's own folder
    folder = batch / "chelsea"
    assert sorted(p.name for p in folder.iterdir()) == ["_mine_0.5.png", "_mine_1.0.png", "_multistyle26_1_0.5.png",
                                                         "_multistyle26_1_1.0.png"]
    assert read_metadata(folder / "_mine_1.0.png")["inputs"]["model"]["sha256"]


def test_mix_with_the_photo_painted_as_its_guide(tmp_path, capsys):
    out = tmp_path / "m.png"
    assert main(["mix", SAMPLE, "--guide", "stylized:multistyle26:7", "--size", "64", "--texture", "none",
                 "--layer", "none", "-q", "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["params"]["guide_model"] == "multistyle26:7" and meta["inputs"]["guide"] is None
    again = tmp_path / "again.png"
    assert main(["replay", str(out), "-q", "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    from prisma_abu import pipeline
    from prisma_abu.params import MixParams

    photo = read_image(SAMPLE)
    result = pipeline.mix(photo, None, MixParams(size=64, layer=None, texture=None, guide_model="multistyle26:7"))
    kept = result.keep if result.keep is not None else result.mask > 0
    assert np.abs(result.guide.astype(float) - result.source).mean() > 20  # the guide is the painted photo
    assert kept.any() and not kept.all()


def test_mix_with_a_model_file_as_the_painter(tmp_path, capsys):
    model = _trained_model(tmp_path)
    out = tmp_path / "m.png"
    assert main(["mix", SAMPLE, "--guide", f"stylized:{model}", "--size", "64", "--layer", "none", "-q",
                 "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["params"]["guide_model"] == "mine.pth" and meta["inputs"]["guide_model"]["path"] == "mine.pth"
    assert main(["mix", SAMPLE, "--guide", "stylized:nope.pth", "-q", "-o", str(tmp_path / "x.png")]) == 2
    line = _error_line(capsys)
    assert "stylized:nope.pth: unknown model 'nope.pth': no such name or file" in line


def test_guide_model_file_is_an_input_as_stylized_model_is(tmp_path, capsys):
    # issue 20: --guide-model FILE ran the file without recording it (no sha256: a replay could not check it)
    model = _trained_model(tmp_path)
    out = tmp_path / "g.png"
    assert main(["mix", SAMPLE, "--guide-model", model, "--size", "64", "--layer", "none", "-q", "-o", str(out)]) == 0
    meta = read_metadata(out)
    assert meta["params"]["guide_model"] == "mine.pth" and meta["inputs"]["guide_model"]["path"] == "mine.pth"
    assert main(["replay", str(out), "-q", "-o", str(tmp_path / "r.png")]) == 0
    assert np.array_equal(read_image(out), read_image(tmp_path / "r.png"))


def test_a_batch_guide_model_file_is_an_input():
    from prisma_abu.batch import job_kind

    kind = job_kind("mix")
    model = SAMPLE  # any file stands for a model file here: the batch only names it
    params = kind.build({"guide_model": model}, {})
    assert params.guide_model == "chelsea.jpg"
    assert kind.job_inputs(params, {"source": SAMPLE}, {"guide_model": model})["guide_model"].endswith(SAMPLE)
    assert "guide_model" not in kind.job_inputs(params, {"source": SAMPLE}, {"guide_model": "multistyle26:2"})


def test_a_rerun_into_the_same_folder_skips_what_is_done(tmp_path, capsys):
    # issue 18: a rerun after a kill redid 44 photos and wrote 38 `_1` duplicates
    import shutil

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.jpg", "b.jpg"):
        shutil.copy(SAMPLE, photos / name)
    out = tmp_path / "out"
    argv = ["stylize", str(photos), "--model", "multistyle26:2", *QUICK, "-o", str(out) + "/"]
    assert main(argv) == 0
    (out / "b_stylize.png").unlink()  # as if killed before the second photo
    first = (out / "a_stylize.png").stat().st_mtime_ns
    capsys.readouterr()
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_stylize.png", "b_stylize.png"]
    assert (out / "a_stylize.png").stat().st_mtime_ns == first
    assert sorted(capsys.readouterr().out.split()) == [str(out / "a_stylize.png"), str(out / "b_stylize.png")]
    assert main([*argv, "--force"]) == 0  # redo: new names, nothing overwritten
    assert sorted(p.name for p in out.iterdir()) == ["a_stylize.png", "a_stylize_1.png", "b_stylize.png",
                                                     "b_stylize_1.png"]
    assert main(["stylize", str(photos), "--model", "multistyle26:3", *QUICK, "-o", str(out) + "/"]) == 0
    assert len(list(out.iterdir())) == 6  # another model is another job


def test_mix_with_the_arbitrary_network_and_a_painting_as_its_guide(tmp_path, capsys):
    # issue 19: --guide stylized:arbitrary was refused ("expected a style picture")
    out, plain = tmp_path / "a.png", tmp_path / "b.png"
    quick = ["--size", "64", "--layer", "none", "-q"]
    assert main(["mix", SAMPLE, "--guide", f"stylized:arbitrary:{GUIDE}", *quick, "-o", str(out)]) == 0
    assert main(["mix", SAMPLE, "--guide", GUIDE, *quick, "-o", str(plain)]) == 0
    assert out.read_bytes() == plain.read_bytes()  # the default mix is the arbitrary network's painting
    assert read_metadata(out)["params"]["compose"] == "paint"
    assert main(["mix", SAMPLE, "--guide", "stylized:arbitrary", "-q", "-o", str(tmp_path / "x.png")]) == 2
    assert "stylized:arbitrary: expected a painting after it" in _error_line(capsys)
