"""pytorch-examples' TransformerNet: their state dicts, ONNX exports and our own files.

The state dicts are built here key by key from pytorch-examples' layout (not
from our module), and the network's forward is checked against a functional
transcription of pytorch-examples' ``forward``.  ONNX exports are checked
against onnxruntime running the same file.
"""

from __future__ import annotations

import warnings

import numpy as np
import onnxruntime
import pytest
import torch
import torch.nn.functional as F

from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.neural.stylenets import StyleNet, transformer_net, transformer_onnx
from prisma_abu.neural.stylenets.transformer_net import (
    TransformerNet, TransformerStyleNet, channels_for_width, load, save_model, sniff,
)
from prisma_abu.neural.weights import sha256_file
from prisma_abu.params import TrainStyleParams

RES = [f"res{i}" for i in range(1, 6)]


def examples_layout(c1=32, c2=64, c3=128):
    """pytorch-examples' TransformerNet state dict keys and shapes, written out."""
    shapes = {"conv1.conv2d.weight": (c1, 3, 9, 9), "conv1.conv2d.bias": (c1,), "in1.weight": (c1,), "in1.bias": (c1,),
              "conv2.conv2d.weight": (c2, c1, 3, 3), "conv2.conv2d.bias": (c2,), "in2.weight": (c2,), "in2.bias": (c2,),
              "conv3.conv2d.weight": (c3, c2, 3, 3), "conv3.conv2d.bias": (c3,), "in3.weight": (c3,), "in3.bias": (c3,)}
    for r in RES:
        for j in (1, 2):
            shapes |= {f"{r}.conv{j}.conv2d.weight": (c3, c3, 3, 3), f"{r}.conv{j}.conv2d.bias": (c3,),
                       f"{r}.in{j}.weight": (c3,), f"{r}.in{j}.bias": (c3,)}
    shapes |= {"deconv1.conv2d.weight": (c2, c3, 3, 3), "deconv1.conv2d.bias": (c2,), "in4.weight": (c2,),
               "in4.bias": (c2,), "deconv2.conv2d.weight": (c1, c2, 3, 3), "deconv2.conv2d.bias": (c1,),
               "in5.weight": (c1,), "in5.bias": (c1,), "deconv3.conv2d.weight": (3, c1, 9, 9), "deconv3.conv2d.bias": (3,)}
    return shapes


def random_state(channels=(8, 16, 32), seed=0):
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in examples_layout(*channels).items():
        fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else 1
        if len(shape) == 1 and key.endswith(".weight"):
            state[key] = 1 + 0.2 * torch.randn(shape, generator=gen)  # instance-norm scales
        else:
            state[key] = torch.randn(shape, generator=gen) / np.sqrt(fan_in)
    return state


def examples_forward(state, x):
    """pytorch-examples' TransformerNet.forward, transcribed with torch.nn.functional."""
    def conv(prefix, y, stride=1, upsample=None):
        w = state[f"{prefix}.conv2d.weight"]
        if upsample:
            y = F.interpolate(y, mode="nearest", scale_factor=upsample)
        y = F.pad(y, [w.shape[-1] // 2] * 4, mode="reflect")
        return F.conv2d(y, w, state[f"{prefix}.conv2d.bias"], stride)

    def norm(prefix, y):
        return F.instance_norm(y, weight=state[f"{prefix}.weight"], bias=state[f"{prefix}.bias"], eps=1e-5)

    y = F.relu(norm("in1", conv("conv1", x)))
    y = F.relu(norm("in2", conv("conv2", y, 2)))
    y = F.relu(norm("in3", conv("conv3", y, 2)))
    for r in RES:
        y = norm(f"{r}.in2", conv(f"{r}.conv2", F.relu(norm(f"{r}.in1", conv(f"{r}.conv1", y))))) + y
    y = F.relu(norm("in4", conv("deconv1", y, upsample=2)))
    y = F.relu(norm("in5", conv("deconv2", y, upsample=2)))
    return conv("deconv3", y)


@pytest.fixture
def photo():
    return torch.rand(1, 3, 32, 40, generator=torch.Generator().manual_seed(9)) * 255


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy-pickle"])
def test_a_pytorch_examples_state_dict_loads_and_runs_their_forward(tmp_path, photo, zip_format):
    state = random_state()
    path = tmp_path / "candy.pth"
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)  # 2017 files are legacy pickles
    assert sniff(path)
    net = load(path)
    assert isinstance(net, StyleNet) and net.name == "candy" and net.sha256 == sha256_file(path)
    assert net.net.channels == (8, 16, 32) and net.training_params is None
    with torch.no_grad():
        expected = examples_forward(state, photo).clamp(0, 255)
        torch.testing.assert_close(net(photo), expected, rtol=1e-4, atol=1e-3)


def test_the_full_size_layout_is_pytorch_examples_own():
    ours = {k: tuple(v.shape) for k, v in TransformerNet().state_dict().items()}
    assert ours == examples_layout()
    assert TransformerNet(channels_for_width(0.25)).channels == (8, 16, 32)


def test_old_files_running_stats_are_dropped(tmp_path, photo):
    state = random_state()
    old = dict(state)
    for prefix in ("in1", "in4", "res1.in1", "res5.in2"):
        old[f"{prefix}.running_mean"] = torch.zeros(old[f"{prefix}.weight"].shape)
        old[f"{prefix}.running_var"] = torch.ones(old[f"{prefix}.weight"].shape)
    torch.save(old, tmp_path / "old.model")
    torch.save(state, tmp_path / "new.pth")
    with torch.no_grad():
        assert torch.equal(load(tmp_path / "old.model")(photo), load(tmp_path / "new.pth")(photo))


def test_a_state_dict_of_another_architecture_names_the_missing_keys(tmp_path):
    other = {"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": torch.zeros(64)}
    path = tmp_path / "vgg.pth"
    torch.save(other, path)
    with pytest.raises(ModelError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert "missing keys conv1.conv2d.weight, conv1.conv2d.bias" in message
    assert "unexpected keys features.0.weight" in message and "another architecture" in message
    assert not sniff(path)
    # one residual block short: the missing keys are named
    state = {k: v for k, v in random_state().items() if not k.startswith("res5.")}
    torch.save(state, path)
    with pytest.raises(ModelError, match=r"missing keys res5\.conv1\.conv2d\.weight"):
        load(path)


def test_tensors_of_the_wrong_shape_are_named(tmp_path):
    state = random_state()
    state["res2.in1.bias"] = torch.zeros(5)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(ModelError, match=r"res2\.in1\.bias \(5,\) \(expected \(32,\)\)"):
        load(tmp_path / "bad.pth")


def test_corrupt_truncated_and_foreign_files_are_one_line_model_errors(tmp_path):
    good = tmp_path / "good.pth"
    torch.save(random_state(), good)
    data = good.read_bytes()
    cases = {"truncated.pth": data[: len(data) // 2], "noise.pth": np.random.default_rng(0).bytes(5000),
             "empty.model": b""}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    torch.save([1, 2, 3], tmp_path / "list.pth")
    for name in (*cases, "list.pth", "missing.pth"):
        with pytest.raises(ModelError) as info:
            load(tmp_path / name)
        assert "\n" not in str(info.value) and name in str(info.value), str(info.value)


def test_save_model_round_trip_carries_the_training_parameters(tmp_path, photo):
    net = TransformerStyleNet(transformer_net.transformer_from_state_dict(random_state(seed=3)))
    params = TrainStyleParams(image_size=64, width=0.25, steps=12, seed=5)
    path = tmp_path / "mine.pth"
    digest = save_model(path, net, params)
    assert digest == sha256_file(path) == net.sha256
    back = load(path)
    assert back.sha256 == digest and back.name == "mine"
    assert TrainStyleParams.from_dict(back.training_params) == params
    with torch.no_grad():
        assert torch.equal(back(photo), net(photo))
    raw = torch.load(path, weights_only=True)  # plain tensors and numbers, no code
    assert raw["format"] == transformer_net.FORMAT and raw["channels"] == [8, 16, 32]
    assert sniff(path) and sniff(tmp_path / "mine.pth")
    with pytest.raises(InvalidParameterError):
        save_model(tmp_path / "x.pth", torch.nn.Linear(2, 2))


def test_sniff_reads_the_index_only(tmp_path):
    torch.save(random_state(), tmp_path / "a.pth")
    torch.save({"weight": torch.zeros(2)}, tmp_path / "b.pth")
    (tmp_path / "c.pth").write_bytes(b"nothing")
    assert sniff(tmp_path / "a.pth") and not sniff(tmp_path / "b.pth") and not sniff(tmp_path / "c.pth")


def test_any_size_comes_back_at_its_size(photo):
    net = TransformerStyleNet(transformer_net.transformer_from_state_dict(random_state()))
    odd = torch.rand(2, 3, 37, 50) * 255
    with torch.no_grad():
        out = net(odd)
        assert out.shape == odd.shape and out.min() >= 0 and out.max() <= 255
        # a multiple of 4 runs the network as it is
        torch.testing.assert_close(net(photo), net.net(photo).clamp(0, 255), rtol=1e-5, atol=1e-3)
        assert net(torch.rand(1, 3, net.min_size, net.min_size)).shape[-1] == net.min_size
        with torch.autocast("cpu", dtype=torch.bfloat16):  # the contract's float32 out, whatever the caller runs
            assert net(odd).dtype == torch.float32
    with pytest.raises(InvalidImageError, match="too small"):
        net(torch.rand(1, 3, net.min_size - 1, 20))
    with pytest.raises(InvalidImageError):
        net(torch.rand(1, 4, 20, 20))


def test_width_is_checked():
    assert channels_for_width(1.0) == (32, 64, 128) and channels_for_width(0.5) == (16, 32, 64)
    for bad in (0, -1, 9, "1", True):
        with pytest.raises(InvalidParameterError):
            channels_for_width(bad)


# --- ONNX --------------------------------------------------------------------------------------


def export(module, path, dynamo):
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated and says so
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.rand(1, 3, 32, 40) * 255,), str(path), dynamo=dynamo, verbose=False)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("onnx")
    net = transformer_net.transformer_from_state_dict(random_state(seed=4))
    files = {}
    for dynamo in (False, True):
        files[dynamo] = folder / f"export_{'dynamo' if dynamo else 'torchscript'}.onnx"
        export(net, files[dynamo], dynamo)
    return net, files


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript-exporter", "dynamo-exporter"])
def test_an_onnx_export_reads_back_as_the_module_and_paints_what_onnxruntime_paints(exported, dynamo, photo):
    net, files = exported
    model = transformer_onnx.load(files[dynamo])
    assert isinstance(model, TransformerStyleNet) and model.sha256 == sha256_file(files[dynamo])
    for key, value in net.state_dict().items():
        assert torch.equal(model.net.state_dict()[key], value), key
    session = onnxruntime.InferenceSession(str(files[dynamo]), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {session.get_inputs()[0].name: photo.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(model.net(photo).numpy(), expected, rtol=1e-4, atol=2e-3)
    assert transformer_onnx.sniff(files[dynamo])


def test_an_onnx_file_of_another_network_is_refused(tmp_path):
    other = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(8, 3, 1))
    path = tmp_path / "other.onnx"
    export(other, path, dynamo=False)
    with pytest.raises(ModelError, match="not a pytorch-examples TransformerNet export: 2 Conv") as info:
        transformer_onnx.load(path)
    assert "\n" not in str(info.value)
    assert not transformer_onnx.sniff(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ModelError, match="corrupt or truncated"):
        transformer_onnx.load(path)
