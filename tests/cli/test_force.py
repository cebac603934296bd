"""mix and dream, rerun into the same folder, skip what is done there, as stylize does; --force redoes it
(issue 18: a rerun after a kill redid every photo and wrote _1 duplicates)."""

from __future__ import annotations

from prisma_abu.cli import main

from cli_support import GUIDE, SAMPLE

QUICK_MIX = ["mix", SAMPLE, "--guide", GUIDE, "--layer", "none", "--size", "48", "--n3", "1", "-q"]
QUICK_DREAM = ["dream", SAMPLE, "--size", "32", "--iter-n", "1", "--octave-n", "1", "-q"]


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_mix_rerun_into_a_folder_skips_what_is_done(tmp_path, capsys):
    out = str(tmp_path / "painted") + "/"
    assert main([*QUICK_MIX, "-o", out]) == 0
    assert main([*QUICK_MIX, "-o", out]) == 0
    assert _names(tmp_path / "painted") == ["chelsea_mix.png"]
    assert main([*QUICK_MIX, "--n3", "2", "-o", out]) == 0  # another job: painted, beside it
    assert main([*QUICK_MIX, "--force", "-o", out]) == 0
    assert _names(tmp_path / "painted") == ["chelsea_mix.png", "chelsea_mix_1.png", "chelsea_mix_2.png"]


def test_a_dream_rerun_into_a_folder_skips_what_is_done(tmp_path, capsys):
    out = str(tmp_path / "dreams") + "/"
    assert main([*QUICK_DREAM, "-o", out]) == 0
    capsys.readouterr()
    assert main([*QUICK_DREAM[:-1], "-o", out]) == 0
    assert "done before" in capsys.readouterr().err
    assert _names(tmp_path / "dreams") == ["chelsea_dream.png"]
    assert main([*QUICK_DREAM, "--force", "-o", out]) == 0
    assert _names(tmp_path / "dreams") == ["chelsea_dream.png", "chelsea_dream_1.png"]


def test_a_named_output_is_painted_anew_as_stylize_does(tmp_path, capsys):
    out = tmp_path / "cup.png"
    assert main([*QUICK_MIX, "-o", str(out)]) == 0
    first = out.stat().st_mtime_ns
    assert main([*QUICK_MIX, "--n3", "2", "-o", str(out)]) == 0
    assert out.stat().st_mtime_ns != first and _names(tmp_path) == ["cup.png"]
