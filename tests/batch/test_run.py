"""prisma_abu.batch.run: pictures, manifest, sheets; resume after a kill, retries, force, the folder lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from prisma_abu.batch import expand, read_manifest, run_batch, run_experiment
from prisma_abu.cli import main
from prisma_abu.errors import InvalidParameterError
from prisma_abu.io import read_image, read_metadata

from batch_support import cli_batch_folder, BRICK, CAT, COFFEE, DATE, SWIRL, _experiment, _outputs, _pictures

#: the batch command, held inside its fourth render until it is killed: the kill comes at a known point
_GATED_CLI = textwrap.dedent("""
    import sys, threading
    import prisma_abu.batch.backends as backends
    _render, _count = backends.render_job, [0]
    def gated(job, **kw):
        _count[0] += 1
        if _count[0] > 3:
            threading.Event().wait()  # held here until the test kills the process
        return _render(job, **kw)
    backends.render_job = gated
    from prisma_abu.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_run_writes_pictures_manifest_sheet_and_gallery(tmp_path, broken):
    exp = _experiment(tmp_path, sources=(CAT, *broken), guides=(SWIRL, "none"), grid={"rb_rate": [1.0, 0.9]})
    calls = []
    report = run_experiment(exp, progress=lambda done, total, result: calls.append((done, total, result)))
    folder = exp.folder()
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


def test_sigkill_mid_batch_then_rerun_finishes_once(tmp_path):
    argv = ["batch", "--source", CAT, COFFEE, "--guide", SWIRL, BRICK, "none", "--rb-rate", "1,0.9",
            "--layer", "none", "--set", "base_width=48", "--set", "n3=1", "-o", str(tmp_path), "--date", DATE, "-q"]
    folder = cli_batch_folder(argv)
    proc = subprocess.Popen([sys.executable, "-c", _GATED_CLI, *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120  # a bound for a stuck machine, not a timing assumption
        while len(read_manifest(folder)) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    first = {p: p.stat().st_mtime_ns for p in _pictures(folder)}
    assert len(first) == 3
    for picture in first:  # the photo's aspect, its longer side 48
        assert max(read_image(picture).shape[:2]) == 48 and read_image(picture).shape[2] == 3

    assert main(argv) == 0
    pictures = _pictures(folder)
    assert len(pictures) == 12 and not list(folder.rglob("*.part"))
    assert all(max(read_image(p).shape[:2]) == 48 for p in pictures)
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
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # a process that has ended
    (folder / f".x.png.{dead}.k3j9.part").write_bytes(b"half")  # what a killed writer leaves
    (folder / ".notes.part").write_bytes(b"the user's")  # not ours: never touched
    report = run_experiment(exp)
    assert [r.status for r in report.results] == ["skipped"] * 3
    rows = read_manifest(folder)
    assert len(rows) == 3 and [r["status"] for r in rows] == ["done", "skipped", "skipped"]
    assert not (folder / f".x.png.{dead}.k3j9.part").exists()
    assert (folder / ".notes.part").read_bytes() == b"the user's"


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


def test_two_different_batches_into_one_folder_never_collide(tmp_path):
    # issue 18: a second batch into the same -o failed "already holds a picture made with other parameters"
    # and its gallery mixed both batches; each batch now has a folder of its own under the date
    first = run_experiment(_experiment(tmp_path))
    second = run_experiment(_experiment(tmp_path, params={"seed": 5}))
    assert not first.failed and not second.failed and len(second.done) == len(first.done) > 0
    assert first.folder != second.folder and first.folder.parent == second.folder.parent
    assert {r["output"] for r in read_manifest(second.folder)} == {r.item.output for r in second.results}
    again = run_experiment(_experiment(tmp_path, params={"seed": 5}))  # resume: the same batch skips its own
    assert again.folder == second.folder and len(again.skipped) == len(second.done) and not again.done


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


def _group_members(pgid: int) -> list[int]:
    """Processes still alive in process group ``pgid`` (zombies do not count)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.slow
def test_sigterm_stops_the_workers_and_a_rerun_resumes(tmp_path):
    """What `timeout`, systemd and docker send: handled as Ctrl-C, no loky worker or resource tracker left."""
    argv = ["batch", "--source", CAT, COFFEE, "--guide", SWIRL, BRICK, "--rb-rate", "1,0.9,0.8", "--layer", "blocks.1",
            "--set", "size=64", "--set", "n3=1", "--set", "octave_n=1", "-o", str(tmp_path), "--date", DATE,
            "--jobs", "2", "-q"]
    folder = cli_batch_folder(argv)
    proc = subprocess.Popen([sys.executable, "-m", "prisma_abu", *argv], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 180  # a bound for a stuck machine, not a timing assumption
        while len(read_manifest(folder)) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        assert _group_members(proc.pid), "the batch runs in its own process group"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 143
        deadline = time.monotonic() + 60
        while _group_members(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _group_members(proc.pid) == []  # workers and resource trackers gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _group_members(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.stderr.close()
    assert main(argv) == 0  # resumes: the pictures already there are skipped, the rest rendered
    assert len(_pictures(folder)) == 12 and not list(folder.rglob("*.part"))
    assert {r["status"] for r in read_manifest(folder)} <= {"done", "skipped"}


def test_a_photo_named_dots_stays_inside_the_batch_folder(tmp_path):
    """``...jpg`` has the stem ``..``: its folder must not be the batch folder's parent."""
    import shutil

    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(CAT, photos / "...jpg")
    shutil.copy(CAT, photos / ".hidden.jpg")
    outside = tmp_path / "out"
    outside.mkdir()
    (outside / ".keep.part").write_bytes(b"the user's")  # beside the batch folder: never touched
    exp = _experiment(tmp_path, sources=(str(photos / "...jpg"), str(photos / ".hidden.jpg")))
    report = run_experiment(exp)
    folder = exp.folder()
    assert report.ok and all(p.resolve().is_relative_to(folder.resolve()) for p in report.paths())
    assert sorted(p.parent.parent.name for p in report.paths()) == ["__", "_hidden"]
    assert (outside / ".keep.part").read_bytes() == b"the user's"
    assert sorted(p.name for p in outside.iterdir()) == [".keep.part", DATE]
