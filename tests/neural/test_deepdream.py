from __future__ import annotations

import numpy as np
import pytest
import torch

from prisma_abu.errors import InvalidImageError
from prisma_abu.neural.deepdream import DreamObjective, deep_dream, guide_features, guide_objective, l2_objective
from prisma_abu.neural.device import to_array, to_tensor


def _activation_norm(net, image, layer):
    with torch.no_grad():
        return float(net(to_tensor(image), [layer])[layer].pow(2).sum())


def test_tensor_round_trip(picture):
    np.testing.assert_array_equal(to_array(to_tensor(picture)), picture)


def test_l2_gradient_is_the_activation():
    act = torch.randn(1, 4, 5, 6, requires_grad=True)
    (grad,) = torch.autograd.grad(l2_objective(act), act)
    torch.testing.assert_close(grad, act.detach())


def test_guide_gradient_is_best_matching_guide_feature():
    act = torch.randn(1, 3, 2, 2, requires_grad=True)
    guide = torch.randn(3, 7)
    (grad,) = torch.autograd.grad(guide_objective(act, guide), act)
    x = act.detach()[0].reshape(3, -1).numpy()
    y = guide.numpy()
    expected = y[:, (x.T @ y).argmax(1)].reshape(1, 3, 2, 2)
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-6)


def test_dream_raises_objective_severalfold(tiny_encoder, picture):
    obj = DreamObjective(("conv2",), (1.0,))
    out = deep_dream(tiny_encoder, picture, obj, iter_n=20, octave_n=2, seed=0)
    assert out.shape == picture.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 255
    before = _activation_norm(tiny_encoder, picture, "conv2")
    after = _activation_norm(tiny_encoder, out, "conv2")
    assert after > 2 * before  # 3.01x here: 2x leaves room for other CPUs' rounding (3x was within 0.4%)


def test_seed_reproduces_and_differs(tiny_encoder, picture):
    obj = DreamObjective(("conv2",), (1.0,))
    a = deep_dream(tiny_encoder, picture, obj, iter_n=3, octave_n=2, seed=5)
    b = deep_dream(tiny_encoder, picture, obj, iter_n=3, octave_n=2, seed=5)
    c = deep_dream(tiny_encoder, picture, obj, iter_n=3, octave_n=2, seed=6)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


def test_input_is_not_mutated(tiny_encoder, picture):
    copy = picture.copy()
    deep_dream(tiny_encoder, picture, DreamObjective(("conv1",), (1.0,)), iter_n=2, octave_n=1)
    np.testing.assert_array_equal(picture, copy)


def test_guided_dream_moves_features_toward_guide(tiny_encoder, picture, rng):
    guide = np.zeros((40, 40, 3), np.float32)
    guide[:, :, 2] = 255  # a pure blue guide
    layer = "relu1"
    feats = guide_features(tiny_encoder, guide, [layer])
    obj = DreamObjective((layer,), (1.0,), guides=feats)
    out = deep_dream(tiny_encoder, picture, obj, iter_n=10, octave_n=1, jitter=0, seed=0)

    def match(img):
        with torch.no_grad():
            act = tiny_encoder(to_tensor(img), [layer])[layer][0].reshape(feats[layer].shape[0], -1)
        return float((act.t() @ feats[layer]).max(dim=1).values.mean())

    assert match(out) > match(picture)
    assert out[:, :, 2].mean() > picture[:, :, 2].mean()


def test_channel_subset_only_amplifies_those_channels(tiny_encoder, picture):
    obj = DreamObjective(("conv1",), (1.0,), channels=(0,))
    out = deep_dream(tiny_encoder, picture, obj, iter_n=5, octave_n=1, seed=0)
    with torch.no_grad():
        before = tiny_encoder(to_tensor(picture), ["conv1"])["conv1"][0]
        after = tiny_encoder(to_tensor(out), ["conv1"])["conv1"][0]
    gain = after.pow(2).sum(dim=(1, 2)) / before.pow(2).sum(dim=(1, 2))
    assert gain[0] == gain.max()


def test_several_layers_with_weights(tiny_encoder, picture):
    obj = DreamObjective(("conv1", "conv2"), (0.5, 2.0))
    feats = tiny_encoder(to_tensor(picture), ["conv1", "conv2"])
    expected = 0.5 * l2_objective(feats["conv1"]) + 2.0 * l2_objective(feats["conv2"])
    torch.testing.assert_close(obj(feats), expected)


def test_tiled_equals_untiled_within_tolerance(tiny_encoder, picture):
    picture = np.tile(picture, (3, 3, 1))  # 192 x 240
    obj = DreamObjective(("conv2",), (1.0,))
    calls = []
    tiny_encoder.register_forward_hook(lambda mod, args, out: calls.append(args[0].shape[-2:]))
    whole = deep_dream(tiny_encoder, picture, obj, iter_n=4, octave_n=1, seed=0, tile_size=512)
    n_whole = len(calls)
    tiled = deep_dream(tiny_encoder, picture, obj, iter_n=4, octave_n=1, seed=0,
                       tile_size=32, tile_overlap=8)
    assert len(calls) - n_whole > 2 * n_whole  # it really went tile by tile
    assert all(tuple(s) != picture.shape[:2] for s in calls[n_whole:])  # no tile saw the whole picture
    np.testing.assert_allclose(tiled, whole, atol=0.05)
    assert np.abs(whole - picture).mean() > 2.0


def test_bad_image_shape_is_refused(tiny_encoder):
    with pytest.raises(InvalidImageError, match=r"image: expected an \(M, N, 3\) RGB array"):
        deep_dream(tiny_encoder, np.zeros((8, 8), np.float32), DreamObjective(("conv1",), (1.0,)))


def test_guide_objective_chunks_give_the_same_match():
    torch.manual_seed(0)
    act = torch.randn(1, 4, 70, 70, requires_grad=True)  # 4900 positions
    guide = torch.randn(4, 5000)  # chunk of 3355 rows: two chunks
    (grad,) = torch.autograd.grad(guide_objective(act, guide), act)
    x = act.detach()[0].reshape(4, -1)
    expected = guide[:, (x.t() @ guide).argmax(1)].reshape(1, 4, 70, 70)
    torch.testing.assert_close(grad, expected)


@pytest.mark.parametrize("backbone, layer", [("efficientnet_lite0", "blocks.1"), ("vgg16", "relu1_2")])
@pytest.mark.parametrize("weight", [1.0, 0.3])
def test_the_l2_shortcut_gives_autograds_bytes(picture, backbone, layer, weight):
    """One layer, no channels, no guide: the gradient handed to the backward pass directly (channels-last)
    is byte for byte what the general path (autograd through the objective, here over every channel) gives."""
    from prisma_abu.neural.backbones import load_backbone

    net = load_backbone(backbone)
    channels = int(net(to_tensor(picture[:8, :8]), [layer])[layer].shape[1])
    fast = deep_dream(net, picture, DreamObjective((layer,), (weight,)), iter_n=2, octave_n=2, seed=4)
    general = deep_dream(net, picture, DreamObjective((layer,), (weight,), tuple(range(channels))),
                         iter_n=2, octave_n=2, seed=4)
    assert fast.tobytes() == general.tobytes()
    assert np.abs(fast - picture).mean() > 0.5  # and it did dream
