"""BVLC GoogLeNet from a Caffe .caffemodel: the torch rebuild against OpenCV dnn, caching, errors.

Nothing here needs the real 53 MB ``bvlc_googlenet.caffemodel``: each test
writes its own with the protobuf schema of :mod:`prisma_abu.neural.caffemodel`
(random weights; the whole topology with widths divided by ``SCALE``, and once
the real widths) and, for OpenCV, a ``deploy.prototxt`` written here from
BVLC's, independently of the module under test.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.neural import bvlc_googlenet as bvlc
from prisma_abu.neural import weights as wt
from prisma_abu.neural.backbones import (
    backbone_names,
    backbone_status,
    clear_backbone_cache,
    layer_names,
    load_backbone,
)
from prisma_abu.neural.caffemodel import V1_TYPES, caffe_message_classes
from prisma_abu.neural.fetch import fetch_weights

#: BVLC's deploy.prototxt widths: stem convolutions and inception modules
#: (1x1, 3x3_reduce, 3x3, 5x5_reduce, 5x5, pool_proj).
STEM = {"conv1/7x7_s2": 64, "conv2/3x3_reduce": 64, "conv2/3x3": 192}
INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128), "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}  # fmt: skip
BRANCH_CONVS = ("1x1", "3x3_reduce", "3x3", "5x5_reduce", "5x5", "pool_proj")
SCALE = 8


# -- writing a deploy.prototxt and a .caffemodel --------------------------------------------------


def _conv(name, bottom, top, num, kernel, stride=1, pad=0, relu=None):
    text = (f'layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" top: "{top}"\n'
            f'  convolution_param {{ num_output: {num} kernel_size: {kernel} stride: {stride} pad: {pad} }} }}\n')
    if relu:
        text += f'layer {{ name: "{relu}" type: "ReLU" bottom: "{top}" top: "{top}" }}\n'
    return text


def _pool(name, bottom, kind, kernel, stride, pad=0):
    return (f'layer {{ name: "{name}" type: "Pooling" bottom: "{bottom}" top: "{name}"\n'
            f'  pooling_param {{ pool: {kind} kernel_size: {kernel} stride: {stride} pad: {pad} }} }}\n')


def _lrn(name, bottom):
    return (f'layer {{ name: "{name}" type: "LRN" bottom: "{bottom}" top: "{name}"\n'
            f'  lrn_param {{ local_size: 5 alpha: 0.0001 beta: 0.75 }} }}\n')


def widths_for(scale: int) -> dict[str, int]:
    """Output channels of every convolution, BVLC's divided by ``scale`` (at least 2)."""
    widths = {name: max(2, n // scale) for name, n in STEM.items()}
    for module, numbers in INCEPTION.items():
        for branch, n in zip(BRANCH_CONVS, numbers):
            widths[f"inception_{module}/{branch}"] = max(2, n // scale)
    return widths


def deploy_prototxt(widths: dict[str, int], classes: int) -> str:
    """BVLC GoogLeNet's deploy.prototxt, with the given widths."""
    w = widths
    text = 'name: "GoogleNet"\ninput: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 224\ninput_dim: 224\n'
    text += _conv("conv1/7x7_s2", "data", "conv1/7x7_s2", w["conv1/7x7_s2"], 7, 2, 3, "conv1/relu_7x7")
    text += _pool("pool1/3x3_s2", "conv1/7x7_s2", "MAX", 3, 2)
    text += _lrn("pool1/norm1", "pool1/3x3_s2")
    text += _conv("conv2/3x3_reduce", "pool1/norm1", "conv2/3x3_reduce", w["conv2/3x3_reduce"], 1,
                  relu="conv2/relu_3x3_reduce")
    text += _conv("conv2/3x3", "conv2/3x3_reduce", "conv2/3x3", w["conv2/3x3"], 3, 1, 1, "conv2/relu_3x3")
    text += _lrn("conv2/norm2", "conv2/3x3")
    text += _pool("pool2/3x3_s2", "conv2/norm2", "MAX", 3, 2)
    bottom = "pool2/3x3_s2"
    for module in INCEPTION:
        p = f"inception_{module}/"
        for branch, source, kernel, pad in (("1x1", bottom, 1, 0), ("3x3_reduce", bottom, 1, 0),
                                            ("3x3", p + "3x3_reduce", 3, 1), ("5x5_reduce", bottom, 1, 0),
                                            ("5x5", p + "5x5_reduce", 5, 2)):
            text += _conv(p + branch, source, p + branch, w[p + branch], kernel, 1, pad, p + "relu_" + branch)
        text += _pool(p + "pool", bottom, "MAX", 3, 1, 1)
        text += _conv(p + "pool_proj", p + "pool", p + "pool_proj", w[p + "pool_proj"], 1,
                      relu=p + "relu_pool_proj")
        text += (f'layer {{ name: "{p}output" type: "Concat" bottom: "{p}1x1" bottom: "{p}3x3" '
                 f'bottom: "{p}5x5" bottom: "{p}pool_proj" top: "{p}output" }}\n')
        bottom = p + "output"
        if module in ("3b", "4e"):
            pool = "pool3/3x3_s2" if module == "3b" else "pool4/3x3_s2"
            text += _pool(pool, bottom, "MAX", 3, 2)
            bottom = pool
    text += _pool("pool5/7x7_s1", bottom, "AVE", 7, 1)
    text += ('layer { name: "pool5/drop_7x7_s1" type: "Dropout" bottom: "pool5/7x7_s1" top: "pool5/7x7_s1"\n'
             '  dropout_param { dropout_ratio: 0.4 } }\n')
    text += (f'layer {{ name: "loss3/classifier" type: "InnerProduct" bottom: "pool5/7x7_s1" '
             f'top: "loss3/classifier" inner_product_param {{ num_output: {classes} }} }}\n')
    text += 'layer { name: "prob" type: "Softmax" bottom: "loss3/classifier" top: "prob" }\n'
    return text


def random_blobs(widths: dict[str, int], classes: int, seed: int) -> dict[str, list[np.ndarray]]:
    """He-initialised weights, small random biases, in Caffe's blob shapes."""
    rng = np.random.default_rng(seed)
    shapes: dict[str, tuple[int, ...]] = {}

    def conv(name, channels, kernel):
        shapes[name] = (widths[name], channels, kernel, kernel)
        return widths[name]
    cin = conv("conv2/3x3", conv("conv2/3x3_reduce", conv("conv1/7x7_s2", 3, 7), 1), 3)
    for module in INCEPTION:
        p = f"inception_{module}/"
        cin = (conv(p + "1x1", cin, 1) + conv(p + "3x3", conv(p + "3x3_reduce", cin, 1), 3)
               + conv(p + "5x5", conv(p + "5x5_reduce", cin, 1), 5) + conv(p + "pool_proj", cin, 1))
    blobs = {}
    for name, shape in shapes.items():
        fan_in = int(np.prod(shape[1:]))
        blobs[name] = [rng.normal(0, np.sqrt(2 / fan_in), shape).astype(np.float32),
                       rng.uniform(-0.2, 0.2, shape[0]).astype(np.float32)]
    blobs["loss3/classifier"] = [rng.normal(0, np.sqrt(1 / cin), (classes, cin)).astype(np.float32),
                                 rng.uniform(-0.1, 0.1, classes).astype(np.float32)]
    return blobs


def write_caffemodel(path, blobs: dict[str, list[np.ndarray]], *, v1: bool = False, extra=()) -> None:
    """A .caffemodel: the current ``layer`` layout (shaped blobs) or Caffe 2014's ``layers``
    (V1 enum types, legacy 4-D num/channels/height/width blobs, as BVLC's file)."""
    classes = caffe_message_classes()
    net = classes["NetParameter"](name="GoogleNet")
    for name, arrays in (*extra, *blobs.items()):
        kind = "InnerProduct" if name.startswith("loss") else "Convolution"
        layer = net.layers.add(name=name, type=V1_TYPES[kind]) if v1 else net.layer.add(name=name, type=kind)
        for array in arrays:
            blob = layer.blobs.add()
            if v1:
                legacy = (1,) * (4 - array.ndim) + array.shape
                blob.num, blob.channels, blob.height, blob.width = legacy
            else:
                blob.shape.dim.extend(array.shape)
            blob.data.extend(array.ravel().tolist())
    path.write_bytes(net.SerializeToString())


# -- fixtures --------------------------------------------------------------------------------

CLASSES = 10
#: Blobs compared with OpenCV: every stem blob, a whole inception module's, each
#: module's output and pool, the last average pool and the classifier.
COMPARED = (
    "conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce", "conv2/3x3", "conv2/norm2",
    "pool2/3x3_s2", *(f"inception_3a/{b}" for b in (*bvlc.BRANCHES, "output")),
    *(f"inception_{m}/output" for m in INCEPTION), "pool3/3x3_s2", "pool4/3x3_s2", "pool5/7x7_s1",
)  # fmt: skip


@pytest.fixture(autouse=True)
def _folders(tmp_path, monkeypatch):
    """A private cache and an empty model folder for every test; networks loaded afresh."""
    monkeypatch.setenv(wt.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(wt.MODELS_ENV, str(tmp_path / "models"))
    clear_backbone_cache()
    yield
    clear_backbone_cache()


def _model(folder: Path, *, scale: int = SCALE, seed: int = 0, v1: bool = False,
           name: str = "small.caffemodel") -> tuple[Path, Path]:
    """A reduced-width BVLC GoogLeNet: (.caffemodel, deploy.prototxt)."""
    folder.mkdir(parents=True, exist_ok=True)
    widths = widths_for(scale)
    caffemodel, prototxt = folder / name, folder / "deploy.prototxt"
    write_caffemodel(caffemodel, random_blobs(widths, CLASSES, seed), v1=v1)
    prototxt.write_text(deploy_prototxt(widths, CLASSES))
    return caffemodel, prototxt


@pytest.fixture
def small(tmp_path) -> tuple[Path, Path]:
    return _model(tmp_path / "fixture")


def _opencv(prototxt: Path, caffemodel: Path, blob: np.ndarray, names) -> dict[str, np.ndarray]:
    """OpenCV dnn's own forward pass on the same files (no layer fusion, plain convolutions)."""
    net = cv2.dnn.readNetFromCaffe(str(prototxt), str(caffemodel))
    net.enableFusion(False)
    if hasattr(net, "enableWinograd"):
        net.enableWinograd(False)
    net.setInput(blob)
    return dict(zip(names, net.forward(list(names))))


def _assert_blob_close(name: str, ours: torch.Tensor, theirs: np.ndarray) -> None:
    assert tuple(ours.shape) == theirs.shape, name
    scale = float(np.abs(theirs).max())
    assert scale > 1.0, name  # the random network is alive at this depth
    torch.testing.assert_close(ours, torch.from_numpy(theirs), rtol=1e-4, atol=1e-5 * scale, msg=name)


# -- names ----------------------------------------------------------------------------------


def test_registered_with_caffe_blob_names_in_network_order():
    assert "bvlc_googlenet" in backbone_names()
    names = layer_names("bvlc_googlenet")
    assert len(names) == 82
    assert names[:8] == (
        "conv1/7x7_s2", "pool1/3x3_s2", "pool1/norm1", "conv2/3x3_reduce",
        "conv2/3x3", "conv2/norm2", "pool2/3x3_s2", "inception_3a/1x1",
    )  # fmt: skip
    assert names[7:16] == tuple(f"inception_3a/{b}" for b in (*bvlc.BRANCHES, "output")) + ("inception_3b/1x1",)
    assert names.index("pool3/3x3_s2") == names.index("inception_3b/output") + 1
    assert names.index("pool4/3x3_s2") == names.index("inception_4e/output") + 1
    assert names[-2:] == ("inception_5b/output", "pool5/7x7_s1")
    assert bvlc.PRISMA_LAYER == "conv2/3x3_reduce" and bvlc.PRISMA_LAYER in names
    assert len(bvlc.CONVOLUTIONS) == 57
    assert dict(bvlc.INCEPTIONS) == INCEPTION  # the module's table is BVLC's deploy.prototxt


# -- the torch network equals OpenCV dnn on the same file -------------------------------------------


@pytest.mark.parametrize("v1", [False, True], ids=["layer", "v1-layers"])
@pytest.mark.parametrize("size", [(227, 231), (224, 250)])
def test_forward_equals_opencv_blob_by_blob(tmp_path, v1, size):
    """Odd and even sizes: Caffe's ceil-mode pooling (57 rows after pool1 at 227, not 56)."""
    caffemodel, prototxt = _model(tmp_path, v1=v1)
    net = load_backbone("bvlc_googlenet", weights=caffemodel)
    torch.manual_seed(1)
    image = torch.rand(1, 3, *size) * 255
    with torch.no_grad():
        ours = net(image, list(COMPARED))
        logits = net.classify(image)
    theirs = _opencv(prototxt, caffemodel, net.preprocess(image).numpy(), (*COMPARED, "loss3/classifier"))
    for name in COMPARED:
        _assert_blob_close(name, ours[name], theirs[name])
    _assert_blob_close("loss3/classifier", logits, theirs["loss3/classifier"])
    expected_pool1 = -(-(((size[0] + 6 - 7) // 2 + 1) - 3) // 2) + 1  # ceil((h1 - 3) / 2) + 1
    assert ours["pool1/3x3_s2"].shape[2] == expected_pool1


@pytest.mark.slow
def test_real_widths_equal_opencv_and_have_bvlc_shapes(tmp_path):
    """BVLC's own layer shapes (7M random weights, legacy V1 layout like the real file)."""
    caffemodel, prototxt = _model(tmp_path, scale=1, v1=True)
    net = load_backbone("bvlc_googlenet", weights=caffemodel)
    image = torch.rand(1, 3, 224, 224) * 255
    names = ("conv2/3x3_reduce", "inception_3a/output", "inception_4c/output", "inception_5b/output",
             "pool5/7x7_s1")
    with torch.no_grad():
        ours = net(image, list(names))
    assert {n: tuple(ours[n].shape[1:]) for n in names} == {
        "conv2/3x3_reduce": (64, 56, 56), "inception_3a/output": (256, 28, 28),
        "inception_4c/output": (512, 14, 14), "inception_5b/output": (1024, 7, 7),
        "pool5/7x7_s1": (1024, 1, 1),
    }  # fmt: skip
    theirs = _opencv(prototxt, caffemodel, net.preprocess(image).numpy(), names)
    for name in names:
        _assert_blob_close(name, ours[name], theirs[name])


def test_preprocessing_is_the_originals(small):
    """RGB 0..255 -> BGR minus (104, 117, 123), as cv2.dnn.blobFromImage(mean=...) does it."""
    net = load_backbone("bvlc_googlenet", weights=small[0])
    rgb = np.random.default_rng(2).uniform(0, 255, (5, 7, 3)).astype(np.float32)
    ours = net.preprocess(torch.from_numpy(rgb).permute(2, 0, 1)[None])
    theirs = cv2.dnn.blobFromImage(np.ascontiguousarray(rgb[..., ::-1]), 1.0, (7, 5), (104, 117, 123),
                                   swapRB=False, crop=False)
    torch.testing.assert_close(ours, torch.from_numpy(theirs))


@pytest.mark.parametrize("channels", [1, 3, 8, 64])
def test_lrn_is_torchs_local_response_norm(channels):
    """Caffe's LRN (alpha divided by the window, k = 1), the window clipped at the first and last channels."""
    x = torch.randn(2, channels, 9, 11) * 80
    expected = F.local_response_norm(x, 5, alpha=1e-4, beta=0.75, k=1.0)
    lrn = bvlc.CaffeLRN(channels)
    torch.testing.assert_close(lrn(x), expected)
    torch.testing.assert_close(lrn(x.contiguous(memory_format=torch.channels_last)), expected)
    assert not torch.allclose(expected, x)  # the normalisation does something at this scale


def test_convolution_blobs_are_before_their_relu(small):
    """What pycaffe's forward(end=conv) leaves in the blob: the next layer applies the ReLU."""
    net = load_backbone("bvlc_googlenet", weights=small[0])
    with torch.no_grad():
        out = net(torch.rand(1, 3, 96, 96) * 255, ["conv1/7x7_s2", "pool1/3x3_s2", "inception_3a/1x1",
                                                    "inception_3a/output"])
    assert (out["conv1/7x7_s2"] < 0).any() and (out["inception_3a/1x1"] < 0).any()
    assert (out["pool1/3x3_s2"] >= 0).all() and (out["inception_3a/output"] >= 0).all()
    torch.testing.assert_close(out["pool1/3x3_s2"],
                               F.max_pool2d(F.relu(out["conv1/7x7_s2"]), 3, 2, ceil_mode=True))


# -- the Backbone contract ---------------------------------------------------------------------


def test_backbone_contract(small):
    net = load_backbone("bvlc_googlenet", weights=small[0])
    assert net is load_backbone("bvlc_googlenet", weights=str(small[0]))
    assert net.layers == layer_names("bvlc_googlenet")
    assert not net.training and not any(p.requires_grad for p in net.parameters())
    assert net.default_layer == "inception_4c/output"
    assert net.shallow_layers == net.layers[:10]
    assert net.resolve_layer("inception_4c") == "inception_4c/output"
    assert net.resolve_layer("CONV2/3x3_Reduce") == "conv2/3x3_reduce"
    with pytest.raises(InvalidParameterError, match="unknown layer 'mixed4c' for bvlc_googlenet"):
        net.resolve_layer("mixed4c")
    with pytest.raises(InvalidParameterError, match="expected pooling 'max' for bvlc_googlenet"):
        load_backbone("bvlc_googlenet", weights=small[0], pooling="avg")


def test_pool5_on_a_small_picture_is_one_clear_error(small):
    net = load_backbone("bvlc_googlenet", weights=small[0])
    with pytest.raises(InvalidImageError, match="pool5/7x7_s1 of bvlc_googlenet needs a 7x7 inception_5b map"):
        net(torch.rand(1, 3, 96, 96) * 255, ["pool5/7x7_s1"])


def test_forward_stops_at_the_deepest_layer(small):
    net = load_backbone("bvlc_googlenet", weights=small[0])
    ran = []
    hooks = [net.net.layer(name).register_forward_hook(lambda *_, n=name: ran.append(n))
             for name in ("conv2/3x3", "inception_3a/1x1")]
    try:
        net(torch.rand(1, 3, 64, 64) * 255, ["conv2/3x3_reduce"])
    finally:
        for hook in hooks:
            hook.remove()
    assert ran == []


def test_gradients_reach_the_image_and_a_dream_rises(small):
    from prisma_abu.neural.deepdream import DreamObjective, deep_dream

    net = load_backbone("bvlc_googlenet", weights=small[0])
    image = (torch.rand(1, 3, 64, 72) * 255).requires_grad_(True)
    net(image, ["inception_4c/output"])["inception_4c/output"].pow(2).mean().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert all(p.grad is None for p in net.parameters())

    values: list[float] = []
    photo = np.random.default_rng(3).uniform(0, 255, (64, 80, 3)).astype(np.float32)
    objective = DreamObjective(layers=("conv2/3x3_reduce",), weights=(1.0,))
    dreamed = deep_dream(net, photo, objective, iter_n=4, octave_n=1, jitter=0,
                         callback=lambda o, i, v: values.append(v))
    assert values[-1] > 1.2 * values[0]
    assert dreamed.shape == photo.shape and not np.allclose(dreamed, photo)


def test_bfloat16_autocast(small):
    net = load_backbone("bvlc_googlenet", weights=small[0])
    image = torch.rand(1, 3, 96, 96) * 255
    with torch.no_grad():
        full = net(image, ["inception_4c/output"])["inception_4c/output"]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = net(image, ["inception_4c/output"])["inception_4c/output"]
    assert half.dtype == torch.bfloat16
    assert F.cosine_similarity(full.flatten(), half.float().flatten(), dim=0) > 0.98


# -- the user's model folder, the cache ----------------------------------------------------------


def test_models_dir(tmp_path, monkeypatch):
    assert wt.models_dir() == tmp_path / "models"
    assert not wt.models_dir().exists()  # never created by looking
    monkeypatch.delenv(wt.MODELS_ENV)
    import platformdirs

    assert wt.models_dir() == Path(platformdirs.user_data_dir("prisma_abu")) / "models"


def test_without_the_file_one_line_says_where_to_put_it(tmp_path):
    folder = tmp_path / "models"
    message = (f"bvlc_googlenet weights not found: expected bvlc_googlenet.caffemodel (Caffe's BVLC "
               f"GoogLeNet) in {folder}; put the file there or pass --weights FILE")
    assert not bvlc.bvlc_googlenet_available()
    assert backbone_status("bvlc_googlenet")["weights_present"] is False
    assert backbone_status("bvlc_googlenet")["source"] == message
    with pytest.raises(ModelError) as info:
        load_backbone("bvlc_googlenet")
    assert str(info.value) == message
    with pytest.raises(ModelError, match="bvlc_googlenet weights not found"):
        fetch_weights("bvlc_googlenet")
    with pytest.raises(ModelError, match=r"expected a \.caffemodel file at .*nowhere\.caffemodel"):
        load_backbone("bvlc_googlenet", weights=tmp_path / "nowhere.caffemodel")
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("where", ["bvlc_googlenet.caffemodel", "bvlc_googlenet/bvlc_googlenet.caffemodel"])
def test_found_in_the_model_folder(tmp_path, small, where):
    target = tmp_path / "models" / where
    target.parent.mkdir(parents=True)
    target.write_bytes(small[0].read_bytes())
    assert bvlc.bvlc_googlenet_available()
    status = backbone_status("bvlc_googlenet")
    assert status["weights_present"] is True and status["source"].startswith(str(target))
    net = load_backbone("bvlc_googlenet")
    given = load_backbone("bvlc_googlenet", weights=small[0])
    torch.testing.assert_close(net.net.layer("conv1/7x7_s2").weight, given.net.layer("conv1/7x7_s2").weight)
    assert fetch_weights("bvlc_googlenet") == bvlc.converted_file()


def test_converted_once_and_rebuilt_when_the_file_changes(tmp_path, monkeypatch):
    caffemodel, _ = _model(tmp_path / "m", seed=0)
    calls = []
    real = bvlc.convert_caffemodel
    monkeypatch.setattr(bvlc, "convert_caffemodel", lambda path: calls.append(1) or real(path))

    first = bvlc.caffemodel_state_dict(caffemodel)
    target = bvlc.converted_file()
    sidecar = target.with_name(target.name + ".sha256")
    assert calls == [1] and target.parent == tmp_path / "cache"
    assert sidecar.read_text().split() == [hashlib.sha256(target.read_bytes()).hexdigest(), target.name]
    assert not list(target.parent.glob("*.tmp"))

    again = bvlc.caffemodel_state_dict(caffemodel)  # from the cache
    assert calls == [1]
    torch.testing.assert_close(again["inception_5b/5x5.weight"], first["inception_5b/5x5.weight"])

    _model(tmp_path / "m", seed=1)  # the same path, other weights: another sha256
    changed = bvlc.caffemodel_state_dict(caffemodel)
    assert calls == [1, 1]
    assert not torch.equal(changed["conv1/7x7_s2.weight"], first["conv1/7x7_s2.weight"])
    torch.testing.assert_close(changed["conv1/7x7_s2.weight"], real(caffemodel)["conv1/7x7_s2.weight"])
    bvlc.caffemodel_state_dict(caffemodel)
    assert calls == [1, 1]

    target.write_bytes(target.read_bytes()[:500])  # a damaged cache file is converted again
    bvlc.caffemodel_state_dict(caffemodel)
    assert calls == [1, 1, 1]


def test_state_dict_layout(small):
    state = bvlc.convert_caffemodel(small[0])
    assert len(state) == 2 * 57 + 2
    assert state["conv1/7x7_s2.weight"].shape == (8, 3, 7, 7)
    assert state["conv1/7x7_s2.bias"].shape == (8,)
    assert state["loss3/classifier.weight"].shape == (CLASSES, 128)


# -- bad files: one clear line ----------------------------------------------------------------------


def _foreign(path: Path) -> Path:
    """A valid Caffe model of another network (VGG's layer names)."""
    rng = np.random.default_rng(0)
    blobs = {"conv1_1": [rng.normal(size=(4, 3, 3, 3)).astype(np.float32), np.zeros(4, np.float32)],
             "conv1_2": [rng.normal(size=(4, 4, 3, 3)).astype(np.float32), np.zeros(4, np.float32)]}
    write_caffemodel(path, blobs)
    return path


def _bad_files(tmp_path: Path, small: Path) -> dict[str, tuple[Path, str]]:
    truncated = tmp_path / "truncated.caffemodel"
    truncated.write_bytes(small.read_bytes()[:3000])
    text = tmp_path / "deploy_as_weights.caffemodel"
    text.write_text(deploy_prototxt(widths_for(SCALE), CLASSES))
    empty = tmp_path / "empty.caffemodel"
    empty.write_bytes(b"")
    unfit = tmp_path / "unfit.caffemodel"
    blobs = random_blobs(widths_for(SCALE), CLASSES, 0)
    blobs["inception_4a/1x1"][0] = blobs["inception_4a/1x1"][0][:, :-1]  # one input channel short
    write_caffemodel(unfit, blobs)
    cannot = "cannot read bvlc_googlenet weights from .*: expected a binary Caffe .caffemodel"
    return {
        "truncated": (truncated, cannot),
        "prototxt": (text, cannot),
        "empty": (empty, "expected a Caffe .caffemodel with trained layers, got a file with none"),
        "foreign": (_foreign(tmp_path / "vgg.caffemodel"),
                    "not a BVLC GoogLeNet .caffemodel; expected its 57 convolutions, missing conv1/7x7_s2, "
                    "conv2/3x3_reduce, conv2/3x3, inception_3a/1x1 and 53 more; got layers conv1_1, conv1_2"),
        "unfit": (unfit, r"do not fit the network: inception_4a/1x1.weight \(expected \(24, 60, 1, 1\), "
                         r"got \(24, 59, 1, 1\)\)"),
    }


@pytest.mark.parametrize("kind", ["truncated", "prototxt", "empty", "foreign", "unfit"])
def test_bad_caffemodel_is_one_model_error(tmp_path, small, kind):
    path, message = _bad_files(tmp_path, small[0])[kind]
    with pytest.raises(ModelError, match=message) as info:
        load_backbone("bvlc_googlenet", weights=path)
    assert "\n" not in str(info.value)
    assert not bvlc.converted_file().exists()


# -- through the command line ------------------------------------------------------------------------

SAMPLE = "sample/chelsea.jpg"
GUIDE = "prisma_gd/swirl.jpg"
FAST = ["--iter-n", "2", "--octave-n", "2", "-q"]


@pytest.fixture
def repo_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)


@pytest.mark.parametrize("kind", ["truncated", "foreign"])
def test_cli_bad_caffemodel_exit_2_one_line_no_output(tmp_path, small, capsys, repo_root, kind):
    from prisma_abu.cli import main

    path, message = _bad_files(tmp_path, small[0])[kind]
    out = tmp_path / "out.png"
    code = main(["dream", SAMPLE, "--backbone", "bvlc_googlenet", "--weights", str(path), *FAST,
                 "--width", "64", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("prisma-abu: error: ")
    assert "bvlc_googlenet weights" in err[0]
    assert not out.exists()


def test_cli_layers_and_doctor(tmp_path, small, capsys):
    from prisma_abu.cli import main

    assert main(["layers", "--backbone", "bvlc_googlenet"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert tuple(listed) == layer_names("bvlc_googlenet")
    assert main(["doctor"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("bvlc_googlenet "))
    assert line.split()[1] == "missing" and str(tmp_path / "models") in line
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "bvlc_googlenet.caffemodel").write_bytes(small[0].read_bytes())
    assert main(["doctor"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("bvlc_googlenet "))
    assert line.split()[1] == "ready"


def test_auto_precision_calibrates_the_jobs_own_weights_file(tmp_path, small, repo_root, monkeypatch):
    """On a bf16 CPU the first ``auto`` run times the network: the one from ``--weights``, never the default file."""
    from prisma_abu.cli import main
    from prisma_abu.io import read_metadata
    from prisma_abu.neural import calibrate

    monkeypatch.delenv(calibrate.FORCE_ENV, raising=False)
    timed = []
    monkeypatch.setattr(calibrate, "step_seconds",
                        lambda net, device, p, image: timed.append((net, p)) or {"fp32": 2.0, "bf16": 1.0}[p])
    dreamed = tmp_path / "d.png"
    assert main(["dream", SAMPLE, "--backbone", "bvlc_googlenet", "--weights", str(small[0]), "--precision", "auto",
                 "--layer", "conv2/3x3_reduce", *FAST, "--width", "64", "-o", str(dreamed)]) == 0
    own = load_backbone("bvlc_googlenet", weights=small[0])
    assert timed and all(net is own for net, p in timed) and {p for net, p in timed} == {"fp32", "bf16"}
    assert read_metadata(dreamed)["params"]["precision"] == "bf16"
    (key,) = [k for k in calibrate.verdicts() if "bvlc_googlenet" in k and str(small[0]) in k]
    assert not (tmp_path / "models").exists()  # the default location was never looked up


def test_cli_dream_and_mix_on_the_file(tmp_path, small, repo_root):
    from prisma_abu.cli import main
    from prisma_abu.io import read_image, read_metadata

    dreamed, mixed = tmp_path / "d.png", tmp_path / "m.png"
    assert main(["dream", SAMPLE, "--backbone", "bvlc_googlenet", "--weights", str(small[0]),
                 "--layer", "conv2/3x3_reduce", *FAST, "--width", "96", "-o", str(dreamed)]) == 0
    assert read_metadata(dreamed)["params"]["backbone"] == "bvlc_googlenet"
    assert main(["mix", SAMPLE, "--guide", GUIDE, "--backbone", "bvlc_googlenet", "--weights", str(small[0]),
                 "--layer", "conv2/3x3_reduce", "--base-width", "128", "--n3", "40", *FAST, "-o", str(mixed)]) == 0
    assert read_image(mixed).shape[1] == 128


def test_an_unwritable_cache_converts_in_memory_and_fetch_weights_says_so(tmp_path, monkeypatch):
    caffemodel, _ = _model(tmp_path / "models", name="bvlc_googlenet.caffemodel")
    (tmp_path / "file").write_text("a file, not a folder")
    monkeypatch.setenv(wt.CACHE_ENV, str(tmp_path / "file" / "cache"))  # unwritable, even for root
    state = bvlc.caffemodel_state_dict(caffemodel)  # a cache is a cache: the weights still come
    assert "conv1/7x7_s2.weight" in state
    with pytest.raises(ModelError, match="cannot be written; expected a writable cache folder"):
        bvlc.convert_default_file()
