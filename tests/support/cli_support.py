"""What the command-line tests share: the bundled inputs, quick dream options, the one error line."""

from __future__ import annotations

SAMPLE = "sample/chelsea.jpg"
GUIDE = "prisma_gd/swirl.jpg"
FAST = ["--iter-n", "2", "--octave-n", "2", "--width", "96", "-q"]


def _error_line(capsys) -> str:
    """The single stderr line of a failed command (asserts there is exactly one, prefixed)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("prisma-abu: error: ")
    return err[0]
