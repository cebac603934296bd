"""Progress without a terminal: a line every few seconds, and each command's step count.

The command line shows a bar on a terminal and, in a log or a pipe, the
lines :class:`LogSteps` writes; ``train-style`` and the Python verbs
(:mod:`prisma_abu.api`) write the same lines.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

__all__ = ["LOG_EVERY_S", "LogSteps", "dream_steps", "mix_steps", "style_steps"]

#: without a terminal, a progress line on stderr at most this often (seconds)
LOG_EVERY_S = 5.0


def _stderr(line: str) -> None:
    if sys.stderr is not None:  # pythonw, a closed stderr: nothing to say it on
        print(line, file=sys.stderr, flush=True)


class LogSteps:
    """``LABEL: step I/N`` (``I/N (figures)``) every :data:`LOG_EVERY_S` seconds, through ``write``.

    Called as the engines' callbacks: ``log(*anything)`` counts one step,
    ``log.at(step, **figures)`` says where a run stands (training's step).
    """

    def __init__(self, label: str, total: int | None, write: Callable[[str], None] = _stderr,
                 every: float | None = None) -> None:
        self.label, self.total, self.write, self.every = label, total, write, every
        self.done, self.last = 0, time.monotonic()

    def __call__(self, *args: Any) -> None:
        self.at(self.done + 1)

    def at(self, step: int, **figures: float) -> None:
        self.done = step
        now = time.monotonic()
        if now - self.last >= (LOG_EVERY_S if self.every is None else self.every):
            self.last = now
            total = f"/{self.total}" if self.total else ""
            shown = "".join(f" {k}={v:.3g}" for k, v in figures.items())
            self.write(f"{self.label}: step {step}{total}{shown}")

    def postfix(self, **values: Any) -> None:
        pass


def dream_steps(params: Any) -> int:
    """Progress steps of a dream: octaves x iterations."""
    return params.octave_n * params.iter_n


def mix_steps(params: Any, guide: bool, command: str = "mix") -> int | None:
    """Progress steps of a mix: its short dream's (None without one), with the texture preset written in
    as the work does (``auto`` counts as ``strokes`` until the picture chooses). ``guide``: a guide picture
    is given (a ``guide_model`` makes one too); without one, mix dreams ``10 / rb_rate`` iterations."""
    p = params.with_texture()
    if p.layer is None:
        return None
    if p.force_iter_n is not None:
        iterations = p.force_iter_n
    elif not guide and p.guide_model is None and command == "mix":
        iterations = int(10 / p.rb_rate)
    else:
        iterations = p.iter_n
    return p.octave_n * iterations or None


def style_steps(params: Any) -> int:
    """Progress steps of a style transfer: its iterations over all scales."""
    return sum(params.scale_iterations) if params.scale_iterations else params.num_iterations
