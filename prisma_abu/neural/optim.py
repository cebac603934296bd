"""Optimise an image: it knows only "a criterion and a tensor".

:func:`image_optimization` (pystiche's name) minimises ``criterion(image)``
over the pixels of ``image`` with L-BFGS or Adam. Which losses the criterion
holds, which network it runs and in which precision are not its business.
It never prints: each evaluation is reported to an optional callback.

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

import functools
from typing import Callable

import torch

from ..errors import InvalidParameterError

__all__ = ["image_optimization", "OPTIMIZERS", "DEFAULT_LEARNING_RATES"]

#: ``criterion(image) -> 0-d tensor`` to minimise.
Criterion = Callable[[torch.Tensor], torch.Tensor]
#: ``callback(step, loss, image) -> stop?`` after every evaluation of the
#: criterion: ``image`` is the point it was evaluated at (a detached view of
#: the pixels being optimised: clone it to keep it); return True to stop early.
Callback = Callable[[int, float, torch.Tensor], "bool | None"]

OPTIMIZERS = ("lbfgs", "adam")
#: neural-style's step sizes: L-BFGS steps of 1 (torch optim's default), Adam 10.
DEFAULT_LEARNING_RATES = {"lbfgs": 1.0, "adam": 10.0}
#: L-BFGS history (neural-style's ``-lbfgs_num_correction`` default, torch optim's 100).
LBFGS_HISTORY = 100


class _Stop(Exception):
    """Raised inside the L-BFGS closure when the callback asks to stop."""


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


def image_optimization(image: torch.Tensor, criterion: Criterion, *, optimizer: str = "lbfgs",
                       num_steps: int = 500, learning_rate: float | None = None,
                       bounds: tuple[float, float] | None = None,
                       callback: Callback | None = None) -> torch.Tensor:
    """Minimise ``criterion`` over the pixels of ``image``.

    Parameters
    ----------
    image : tensor
        The starting point (not modified).
    criterion : callable
        ``criterion(x) -> 0-d tensor``, differentiable in ``x``.
    optimizer : {'lbfgs', 'adam'}
        L-BFGS without line search, history 100 and no tolerance stop (as
        neural-style ran it), or Adam. Without a line search the loss now
        and then jumps up for a while: keep the best point in ``callback``.
    num_steps : int
        Evaluations of ``criterion`` (= iterations); the last one is at the
        returned point. L-BFGS may stop sooner when its step vanishes.
    learning_rate : float, optional
        Step size; default 1 for L-BFGS, 10 for Adam (neural-style's).
    bounds : (float, float), optional
        Keep the pixels in ``[lo, hi]``: they are clamped before every
        evaluation (as the PyTorch tutorial does), so every point evaluated,
        and the result, lie inside.
    callback : callable, optional
        ``callback(step, loss, x)`` after every evaluation; return True to stop.

    Returns
    -------
    tensor
        The optimised image (detached): the point of the last evaluation.
    """
    lr = _check(optimizer, num_steps, learning_rate)
    x = image.detach().clone().requires_grad_(True)
    if num_steps == 0:
        return x.detach()
    evaluate = functools.partial(_evaluate, criterion=criterion, bounds=bounds)
    if optimizer == "adam":
        _adam(x, evaluate, num_steps, lr, callback)
    else:
        _lbfgs(x, evaluate, num_steps, lr, callback)
    return x.detach()


def _evaluate(x: torch.Tensor, criterion: Criterion, bounds: tuple[float, float] | None) -> torch.Tensor:
    if bounds is not None:
        with torch.no_grad():
            x.clamp_(*bounds)
    x.grad = None
    loss = criterion(x)
    loss.backward()
    return loss.detach()


def _adam(x: torch.Tensor, evaluate: Callable[[torch.Tensor], torch.Tensor], num_steps: int, lr: float,
          callback: Callback | None) -> None:
    opt = torch.optim.Adam([x], lr=lr)
    for step in range(num_steps):
        loss = evaluate(x)
        if callback is not None and callback(step, float(loss), x.detach()):
            return
        if step < num_steps - 1:  # end on an evaluated point, as L-BFGS does
            opt.step()


def _lbfgs(x: torch.Tensor, evaluate: Callable[[torch.Tensor], torch.Tensor], num_steps: int, lr: float,
           callback: Callback | None) -> None:
    opt = torch.optim.LBFGS([x], lr=lr, max_iter=num_steps, max_eval=num_steps, history_size=LBFGS_HISTORY,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn=None)
    step = 0

    def closure() -> torch.Tensor:
        nonlocal step
        loss = evaluate(x)
        stop = callback is not None and callback(step, float(loss), x.detach())
        step += 1
        if stop:
            raise _Stop
        return loss

    try:
        opt.step(closure)
    except _Stop:
        pass
