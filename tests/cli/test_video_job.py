"""A video goes through a Job for its metadata (issue 20): the job as it ran (device resolved once), the request,
the inputs by name and sha256 and how the network ran, as a picture's; a video made before still counts as done."""

from __future__ import annotations

import json

from prisma_abu.cli import main
from prisma_abu.io import file_sha256
from prisma_abu.video import open_video, read_video_metadata, write_video

from video_support import make_clip


def test_a_video_s_metadata_is_its_job_s(tmp_path, capsys):
    clip = make_clip(tmp_path / "clip.mp4", frames=2, size=(32, 48), audio=False)
    out = tmp_path / "v.mp4"
    assert main(["stylize", str(clip), "--model", "multistyle26:3", "--json", "-o", str(out)]) == 0
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    meta = read_video_metadata(out)
    assert meta["command"] == "stylize" and meta["temporal"] == 0.0
    assert meta["params"]["device"] == "cpu" and meta["requested"]["device"] == "auto"  # resolved once, as ran
    assert meta["params"]["model"] == "multistyle26:3" and meta["requested"]["model"] == "multistyle26:3"
    assert meta["inputs"] == {"video": {"path": "clip.mp4", "sha256": file_sha256(clip)}}
    ran = meta["arithmetic"]
    assert ran["device"] == "cpu" and ran["model"].startswith("multistyle26") and ran["precision"] == "fp32"
    assert row["device"] == ran["device"] and row["params"] == meta["params"]


def test_a_video_painted_before_the_job_metadata_counts_as_done(tmp_path, capsys):
    clip = make_clip(tmp_path / "clip.mp4", frames=2, size=(32, 48), audio=False)
    folder = tmp_path / "out"
    assert main(["stylize", str(clip), "-q", "-o", str(folder) + "/"]) == 0
    done = folder / "clip_stylize.mp4"
    meta = read_video_metadata(done)
    old = {k: v for k, v in meta.items() if k != "requested"}
    old["params"] = meta["requested"]  # as videos were written before: the parameters as given, unresolved
    info, frames = open_video(done)
    frames = list(frames)
    done.unlink()
    write_video(done, iter(frames), info.fps, metadata=old)
    capsys.readouterr()
    assert main(["stylize", str(clip), "-o", str(folder) + "/"]) == 0
    assert "done before" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["clip_stylize.mp4"]
