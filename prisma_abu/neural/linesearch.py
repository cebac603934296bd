"""A strong-Wolfe line search along a direction: the one :mod:`.optim`'s L-BFGS uses.

It is the classical bracket-then-zoom search with cubic interpolation of
torch7's ``optim/lswolfe.lua`` (Nocedal & Wright, Algorithms 3.5 and 3.6),
written here so that the project depends on no private function of torch:
``torch.optim.LBFGS`` keeps its own copy private. The arithmetic is the same,
operation for operation, so a picture made with the earlier import renders to
the same bytes; ``tests/neural/test_optim.py`` checks it step for step
against ``torch.optim.LBFGS(line_search_fn="strong_wolfe")``.

Examples
--------
>>> import torch
>>> target = torch.tensor([3.0, -1.0])
>>> def at(x, t, d):
...     p = (x + t * d).requires_grad_(True)
...     loss = (p - target).pow(2).sum()
...     loss.backward()
...     return float(loss.detach()), p.grad
>>> x, g = torch.zeros(2), -2 * target
>>> loss, grad, t, evals = strong_wolfe(at, x, 1.0, -g, float((x - target).pow(2).sum()), g, g.dot(-g))
>>> round(float(t), 3), evals
(0.5, 2)
"""

from __future__ import annotations

from typing import Any, Callable

import torch

__all__ = ["strong_wolfe", "cubic_minimum"]

#: ``at(x, t, d) -> (loss at x + t d, its gradient)``
Objective = Callable[[torch.Tensor, Any, torch.Tensor], "tuple[float, torch.Tensor]"]


def cubic_minimum(x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any,
                  bounds: tuple[Any, Any] | None = None) -> Any:
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes ``g1``, ``g2``, within ``bounds``.

    ``bounds`` defaults to the interval between ``x1`` and ``x2``; when the
    cubic has no minimum there, the interval's middle.
    """
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square.sqrt()
    if x1 <= x2:
        at = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        at = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(at, lo), hi)


def _copy(g: torch.Tensor) -> torch.Tensor:
    return g.clone(memory_format=torch.contiguous_format)


class _Bracket:
    """Two trial steps with their losses, gradients and slopes; ``low`` indexes the lower loss."""

    def __init__(self, t: list, f: list, g: list, gtd: list) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd
        self.low, self.high = (0, 1) if f[0] <= f[-1] else (1, 0)

    def set(self, i: int, t: Any, f: Any, g: torch.Tensor, gtd: Any) -> None:
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd

    def reorder(self) -> None:
        self.low, self.high = (0, 1) if self.f[0] <= self.f[1] else (1, 0)


def strong_wolfe(at: Objective, x: torch.Tensor, t: Any, d: torch.Tensor, f: float, g: torch.Tensor, gtd: Any,
                 c1: float = 1e-4, c2: float = 0.9, tolerance_change: float = 1e-9, max_ls: int = 25):
    """A step ``t`` along ``d`` from ``x`` that satisfies the strong Wolfe conditions, or the best one tried.

    Parameters
    ----------
    at : callable
        ``at(x, t, d) -> (loss, gradient)`` at ``x + t d``.
    x, d : tensor
        The start and the (descent) direction, flat.
    t : float or 0-d tensor
        The first trial step.
    f, g, gtd
        The loss, gradient and slope ``g . d`` at ``x``.
    c1, c2 : float
        Sufficient decrease and curvature constants.
    tolerance_change : float
        Stop zooming when the bracket moves the largest coordinate less than this.
    max_ls : int
        At most this many evaluations of ``at``.

    Returns
    -------
    (loss, gradient, t, evaluations)
        At the step returned (the lowest of the final bracket).
    """
    d_norm = d.abs().max()
    g = _copy(g)
    f_new, g_new = at(x, t, d)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: _Bracket | None = None
    while ls_iter < max_ls:  # bracket an interval that holds a point satisfying the conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):  # too high: the step is past it
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, _copy(g_new)], [gtd_prev, gtd_new])
            break
        if abs(gtd_new) <= -c2 * gtd:  # low enough and flat enough: done
            bracket = _Bracket([t], [f_new], [g_new], [gtd_new])
            done = True
            break
        if gtd_new >= 0:  # rising again: the point lies between
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, _copy(g_new)], [gtd_prev, gtd_new])
            break
        previous = t
        t = cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, _copy(g_new), gtd_new
        f_new, g_new = at(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = _Bracket([0, t], [f, f_new], [g, g_new], [None, None])
    assert bracket is not None
    insufficient = False
    while not done and ls_iter < max_ls:  # zoom into the bracket
        if abs(bracket.t[1] - bracket.t[0]) * d_norm < tolerance_change:
            break
        t = cubic_minimum(bracket.t[0], bracket.f[0], bracket.gtd[0], bracket.t[1], bracket.f[1], bracket.gtd[1])
        t, insufficient = _away_from_ends(t, bracket.t, insufficient)
        f_new, g_new = at(x, t, d)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket.f[bracket.low]:  # not low enough: the new high end
            bracket.set(bracket.high, t, f_new, _copy(g_new), gtd_new)
            bracket.reorder()
            continue
        if abs(gtd_new) <= -c2 * gtd:
            done = True
        elif gtd_new * (bracket.t[bracket.high] - bracket.t[bracket.low]) >= 0:  # the old low end becomes high
            lo = bracket.low
            bracket.set(bracket.high, bracket.t[lo], bracket.f[lo], bracket.g[lo], bracket.gtd[lo])
        bracket.set(bracket.low, t, f_new, _copy(g_new), gtd_new)
    low = bracket.low
    return bracket.f[low], bracket.g[low], bracket.t[low], evals


def _away_from_ends(t: Any, ends: list, insufficient: bool) -> tuple[Any, bool]:
    """Keep a trial step at least a tenth of the bracket from its ends when progress stalls."""
    top, bottom = max(ends), min(ends)
    eps = 0.1 * (top - bottom)
    if not min(top - t, t - bottom) < eps:
        return t, False
    if not (insufficient or t >= top or t <= bottom):
        return t, True
    return (top - eps if abs(t - top) < abs(t - bottom) else bottom + eps), False
