"""Every engine sends its tensors through the device helper, to the network's device.

No GPU here: the network's device is reported as ``meta`` and ``to_device`` is
spied on (it records the device asked for and hands the CPU tensor back), so
the arithmetic runs on the CPU while the test sees where each tensor was sent.
An engine that built a tensor without the helper, or sent it to the CPU by
assumption, fails.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from prisma_abu.neural import deepdream, gatys

META = torch.device("meta")


@pytest.fixture()
def sent(monkeypatch):
    """The devices the engines asked ``to_device`` for, with the tensors' shapes."""
    calls: list[tuple[tuple[int, ...], torch.device]] = []

    def spy(value, where):
        if isinstance(value, torch.Tensor):
            calls.append((tuple(value.shape), torch.device(where)))
        return value

    for engine in (deepdream, gatys):  # each engine's names from the device module
        monkeypatch.setattr(engine, "to_device", spy)
        monkeypatch.setattr(engine, "device_of", lambda module: META)
    return calls


@pytest.fixture(scope="module")
def vgg16():
    from prisma_abu.neural.backbones import load_backbone

    return load_backbone("vgg16")


def _picture(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 255, (h, w, 3)).astype(np.float32)


def test_dream_sends_the_picture_to_the_networks_device(vgg16, sent):
    objective = deepdream.DreamObjective((vgg16.resolve_layer("relu1_2"),), (1.0,))
    deepdream.deep_dream(vgg16, _picture(32, 40), objective, iter_n=1, octave_n=1)
    assert sent and all(where == META for _, where in sent)
    assert (1, 3, 32, 40) in [shape for shape, _ in sent]


def test_guide_features_go_to_the_networks_device(vgg16, sent):
    deepdream.guide_features(vgg16, _picture(24, 24), [vgg16.resolve_layer("relu1_2")])
    assert [where for _, where in sent] == [META]


@pytest.mark.parametrize("init", ["image", "random"])
def test_style_transfer_sends_content_styles_mask_and_start_to_the_networks_device(vgg16, sent, init):
    from prisma_abu.neural.gatys import style_transfer

    mask = np.ones((32, 40), np.float32)
    style_transfer(vgg16, _picture(32, 40), [_picture(32, 32, 1), _picture(24, 24, 2)], mask=mask, init=init,
                   iterations=(1,), content_layers=(vgg16.resolve_layer("relu2_2"),),
                   style_layers=(vgg16.resolve_layer("relu1_1"),))
    shapes = [shape for shape, _ in sent]
    assert all(where == META for _, where in sent)
    assert (1, 3, 32, 40) in shapes and (1, 3, 32, 32) in shapes and (1, 3, 24, 24) in shapes
    assert (1, 1, 32, 40) in shapes  # the mask
    if init == "random":
        assert shapes.count((1, 3, 32, 40)) == 2  # the content, then the seeded noise made on the CPU
