"""Training a style network: the loss falls on unseen photos (real VGG16), resume is bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from prisma_abu.data import guide_path, sample_path
from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.neural.stylenets.train import (
    CHECKPOINT_FORMAT, evaluate_losses, initial_net, read_checkpoint, train_style,
)
from prisma_abu.neural.stylenets.transformer_net import TransformerStyleNet, load, save_model
from prisma_abu.params import TrainStyleParams, params_from_dict

TINY_LAYERS = {"content_layer": "relu1", "style_layers": ("conv1", "conv2")}


def picture(name: str, folder=sample_path) -> np.ndarray:
    return np.asarray(Image.open(folder(name)).convert("RGB"), dtype=np.float32)


@pytest.fixture
def small_photos(rng):
    yy, xx = np.mgrid[0:48, 0:56]
    return [np.clip(np.stack([xx * 4.0 + k * 30, yy * 5.0, 128 + 80 * np.sin(xx / (3.0 + k))], axis=2)
                    + rng.normal(0, 10, (48, 56, 3)), 0, 255).astype(np.float32) for k in range(3)]


@pytest.fixture
def stripes():
    yy, xx = np.mgrid[0:40, 0:40]
    return np.where(((xx + yy) // 5) % 2, 230.0, 30.0)[..., None].repeat(3, axis=2) * np.array([1.0, 0.6, 0.2])


def weights_of(net: TransformerStyleNet) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in net.net.state_dict().items()}


@pytest.mark.slow
def test_a_few_dozen_steps_lower_the_style_loss_on_photos_not_trained_on():
    style = picture("swirl", guide_path)
    train = [picture(n) for n in ("astronaut", "coffee", "rocket")]
    unseen = [picture(n) for n in ("chelsea", "hubble")]
    params = TrainStyleParams(image_size=64, style_image_size=128, batch_size=2, steps=36, width=0.25,
                              learning_rate=1e-2, precision="fp32", seed=1)
    seen = []
    net = train_style(style, train, params, callback=lambda step, losses: seen.append((step, losses)))
    before = evaluate_losses(TransformerStyleNet(_untrained(params)), unseen, style, params)
    after = evaluate_losses(net, unseen, style, params)
    assert after["style"] < 0.7 * before["style"], (before, after)
    assert [s for s, _ in seen] == list(range(1, 37))
    assert all(set(losses) == {"content", "style", "tv", "total"} for _, losses in seen)
    assert net.training_params["kind"] == "train_style"
    assert params_from_dict(net.training_params) == params


def _untrained(params):
    return initial_net(params).eval()


def test_resume_continues_the_same_run_bit_for_bit(tmp_path, small_photos, stripes, tiny_encoder):
    params = TrainStyleParams(image_size=32, style_image_size=40, batch_size=2, steps=8, width=0.25,
                              checkpoint_every=4, precision="fp32", seed=3)
    whole_losses, part_losses = [], []
    whole = train_style(stripes, small_photos, params, encoder=tiny_encoder, checkpoint=tmp_path / "whole.ckpt",
                        callback=lambda s, losses: whole_losses.append((s, losses)), **TINY_LAYERS)
    ckpt = tmp_path / "part.ckpt"
    train_style(stripes, small_photos, params.replace(steps=4), encoder=tiny_encoder, checkpoint=ckpt,
                **TINY_LAYERS)
    assert read_checkpoint(ckpt)["step"] == 4
    resumed = train_style(stripes, small_photos, params, encoder=tiny_encoder, resume=ckpt,
                          callback=lambda s, losses: part_losses.append((s, losses)), **TINY_LAYERS)
    a, b = weights_of(whole), weights_of(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert part_losses == whole_losses[4:]
    # and the run did something: the weights moved from their start
    start = _untrained(params).state_dict()
    assert any(not torch.equal(start[k], a[k]) for k in a)
    assert read_checkpoint(tmp_path / "whole.ckpt")["step"] == 8


def test_the_same_seed_gives_the_same_network_and_another_seed_another(small_photos, stripes, tiny_encoder):
    params = TrainStyleParams(image_size=32, batch_size=1, steps=3, width=0.25, precision="fp32", seed=7)
    runs = [weights_of(train_style(stripes, small_photos, p, encoder=tiny_encoder, **TINY_LAYERS))
            for p in (params, params, params.replace(seed=8))]
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert any(not torch.equal(runs[0][k], runs[2][k]) for k in runs[0])


def test_a_resume_that_does_not_match_is_refused(tmp_path, small_photos, stripes, tiny_encoder):
    params = TrainStyleParams(image_size=32, batch_size=1, steps=2, width=0.25, checkpoint_every=2,
                              precision="fp32")
    ckpt = tmp_path / "run.ckpt"
    train_style(stripes, small_photos, params, encoder=tiny_encoder, checkpoint=ckpt, **TINY_LAYERS)
    more = params.replace(steps=4)
    with pytest.raises(InvalidParameterError, match=r"differ from the checkpoint's \(learning_rate, width\)"):
        train_style(stripes, small_photos, more.replace(learning_rate=0.5, width=0.5), encoder=tiny_encoder,
                    resume=ckpt, **TINY_LAYERS)
    with pytest.raises(InvalidParameterError, match="same style picture and photos"):
        train_style(stripes[::-1], small_photos, more, encoder=tiny_encoder, resume=ckpt, **TINY_LAYERS)
    with pytest.raises(InvalidParameterError, match="expected at least the checkpoint's 2 steps, got 1"):
        train_style(stripes, small_photos, params.replace(steps=1), encoder=tiny_encoder, resume=ckpt,
                    **TINY_LAYERS)
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    with pytest.raises(ModelError, match="corrupt or truncated"):
        train_style(stripes, small_photos, more, encoder=tiny_encoder, resume=ckpt, **TINY_LAYERS)
    torch.save({"format": "something else"}, tmp_path / "other.ckpt")
    with pytest.raises(ModelError, match=CHECKPOINT_FORMAT):
        read_checkpoint(tmp_path / "other.ckpt")


def test_a_run_killed_after_its_last_checkpoint_resumes_to_its_network(tmp_path, small_photos, stripes,
                                                                       tiny_encoder):
    """The checkpoint of the final step was written, the model was not: resuming just gives the network."""
    params = TrainStyleParams(image_size=32, batch_size=1, steps=2, width=0.25, checkpoint_every=1,
                              precision="fp32")
    ckpt = tmp_path / "run.ckpt"
    whole = train_style(stripes, small_photos, params, encoder=tiny_encoder, checkpoint=ckpt, **TINY_LAYERS)
    steps = []
    again = train_style(stripes, small_photos, params, encoder=tiny_encoder, resume=ckpt,
                        callback=lambda s, losses: steps.append(s), **TINY_LAYERS)
    assert steps == []
    a, b = weights_of(whole), weights_of(again)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_trained_network_saved_is_a_first_class_model(tmp_path, small_photos, stripes, tiny_encoder):
    params = TrainStyleParams(image_size=32, batch_size=1, steps=2, width=0.25, precision="fp32")
    net = train_style(stripes, small_photos, params, encoder=tiny_encoder, name="stripes", **TINY_LAYERS)
    path = tmp_path / "stripes.pth"
    save_model(path, net, params)
    back = load(path)
    assert back.name == "stripes" and TrainStyleParams.from_dict(back.training_params) == params
    x = torch.rand(1, 3, 30, 42) * 255
    with torch.no_grad():
        assert torch.equal(back(x), net(x))


def test_bf16_autocast_trains(small_photos, stripes, tiny_encoder):
    seen = []
    params = TrainStyleParams(image_size=32, batch_size=1, steps=2, width=0.25, precision="bf16")
    train_style(stripes, small_photos, params, encoder=tiny_encoder, callback=lambda s, losses: seen.append(losses),
                **TINY_LAYERS)
    assert len(seen) == 2 and all(np.isfinite(v) for losses in seen for v in losses.values())


def test_small_photos_are_enlarged_and_bad_pictures_refused(stripes, tiny_encoder):
    params = TrainStyleParams(image_size=32, batch_size=2, steps=1, width=0.25, precision="fp32")
    tiny = [np.full((10, 12, 3), 128.0)]
    assert isinstance(train_style(stripes, tiny, params, encoder=tiny_encoder, **TINY_LAYERS), TransformerStyleNet)
    with pytest.raises(InvalidImageError, match="at least one"):
        train_style(stripes, [], params, encoder=tiny_encoder, **TINY_LAYERS)
    with pytest.raises(InvalidImageError, match="photo 0"):
        train_style(stripes, [np.zeros((8, 8))], params, encoder=tiny_encoder, **TINY_LAYERS)


@pytest.mark.parametrize("field, value", [
    ("image_size", 30), ("image_size", 8), ("batch_size", 0), ("steps", 0), ("learning_rate", 0.0),
    ("style_weight", -1.0), ("width", 0.0), ("width", 9.0), ("precision", "fp16"), ("checkpoint_every", -1),
    ("style_image_size", 4),
])
def test_train_style_params_are_checked(field, value):
    with pytest.raises(InvalidParameterError, match=field):
        TrainStyleParams(**{field: value})


def test_train_style_params_round_trip():
    p = TrainStyleParams(image_size=128, width=0.25, style_image_size=None)
    assert TrainStyleParams.from_json(p.to_json()) == p
    assert TrainStyleParams.from_toml(p.to_toml()) == p
    assert params_from_dict({"kind": "train_style", **p.to_dict()}) == p


def test_a_strip_as_style_is_one_line_and_as_photo_costs_no_giant_enlargement(small_photos, tiny_encoder):
    from prisma_abu.neural.stylenets.train import MAX_ASPECT, _Crops

    params = TrainStyleParams(image_size=32, style_image_size=64, batch_size=1, steps=1, width=0.25,
                              precision="fp32")
    def pooling(image, layers):  # the tiny encoder with a 2x2 max pool, as VGG has: a 1-pixel row cannot pass it
        out = tiny_encoder(image, [name for name in layers if name != "pool"] + ["relu1"])
        if "pool" in layers:
            out["pool"] = torch.nn.functional.max_pool2d(out["relu1"], 2)
        return out

    strip = np.full((1, 20000, 3), 128.0, np.float32)
    with pytest.raises(InvalidImageError, match="a 1x20000 picture is 1x64 at style_image_size 64, too thin"):
        train_style(strip, small_photos, params, encoder=pooling, content_layer="relu1", style_layers=("pool",))
    crops = _Crops([torch.zeros(3, 1, 20000)], 32, torch.Generator().manual_seed(0))
    assert crops.photos[0].shape[-2:] == (32, MAX_ASPECT * 32)  # not 32 x 640000
    assert crops.batch(2).shape == (2, 3, 32, 32)
