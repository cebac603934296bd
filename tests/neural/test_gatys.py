"""Losses and the Gatys engine (real embedded VGG16, small pictures); the optimiser: test_optim.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.neural.device import to_tensor
from prisma_abu.neural.losses import (
    ContentLoss, GramLoss, TVLoss, content_loss, gram_loss, gram_matrix, total_variation,
)
from prisma_abu.neural import gatys
from prisma_abu.neural.gatys import STYLE_LAYERS, plateaued, scale_sizes, style_transfer
from prisma_abu.neural.style_criterion import StyleCriterion, _NormalizeGrad


# --- losses -------------------------------------------------------------------------------------

def test_gram_matrix_against_the_literal_formula():
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(0))
    g = gram_matrix(x)
    f = x.numpy().reshape(2, 3, 20)
    for b in range(2):
        for i in range(3):
            for j in range(3):
                expected = sum(f[b, i, p] * f[b, j, p] for p in range(20)) / (3 * 4 * 5)
                assert g[b, i, j].item() == pytest.approx(expected, rel=1e-5)


def test_masked_gram_is_the_weighted_mean_over_positions():
    x = torch.randn(1, 2, 3, 3, generator=torch.Generator().manual_seed(1))
    m = torch.rand(1, 1, 3, 3, generator=torch.Generator().manual_seed(2))
    f, w = x.reshape(2, 9).numpy(), m.reshape(9).numpy()
    expected = (f * w) @ f.T / (2 * w.sum())
    np.testing.assert_allclose(gram_matrix(x, m)[0].numpy(), expected, rtol=1e-5)
    # a binary mask gives the Gram matrix of the masked positions alone
    binary = torch.zeros(1, 1, 3, 3)
    binary[..., :2, :] = 1
    inside = x[..., :2, :]
    torch.testing.assert_close(gram_matrix(x, binary), gram_matrix(inside))


def test_total_variation_against_the_literal_formula():
    x = torch.randn(1, 2, 4, 3, generator=torch.Generator().manual_seed(3))
    a = x.numpy()
    expected = 0.5 * (((a[:, :, 1:] - a[:, :, :-1]) ** 2).sum() + ((a[..., 1:] - a[..., :-1]) ** 2).sum())
    assert total_variation(x).item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("make", [
    lambda x, t, m: (gram_loss(x, gram_matrix(t)), GramLoss(gram_matrix(t))(x)),
    lambda x, t, m: (gram_loss(x, gram_matrix(t), mask=m), GramLoss(gram_matrix(t), m)(x)),
    lambda x, t, m: (content_loss(x, t), ContentLoss(t)(x)),
    lambda x, t, m: (total_variation(x), TVLoss()(x)),
], ids=["gram", "masked-gram", "content", "tv"])
def test_function_and_module_agree(make):
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(1, 4, 6, 6, generator=gen, requires_grad=True)
    t = torch.randn(1, 4, 6, 6, generator=gen)
    m = torch.rand(1, 1, 6, 6, generator=gen)
    by_function, by_module = make(x, t, m)
    torch.testing.assert_close(by_function, by_module)
    (g1,) = torch.autograd.grad(by_function, x)
    (g2,) = torch.autograd.grad(by_module, x)
    torch.testing.assert_close(g1, g2)


def test_losses_reject_a_non_4d_tensor():
    with pytest.raises(InvalidImageError, match="expected a BxCxHxW tensor, got 3x4"):
        gram_matrix(torch.zeros(3, 4))
    with pytest.raises(InvalidImageError, match="mask: expected a BxCxHxW tensor"):
        gram_matrix(torch.zeros(1, 2, 3, 3), torch.zeros(3, 3))


def test_normalized_gradient_has_l1_norm_of_its_weight():
    x = torch.randn(1, 3, 4, 4, requires_grad=True)
    (g,) = torch.autograd.grad(_NormalizeGrad.apply(x, 7.0).pow(2).sum() * 1000, x)
    assert g.abs().sum().item() == pytest.approx(7.0, rel=1e-4)


# --- engine (real VGG16) --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vgg16():
    from prisma_abu.neural.backbones import load_backbone

    return load_backbone("vgg16")


@pytest.fixture(scope="module")
def pictures():
    """The bundled cat at 64x80 and two contrasting 64x64 styles (swirl, stained glass)."""
    from prisma_abu.data import guide_path, sample_path
    def small(path, size):
        return np.asarray(Image.open(path).convert("RGB").resize(size, Image.Resampling.LANCZOS), np.float32)

    return (small(sample_path("chelsea"), (80, 64)), small(guide_path("swirl"), (64, 64)),
            small(guide_path("stained_glass"), (64, 64)))


def _criterion(net, content, styles, weights=None, mask=None):
    return StyleCriterion(net, to_tensor(content), [to_tensor(s) for s in styles],
                          blend_weights=weights or [1.0] * len(styles), content_layers=("relu4_2",),
                          style_layers=STYLE_LAYERS, content_weight=5.0, style_weight=100.0, tv_weight=1e-3,
                          mask=mask)


def _losses(net, content, styles, image, **kwargs):
    crit = _criterion(net, content, styles, **kwargs)
    with torch.no_grad():
        crit(to_tensor(image))
    return crit.last


def test_style_loss_falls_and_content_stays_bounded(vgg16, pictures):
    content, style, _ = pictures
    seen = []
    # 20x neural-style's content weight: with its 5 a converged picture on VGG16 is the swirl alone
    # (the content loss of the style picture itself), so only an unconverged one kept the content
    out = style_transfer(vgg16, content, [style], init="image", iterations=(40,), content_weight=100.0,
                         callback=seen.append)
    assert out.shape == content.shape and out.dtype == np.float32 and 0 <= out.min() and out.max() <= 255
    start, end = seen[0].losses, _losses(vgg16, content, [style], out)
    assert end.style <= 0.1 * start.style
    # the content survives: the result is nearer the content than the style picture itself is
    style_as_content = np.asarray(Image.fromarray(np.uint8(style)).resize((80, 64)), np.float32)
    assert end.content < 0.9 * _losses(vgg16, content, [style], style_as_content).content
    assert [p.iteration for p in seen] == list(range(1, 41)) and seen[-1].num_iterations == 40


def test_blend_weights_move_the_grams_toward_the_weighted_mix(vgg16, pictures):
    content, style_a, style_b = pictures
    out = style_transfer(vgg16, content, [style_a, style_b], blend_weights=[0.7, 0.3], init="image",
                         iterations=(40,))
    layers = list(STYLE_LAYERS)
    with torch.no_grad():
        g = {k: gram_matrix(v) for k, v in vgg16(to_tensor(out), layers).items()}
        ga = {k: gram_matrix(v) for k, v in vgg16(to_tensor(style_a), layers).items()}
        gb = {k: gram_matrix(v) for k, v in vgg16(to_tensor(style_b), layers).items()}

    def distance(target):
        return sum(float((g[k] - target[k]).pow(2).mean()) for k in layers)

    mix = distance({k: 0.7 * ga[k] + 0.3 * gb[k] for k in layers})
    assert mix < distance(ga) and mix < distance(gb)


def test_outside_the_mask_the_content_is_held(vgg16, pictures):
    content, style, _ = pictures
    mask = np.zeros(content.shape[:2], np.float32)
    mask[:, 40:] = 1.0
    seen = []
    out = style_transfer(vgg16, content, [style], mask=mask, init="image", iterations=(30,), callback=seen.append)
    np.testing.assert_allclose(out[:, :40], content[:, :40], atol=1e-3)
    assert np.abs(out[:, 44:] - content[:, 44:]).mean() > 10
    # the style loss of the masked region fell (neural-style's L-BFGS, without line search, ends near
    # 0.2-0.7x here, depending on the CPU: its unit steps overshoot again and again on this problem)
    m = torch.from_numpy(mask)[None, None]
    before = _losses(vgg16, content, [style], content, mask=m).style
    assert _losses(vgg16, content, [style], out, mask=m).style < 0.3 * before
    # the picture held (the lowest total so far) only ever gets a lower style loss
    held, best = [], np.inf
    for p in seen:
        if p.losses.total < best:
            best = p.losses.total
            held.append(p.losses.style)
    assert len(held) > 15 and all(b <= a for a, b in zip(held, held[1:]))


def test_same_seed_same_bytes_other_seed_other_bytes(vgg16, pictures):
    content, style, _ = pictures
    run = [style_transfer(vgg16, content, [style], init="random", seed=seed, iterations=(5, 5))
           for seed in (3, 3, 4)]
    assert run[0].tobytes() == run[1].tobytes()
    assert run[0].tobytes() != run[2].tobytes()


def test_coarse_to_fine_reports_every_scale_and_checkpoints_the_best(vgg16, pictures):
    content, style, _ = pictures
    big = np.repeat(np.repeat(content, 2, axis=0), 2, axis=1)  # 128x160: scales 64x80, 128x160
    seen, saved = [], []
    out = style_transfer(vgg16, big, [style], init="image", iterations=(6, 4), save_iter=3,
                         callback=seen.append, checkpoint=lambda i, image: saved.append((i, image.shape)))
    assert [(p.scale, p.size) for p in seen] == [(0, (64, 80))] * 6 + [(1, (128, 160))] * 4
    assert [p.iteration for p in seen] == list(range(1, 11))
    assert saved == [(3, (64, 80, 3)), (6, (64, 80, 3)), (9, (128, 160, 3))]
    assert out.shape == big.shape


def test_a_scale_ends_when_its_loss_stops_falling_and_hands_on_its_iterations(vgg16, pictures, monkeypatch):
    monkeypatch.setattr(gatys, "PLATEAU_WINDOW", 4)
    content, style, _ = pictures
    big = np.repeat(np.repeat(content, 2, axis=0), 2, axis=1)  # scales 64x80, 128x160
    seen = []
    style_transfer(vgg16, big, [style], init="image", iterations=(30, 2), tolerance=0.1, callback=seen.append)
    coarse, full = [p for p in seen if p.scale == 0], [p for p in seen if p.scale == 1]
    # each scale ran until the rule first held, no longer: the coarse one well before its ceiling of 30
    for run in (coarse, full):
        best = list(np.minimum.accumulate([p.losses.total for p in run]))
        assert len(run) >= 5 and plateaued(best, 0.1, 4) and not plateaued(best[:-1], 0.1, 4)
    assert len(coarse) < 30
    # the full size got the coarse scale's unused iterations on top of its own 2
    assert 2 < len(full) <= 2 + 30 - len(coarse)
    assert [p.iteration for p in seen] == list(range(1, len(seen) + 1))
    assert all(p.num_iterations == 32 for p in seen)


def test_plateaued_compares_the_best_loss_over_the_window():
    assert not plateaued([10.0] * 20, 1e-3, window=20)  # too few iterations to judge
    assert plateaued([10.0] * 21, 1e-3, window=20)
    assert not plateaued([10.0] + [9.7] * 20, 1e-3, window=20)  # 3% over 20 iterations: still falling
    assert plateaued([10.0] + [9.9] * 20, 1e-3, window=20)  # 1%: not falling fast enough
    assert not plateaued([10.0] * 21, 0.0, window=20)  # tolerance 0: never


@pytest.mark.parametrize("options", [{"optimizer": "adam"}, {"normalize_gradients": True}, {"init": "random"}])
def test_other_options_lower_the_loss_too(vgg16, pictures, options):
    content, style, _ = pictures
    seen = []
    style_transfer(vgg16, content, [style], iterations=(15,), callback=seen.append, **{"init": "image", **options})
    assert min(p.losses.total for p in seen[5:]) < 0.5 * seen[0].losses.total


def test_bf16_losses_agree_with_fp32(vgg16, pictures):
    content, style, _ = pictures
    image = (content + np.random.default_rng(0).normal(0, 20, content.shape)).clip(0, 255).astype(np.float32)
    parts = {}
    for precision in ("fp32", "bf16"):
        crit = StyleCriterion(vgg16, to_tensor(content), [to_tensor(style)], blend_weights=[1.0],
                              content_layers=("relu4_2",), style_layers=STYLE_LAYERS, content_weight=5.0,
                              style_weight=100.0, tv_weight=1e-3, precision=precision)
        with torch.no_grad():
            crit(to_tensor(image))
        parts[precision] = crit.last
    for name in ("content", "style", "tv"):
        assert getattr(parts["bf16"], name) == pytest.approx(getattr(parts["fp32"], name), rel=0.03)


def test_scale_sizes_halve_and_skip_tiny_scales():
    assert scale_sizes((340, 512), 3) == [(85, 128), (170, 256), (340, 512)]
    assert scale_sizes((100, 150), 3) == [(100, 150)]
    assert scale_sizes((300, 400), 2, 1.5) == [(200, 267), (300, 400)]


@pytest.mark.parametrize("kwargs,error,match", [
    ({"styles": []}, InvalidParameterError, "styles: expected at least one style image, got none"),
    ({"blend_weights": [1.0, 2.0]}, InvalidParameterError, r"expected one weight per style \(1\), got 2"),
    ({"blend_weights": [0.0]}, InvalidParameterError, "expected weights >= 0 with a positive sum"),
    ({"mask": np.zeros((3, 3))}, InvalidImageError, r"mask: expected shape \(64, 80\)"),
    ({"init": "noise"}, InvalidParameterError, "init: expected 'random', 'image' or an array, got 'noise'"),
    ({"init": np.zeros((2, 2, 3))}, InvalidImageError, r"init image: expected shape \(64, 80, 3\)"),
    ({"precision": "fp16"}, InvalidParameterError, "precision: expected fp32 or bf16, got 'fp16'"),
    ({"precision": ["bf16"], "iterations": (1, 1)}, InvalidParameterError,
     r"precision: expected one per scale \(2\), got 1"),
    ({"iterations": ()}, InvalidParameterError, "iterations: expected one count per scale, got none"),
    ({"tolerance": [0.1], "iterations": (1, 1)}, InvalidParameterError,
     r"tolerance: expected one per scale \(2\), got 1"),
    ({"tolerance": -0.1}, InvalidParameterError, r"tolerance: expected numbers in \[0, 1\), got -0.1"),
])
def test_style_transfer_rejects_bad_input(vgg16, pictures, kwargs, error, match):
    content, style, _ = pictures
    kwargs = {"styles": [style], "iterations": (1,), **kwargs}
    big = np.repeat(np.repeat(content, 2, axis=0), 2, axis=1) if len(kwargs["iterations"]) > 1 else content
    with pytest.raises(error, match=match):
        style_transfer(vgg16, big, kwargs.pop("styles"), **kwargs)


def test_style_transfer_rejects_a_non_rgb_content(vgg16, pictures):
    with pytest.raises(InvalidImageError, match=r"content: expected an \(M, N, 3\) RGB array"):
        style_transfer(vgg16, np.zeros((8, 8)), [pictures[1]], iterations=(1,))
