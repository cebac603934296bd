"""The image optimiser: L-BFGS with and without line search, Adam (small tensors, no network)."""

from __future__ import annotations

import pytest
import torch

from prisma_abu.errors import InvalidParameterError
from prisma_abu.neural.optim import OPTIMIZERS, image_optimization


def _rosenbrock(x: torch.Tensor) -> torch.Tensor:
    x = x.reshape(-1)
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


#: the classical start (-1.2, 1), twice: a curved valley where unit quasi-Newton steps overshoot
ROSENBROCK_START = torch.tensor([-1.2, 1.0, -1.2, 1.0], dtype=torch.float64).reshape(1, 1, 2, 2)


def _trace(optimizer, start, criterion, steps, **kwargs):
    seen = []
    out = image_optimization(start, criterion, optimizer=optimizer, num_steps=steps,
                             callback=lambda i, loss, x: seen.append((i, loss, x.clone())), **kwargs)
    return out, seen


def _torch_lbfgs(start, criterion, steps, line_search_fn):
    """torch.optim.LBFGS as neural-style's settings run it, recording every point evaluated."""
    x = start.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1.0, max_iter=steps, max_eval=steps, history_size=100,
                            tolerance_grad=0.0, tolerance_change=0.0, line_search_fn=line_search_fn)
    seen = []

    def closure():
        if len(seen) == steps:
            raise StopIteration
        x.grad = None
        loss = criterion(x)
        loss.backward()
        seen.append((float(loss.detach()), x.detach().clone()))
        return loss

    try:
        opt.step(closure)
    except StopIteration:
        pass
    return seen


@pytest.mark.parametrize("optimizer,steps", [("lbfgs", 20), ("lbfgs-neural-style", 20), ("adam", 300)])
def test_image_optimization_minimises_and_leaves_the_input_alone(optimizer, steps):
    start = torch.zeros(1, 3, 4, 4)
    target = torch.linspace(0, 255, 48).reshape(1, 3, 4, 4)
    out, seen = _trace(optimizer, start, lambda x: (x - target).pow(2).mean(), steps)
    assert start.abs().sum() == 0
    assert seen[0][0] == 0 and seen[-1][1] < 1e-2 * seen[0][1]
    torch.testing.assert_close(out, target, atol=0.5, rtol=0)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_image_optimization_keeps_every_evaluated_point_in_bounds(optimizer):
    out, seen = _trace(optimizer, torch.full((1, 1, 3, 3), 20.0), lambda x: (x + 50).pow(2).sum(), 10,
                       bounds=(0.0, 255.0))
    assert all(float(x.min()) >= 0 for _, _, x in seen) and float(out.min()) == 0.0


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_image_optimization_stops_when_the_callback_says_so(optimizer):
    seen = []
    image_optimization(torch.zeros(1, 1, 2, 2), lambda x: (x - 3).pow(2).sum() + x.pow(4).sum(),
                       optimizer=optimizer, num_steps=50, callback=lambda i, loss, x: seen.append(i) or i == 4)
    assert seen == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_an_iteration_is_one_evaluation_and_the_best_point_is_returned(optimizer):
    # Rosenbrock does not converge in 15 evaluations: every optimiser spends exactly its budget,
    # line-search trials included, and returns the lowest point it evaluated
    out, seen = _trace(optimizer, ROSENBROCK_START, _rosenbrock, 15)
    assert [i for i, _, _ in seen] == list(range(15))
    best = min(seen, key=lambda s: s[1])
    assert torch.equal(out, best[2]) and float(_rosenbrock(out)) == best[1]


def test_neural_style_lbfgs_is_torch_lbfgs_without_line_search_step_for_step():
    _, seen = _trace("lbfgs-neural-style", ROSENBROCK_START, _rosenbrock, 40)
    reference = _torch_lbfgs(ROSENBROCK_START, _rosenbrock, 40, line_search_fn=None)
    assert len(seen) == len(reference) == 40
    for (_, loss, x), (ref_loss, ref_x) in zip(seen, reference):
        assert loss == ref_loss and torch.equal(x, ref_x)


def test_lbfgs_is_torch_strong_wolfe_step_for_step_with_torchs_first_step():
    _, seen = _trace("lbfgs", ROSENBROCK_START, _rosenbrock, 40, first_step=None)
    reference = _torch_lbfgs(ROSENBROCK_START, _rosenbrock, 40, line_search_fn="strong_wolfe")
    assert len(seen) == len(reference) == 40
    for (_, loss, x), (ref_loss, ref_x) in zip(seen, reference):
        assert loss == ref_loss and torch.equal(x, ref_x)


def test_lbfgs_first_trial_step_moves_the_largest_pixel_by_first_step():
    start = torch.zeros(1, 1, 4, 4)
    weights = torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    _, seen = _trace("lbfgs", start, lambda x: ((x - 100) * weights).pow(2).sum(), 2, first_step=16.0)
    step = (seen[1][2] - seen[0][2]).abs()
    assert float(step.max()) == pytest.approx(16.0, rel=1e-6)


def test_lbfgs_with_line_search_converges_where_unit_steps_overshoot():
    # from here neural-style's unit steps jump to 1e10 and end near 0.2 after 100 evaluations
    start = torch.full((1, 1, 2, 3), -1.5, dtype=torch.float64)
    out, seen = _trace("lbfgs", start, _rosenbrock, 100)
    assert float(_rosenbrock(out)) < 1e-10
    torch.testing.assert_close(out, torch.ones_like(out), atol=1e-5, rtol=0)
    # the line search tries points above the current one, but never one above the start
    assert max(loss for _, loss, _ in seen) <= seen[0][1]


@pytest.mark.parametrize("kwargs,match", [
    ({"optimizer": "sgd"}, "optimizer: expected one of lbfgs, lbfgs-neural-style, adam, got 'sgd'"),
    ({"num_steps": -1}, "num_steps: expected an integer >= 0, got -1"),
    ({"learning_rate": 0.0}, "learning_rate: expected a number > 0, got 0.0"),
])
def test_image_optimization_rejects_bad_options(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        image_optimization(torch.zeros(1, 1, 2, 2), lambda x: x.sum(), **kwargs)
