"""Issue 22: `python -m prisma_abu.demo --quick` — one small picture per verb, in seconds (what the wheel's test
runs from an installed wheel), each replayable; a bad output is one line and exit 2, not a traceback."""

from __future__ import annotations

from prisma_abu.demo import QUICK_SIZE, main, quick_jobs
from prisma_abu.io import read_image, read_metadata


def test_quick_demo_writes_one_small_replayable_picture_per_verb(tmp_path, capsys):
    assert main([str(tmp_path / "demo"), "--quick"]) == 0
    names = [name for name, _ in quick_jobs()]
    for name in names:
        path = tmp_path / "demo" / name
        assert max(read_image(path).shape[:2]) == QUICK_SIZE
        assert read_metadata(path)["command"] == name.split("_")[0]
    out = capsys.readouterr().out
    assert all(name in out for name in names) and "demo: done" in out


def test_a_demo_that_cannot_write_is_one_line_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main([str(blocker / "demo"), "--quick"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prisma_abu.demo: error: ") and err.count("\n") == 1 and "Traceback" not in err
