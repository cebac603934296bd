"""prisma_abu.neural.saliency: class activation maps from the embedded classifier's own head."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.io import read_image
from prisma_abu.neural.backbones import load_backbone
from prisma_abu.neural.device import to_tensor
from prisma_abu.neural.saliency import class_saliency


@pytest.fixture(scope="module")
def effnet():
    return load_backbone("efficientnet_lite0")


def test_classify_with_gives_classifys_logits_and_the_layer(effnet):
    x = to_tensor(read_image("sample/coffee.jpg")[::2, ::2])
    with torch.no_grad():
        plain = effnet.classify(x)
        head = effnet(x, ["head"])["head"]
    logits, activation = effnet.classify_with(x, "head")
    torch.testing.assert_close(logits.detach(), plain)
    torch.testing.assert_close(activation.detach(), head)
    assert activation.requires_grad  # a leaf the gradient can be taken at
    (grad,) = torch.autograd.grad(logits[0, 967], activation)
    assert grad.shape == activation.shape and float(grad.abs().sum()) > 0
    with pytest.raises(InvalidParameterError, match="inside a stage"):
        effnet.classify_with(x, "blocks.3.expand")


def test_the_cats_map_lies_on_the_cat_and_names_it(effnet):
    photo = read_image("sample/chelsea.jpg")
    s = class_saliency(effnet, photo)
    assert s.map.shape == photo.shape[:2] and s.map.dtype == np.float32
    assert s.map.min() >= 0 and s.map.max() == pytest.approx(1.0)
    assert s.classes[0] == 285 and s.probabilities[0] > 0.5  # Egyptian cat
    assert list(s.probabilities) == sorted(s.probabilities, reverse=True) and len(s.classes) == 5
    h, w = s.map.shape
    face = s.map[h // 4: 3 * h // 4, w // 6: 5 * w // 6].mean()
    right_edge = s.map[:, -w // 10:].mean()  # the bright background at the right
    assert face > 3 * right_edge
    # the map at another size, from the same classification
    small = class_saliency(effnet, photo, shape=(30, 45))
    assert small.map.shape == (30, 45) and small.classes == s.classes


def test_bad_calls_are_refused(effnet):
    vgg = load_backbone("vgg16")
    with pytest.raises(ModelError):
        class_saliency(vgg, np.zeros((40, 40, 3), np.float32))
    with pytest.raises(InvalidImageError):
        class_saliency(effnet, np.zeros((40, 40), np.float32))
    with pytest.raises(InvalidParameterError, match="sides"):
        class_saliency(effnet, np.zeros((40, 40, 3), np.float32), sides=(16,))
    with pytest.raises(InvalidParameterError, match="top_k"):
        class_saliency(effnet, np.zeros((40, 40, 3), np.float32), top_k=0)
