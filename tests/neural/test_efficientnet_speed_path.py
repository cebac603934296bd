"""The faster bf16 path for strided depthwise convolutions computes the same thing."""

from __future__ import annotations

import pytest
import torch

import prisma_abu.neural.efficientnet as effnet
from prisma_abu.neural.backbones import load_backbone


def _forward_and_grad(net, x, mode, monkeypatch):
    monkeypatch.setattr(effnet, "STRIDED_DEPTHWISE_MODE", mode)
    x = x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        act = net(x, ["blocks.3"])["blocks.3"]
    (grad,) = torch.autograd.grad(act.float().pow(2).sum(), x)
    return act.float().detach(), grad


@pytest.mark.parametrize("mode", ["fp32", "sliced"])
def test_strided_depthwise_modes_agree_with_native(mode, monkeypatch):
    net = load_backbone("efficientnet_lite0")
    x = torch.rand(1, 3, 67, 90) * 255  # odd sizes: TF "same" padding is asymmetric here
    act_native, grad_native = _forward_and_grad(net, x, "native", monkeypatch)
    act, grad = _forward_and_grad(net, x, mode, monkeypatch)
    assert act.shape == act_native.shape
    rel = (act - act_native).norm() / act_native.norm()
    assert rel < 0.05  # bf16 rounding only
    cos = torch.nn.functional.cosine_similarity(grad.flatten(), grad_native.flatten(), dim=0)
    assert cos > 0.98
