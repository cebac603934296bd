"""The dream's gradient hands its seed to autograd without a tensor ``grad_outputs``: the same bits, and a
fresh process does not import sympy (0.5-0.8 s through torch.fx) on its first step."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from prisma_abu.neural.deepdream import _Seeded

_PROBE = """
import sys, numpy as np, torch
from prisma_abu.neural.deepdream import DreamObjective, deep_dream
class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
    def forward(self, x, layers):
        return {"conv": self.conv(x)}
picture = np.random.default_rng(0).uniform(0, 255, (40, 48, 3)).astype(np.float32)
out = deep_dream(Tiny(), picture, DreamObjective(("conv",), (1.0,)), iter_n=2, octave_n=1)
assert not np.array_equal(out, picture)
print("sympy" in sys.modules, "torch.fx.experimental.symbolic_shapes" in sys.modules)
"""


def test_a_dream_step_in_a_fresh_process_imports_no_sympy():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("weight", [1.0, 0.3])
def test_the_seeded_gradient_is_grad_outputs_bit_for_bit(precision, weight):
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 6, 3, padding=1)).to(memory_format=torch.channels_last)
    x = (torch.rand(1, 3, 33, 40) * 255).to(memory_format=torch.channels_last).requires_grad_(True)

    def activation():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            act = net(x)
        return act, (act.detach() if weight == 1 else (weight * act.detach().float()).to(act.dtype))

    act, seed = activation()
    (seeded,) = torch.autograd.grad(_Seeded.apply(act, seed), x)
    act, seed = activation()
    (plain,) = torch.autograd.grad(act, x, grad_outputs=seed)
    assert seeded.dtype == plain.dtype and torch.equal(seeded, plain)
