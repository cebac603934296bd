"""Optimise an image: it knows only "a criterion and a tensor".

:func:`image_optimization` (pystiche's name) minimises ``criterion(image)``
over the pixels of ``image`` with L-BFGS or Adam. Which losses the criterion
holds, which network it runs and in which precision are not its business.
It never prints: each evaluation is reported to an optional callback.

Three optimisers (:data:`OPTIMIZERS`):

``lbfgs``
    L-BFGS with a strong-Wolfe line search (:mod:`.linesearch`) (history 100): every step it
    takes lowers the loss, so it converges on problems where unit steps
    overshoot (a masked style loss, some CPUs' rounding). The default.
``lbfgs-neural-style``
    L-BFGS as neural-style (and the PyTorch tutorial) ran it: no line search,
    unit steps, history 100, no tolerance stop. One evaluation per
    iteration; the loss now and then jumps up for a while.
``adam``
    Adam, step 10 (neural-style's).

An *iteration* is one evaluation of the criterion (one forward and backward
pass) with every optimiser: a line search's trial points count, so
``num_steps`` costs the same time whichever optimiser runs it, and a budget
means what it meant in neural-style (whose L-BFGS evaluates once per
iteration).

Examples
--------
>>> import torch
>>> target = torch.full((1, 3, 4, 4), 7.0)
>>> out = image_optimization(torch.zeros(1, 3, 4, 4), lambda x: (x - target).pow(2).sum(),
...                          optimizer="lbfgs", num_steps=20)
>>> bool(torch.allclose(out, target, atol=1e-3))
True
"""

from __future__ import annotations

from typing import Callable

import torch

from ..errors import InvalidParameterError
from .linesearch import strong_wolfe

__all__ = ["image_optimization", "OPTIMIZERS", "DEFAULT_LEARNING_RATES", "LBFGS_HISTORY"]

#: ``criterion(image) -> 0-d tensor`` to minimise.
Criterion = Callable[[torch.Tensor], torch.Tensor]
#: ``callback(step, loss, image) -> stop?`` after every evaluation of the
#: criterion: ``image`` is the point it was evaluated at (a detached view of
#: the pixels being optimised: clone it to keep it); return True to stop early.
Callback = Callable[[int, float, torch.Tensor], "bool | None"]

OPTIMIZERS = ("lbfgs", "lbfgs-neural-style", "adam")
#: Step sizes: L-BFGS's first trial step of each iteration is 1 (torch optim's
#: default), Adam's step 10 (neural-style's).
DEFAULT_LEARNING_RATES = {"lbfgs": 1.0, "lbfgs-neural-style": 1.0, "adam": 10.0}
#: L-BFGS history (neural-style's ``-lbfgs_num_correction`` default, torch optim's 100).
LBFGS_HISTORY = 100


class _Stop(Exception):
    """Raised inside the L-BFGS closure when the budget is spent or the callback asks to stop."""


def _check(optimizer: str, num_steps: int, learning_rate: float | None) -> float:
    if optimizer not in OPTIMIZERS:
        raise InvalidParameterError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, got {optimizer!r}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 0:
        raise InvalidParameterError(f"num_steps: expected an integer >= 0, got {num_steps!r}")
    if learning_rate is None:
        return DEFAULT_LEARNING_RATES[optimizer]
    if not learning_rate > 0:
        raise InvalidParameterError(f"learning_rate: expected a number > 0, got {learning_rate!r}")
    return float(learning_rate)


class _Evaluations:
    """Evaluates the criterion, counts, reports and keeps the lowest-loss point."""

    def __init__(self, criterion: Criterion, num_steps: int, bounds: tuple[float, float] | None,
                 callback: Callback | None, project: str) -> None:
        self.criterion, self.num_steps, self.bounds = criterion, num_steps, bounds
        self.callback, self.project = callback, project
        self.step = 0
        self.best_loss = float("inf")
        self.best: torch.Tensor | None = None

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """The loss at ``z`` (its gradient left in ``z.grad``); raises :class:`_Stop` when done."""
        if self.step >= self.num_steps:
            raise _Stop
        z.grad = None
        if self.bounds is None:
            x = z
        elif self.project == "in-place":  # the point itself is moved into the box
            with torch.no_grad():
                z.clamp_(*self.bounds)
            x = z
        else:  # the objective is criterion(clamp(z)): its gradient is 0 where a pixel is clamped
            x = z.clamp(*self.bounds)
        with torch.enable_grad():
            loss = self.criterion(x)
            loss.backward()
        value = float(loss.detach())
        point = x.detach()
        if value < self.best_loss or self.best is None:
            self.best_loss, self.best = value, point.clone()
        stop = self.callback is not None and self.callback(self.step, value, point)
        self.step += 1
        if stop:
            raise _Stop
        return loss.detach()


def image_optimization(image: torch.Tensor, criterion: Criterion, *, optimizer: str = "lbfgs",
                       num_steps: int = 500, learning_rate: float | None = None,
                       bounds: tuple[float, float] | None = None, first_step: float | None = None,
                       callback: Callback | None = None) -> torch.Tensor:
    """Minimise ``criterion`` over the pixels of ``image``.

    Parameters
    ----------
    image : tensor
        The starting point (not modified).
    criterion : callable
        ``criterion(x) -> 0-d tensor``, differentiable in ``x``.
    optimizer : {'lbfgs', 'lbfgs-neural-style', 'adam'}
        See the module's docstring.
    num_steps : int
        Evaluations of ``criterion`` (= iterations, line-search trials
        included). L-BFGS may stop sooner when it can no longer descend.
    learning_rate : float, optional
        L-BFGS's trial step (default 1), Adam's step (default 10).
    bounds : (float, float), optional
        Keep the pixels in ``[lo, hi]``: every point evaluated, and the
        result, lie inside. ``lbfgs`` minimises ``criterion(clamp(x))``
        (one smooth-by-parts objective, so the Wolfe conditions hold for what
        is evaluated); ``lbfgs-neural-style`` and ``adam`` clamp the pixels
        in place before every evaluation (as the PyTorch tutorial does).
    first_step : float, optional
        ``lbfgs`` only: its first trial step moves the largest pixel by this
        much (times ``learning_rate``); the line search then shrinks or grows
        it. Default: torch optim's ``min(1, 1/|g|_1)`` (neural-style's), a
        step so small on a picture that the search spends several
        evaluations growing it.
    callback : callable, optional
        ``callback(step, loss, x)`` after every evaluation, ``x`` the point
        evaluated; return True to stop.

    Returns
    -------
    tensor
        The lowest-loss point evaluated (detached): with a line search the
        last evaluation may be a rejected trial, without one a jump up.
    """
    lr = _check(optimizer, num_steps, learning_rate)
    z = image.detach().clone().requires_grad_(True)
    if num_steps == 0:
        return z.detach() if bounds is None else z.detach().clamp(*bounds)
    evaluate = _Evaluations(criterion, num_steps, bounds, callback,
                            project="clamp" if optimizer == "lbfgs" else "in-place")
    try:
        if optimizer == "adam":
            _adam(z, evaluate, num_steps, lr)
        elif optimizer == "lbfgs":
            _lbfgs_wolfe(z, evaluate, num_steps, lr, first_step)
        elif optimizer == "lbfgs-neural-style":
            _lbfgs(z, evaluate, num_steps, lr)
    except _Stop:
        pass
    assert evaluate.best is not None
    return evaluate.best


def _adam(z: torch.Tensor, evaluate: _Evaluations, num_steps: int, lr: float) -> None:
    opt = torch.optim.Adam([z], lr=lr)
    for step in range(num_steps):
        evaluate(z)
        if step < num_steps - 1:  # end on an evaluated point, as L-BFGS does
            opt.step()


def _lbfgs(z: torch.Tensor, evaluate: _Evaluations, num_steps: int, lr: float) -> None:
    """neural-style's L-BFGS: torch optim's, no line search (one evaluation per iteration)."""
    opt = torch.optim.LBFGS([z], lr=lr, max_iter=num_steps, max_eval=num_steps, history_size=LBFGS_HISTORY,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn=None)
    opt.step(lambda: evaluate(z))


def _lbfgs_wolfe(z: torch.Tensor, evaluate: _Evaluations, num_steps: int, lr: float,
                 first_step: float | None) -> None:
    """L-BFGS with a strong-Wolfe line search (:mod:`.linesearch`, the arithmetic of torch's).

    torch optim's ``LBFGS.step`` loop (same arithmetic, so with
    ``first_step=None`` it evaluates the very same points), except that the
    first trial step can be chosen: it moves the largest pixel by
    ``first_step`` instead of torch's ``min(1, 1/|g|_1)`` (which costs a
    search of several evaluations growing a tiny step on a picture).
    """
    flat = z.view(-1)

    def at(x: torch.Tensor, t, d: torch.Tensor) -> tuple[float, torch.Tensor]:
        with torch.no_grad():
            flat.copy_(torch.add(x, d, alpha=t))
        loss = evaluate(z)
        return float(loss), z.grad.reshape(-1).clone()

    loss = float(evaluate(z))
    g = z.grad.reshape(-1).clone()
    g_max = float(g.abs().max())
    if g_max == 0:  # a stationary point already
        return
    dirs: list[torch.Tensor] = []  # y = g_{k+1} - g_k
    steps: list[torch.Tensor] = []  # s = x_{k+1} - x_k
    rho: list[torch.Tensor] = []
    h_diag: torch.Tensor | float = 1.0
    d: torch.Tensor = g.neg()
    t: torch.Tensor | float = 0.0
    g_prev = g
    for k in range(num_steps):
        if k == 0:
            t = min(1.0, 1.0 / g.abs().sum()) * lr if first_step is None else first_step / g_max * lr
        else:
            y, s = g.sub(g_prev), d.mul(t)
            ys = y.dot(s)
            if ys > 1e-10:
                if len(dirs) == LBFGS_HISTORY:
                    dirs.pop(0), steps.pop(0), rho.pop(0)
                dirs.append(y), steps.append(s), rho.append(1.0 / ys)
                h_diag = ys / y.dot(y)
            d = _two_loop(g, dirs, steps, rho, h_diag)
            t = lr
        gtd = g.dot(d)
        if gtd > 0 or evaluate.step >= num_steps:  # no descent along d / the budget is spent
            break
        x0 = flat.detach().clone()
        loss, g_new, t, _ = strong_wolfe(at, x0, t, d, loss, g, gtd, max_ls=num_steps - evaluate.step)
        with torch.no_grad():
            flat.copy_(torch.add(x0, d, alpha=t))
        g_prev, g = g, g_new
        if float(d.mul(t).abs().max()) == 0:  # the line search found no lower point
            break


def _two_loop(g: torch.Tensor, dirs: list[torch.Tensor], steps: list[torch.Tensor], rho: list[torch.Tensor],
              h_diag: torch.Tensor | float) -> torch.Tensor:
    """``-H g`` for the L-BFGS inverse-Hessian estimate ``H`` (the two-loop recursion, as torch's)."""
    q = g.neg()
    alpha: list[torch.Tensor] = [g.new_zeros(())] * len(dirs)
    for i in range(len(dirs) - 1, -1, -1):
        alpha[i] = steps[i].dot(q) * rho[i]
        q.add_(dirs[i], alpha=-alpha[i])
    r = torch.mul(q, h_diag)
    for i in range(len(dirs)):
        beta = dirs[i].dot(r) * rho[i]
        r.add_(steps[i], alpha=alpha[i] - beta)
    return r
