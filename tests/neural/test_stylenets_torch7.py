"""jcjohnson's Torch7 .t7 style models: our reader against OpenCV's readNetFromTorch on the same file.

The files are written here by a small Torch7 serializer (the binary format of
``torch.save``: little-endian, 8-byte longs) holding fast-neural-style
networks with random weights, laid out as fast-neural-style's ``models.lua``
builds them.  OpenCV (``opencv-python-headless<5``, a test extra) runs each
file with seed 000's recipe: BGR, mean (103.939, 116.779, 123.680)
subtracted, added back after.  Our reader (a separate implementation, in
torch) must give the same picture.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest
import torch

from prisma_abu.errors import InvalidImageError, ModelError
from prisma_abu.neural.stylenets import torch7

MEAN_BGR = np.array([103.939, 116.779, 123.680], np.float32)
#: OpenCV computes instance norm as MVN + BatchNorm(mean 0, var 1, eps), torch as (x - m) / sqrt(v + eps):
#: the two agree to ~1e-5 relative; on 0..255 pixels that is well under this.
TOLERANCE = 0.05


class T7Writer:
    """Serializer of the Torch7 binary format, for the subset an nn network uses."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.next_index = 1

    def _int(self, v: int) -> None:
        self.out += struct.pack("<i", v)

    def _long(self, v: int) -> None:
        self.out += struct.pack("<q", v)

    def _str(self, s: str) -> None:
        data = s.encode()
        self._int(len(data))
        self.out += data

    def _index(self) -> None:
        self._int(self.next_index)
        self.next_index += 1

    def obj(self, v) -> T7Writer:
        if v is None:
            self._int(0)
        elif isinstance(v, bool):
            self._int(5)
            self._int(int(v))
        elif isinstance(v, (int, float)):
            self._int(1)
            self.out += struct.pack("<d", float(v))
        elif isinstance(v, str):
            self._int(2)
            self._str(v)
        elif isinstance(v, np.ndarray):
            self.tensor(v)
        elif isinstance(v, Mod):
            self._int(4)
            self._index()
            self._str("V 1")
            self._str(v.cls)
            self.obj(v.fields)
        elif isinstance(v, (dict, list)):
            items = list(enumerate(v, 1)) if isinstance(v, list) else list(v.items())
            self._int(3)
            self._index()
            self._int(len(items))
            for key, value in items:
                self.obj(key)
                self.obj(value)
        else:
            raise TypeError(type(v))
        return self

    def tensor(self, a: np.ndarray) -> None:
        a = np.ascontiguousarray(a, np.float32)
        self._int(4)
        self._index()
        self._str("V 1")
        self._str("torch.FloatTensor")
        self._int(a.ndim)
        for s in a.shape:
            self._long(s)
        for s in a.strides:
            self._long(s // 4)
        self._long(1)  # storage offset, 1-based
        self._int(4)
        self._index()
        self._str("V 1")
        self._str("torch.FloatStorage")
        self._long(a.size)
        self.out += a.tobytes()


class Mod:
    """An nn module: class name and fields."""

    def __init__(self, cls: str, **fields) -> None:
        self.cls, self.fields = cls, fields


def write_t7(path, obj) -> None:
    path.write_bytes(bytes(T7Writer().obj(obj).out))


def conv(rng, cin, cout, k, s, p):
    return Mod("nn.SpatialConvolution", nInputPlane=cin, nOutputPlane=cout, kW=k, kH=k, dW=s, dH=s,
               padW=p, padH=p, weight=rng.normal(0, 1 / np.sqrt(cin * k * k), (cout, cin, k, k)),
               bias=rng.normal(0, 0.1, cout), train=False)


def instance_norm(rng, c):
    # fast-neural-style's InstanceNormalization fields (running stats unused at test time)
    return Mod("nn.InstanceNormalization", weight=rng.uniform(0.5, 1.5, c), bias=rng.normal(0, 0.1, c),
               eps=1e-5, nOutput=c, running_mean=np.zeros(c), running_var=np.ones(c), momentum=0.0,
               affine=True, prev_batch_size=-1)


def batch_norm(rng, c):
    return Mod("nn.SpatialBatchNormalization", weight=rng.uniform(0.5, 1.5, c), bias=rng.normal(0, 0.1, c),
               eps=1e-5, running_mean=rng.normal(0, 1, c), running_var=rng.uniform(0.5, 2, c),
               momentum=0.1, affine=True, train=False)


def seq(*mods):
    return Mod("nn.Sequential", modules=list(mods), train=False)


def relu():
    return Mod("nn.ReLU", inplace=True, threshold=0, val=0, train=False)


def johnson_net(rng, channels=(8, 16, 32), norm="instance", res_blocks=2, padding="reflect-start"):
    """fast-neural-style's c9s1-C1,dC2,dC3,R*,uC2,uC1,c9s1-3 + Tanh, MulConstant(150), TotalVariation.

    ``reflect-start``: reflect by 8 * res_blocks first (40 for Johnson's five blocks), then unpadded
    residual convolutions beside ShaveImage(2); ``reflect``: reflection padding before every conv.
    """
    n = instance_norm if norm == "instance" else batch_norm
    c1, c2, c3 = channels
    start = padding == "reflect-start"
    p = 8 * res_blocks

    def padded(cin, cout, k, s):
        pad = k // 2
        if start:
            return [conv(rng, cin, cout, k, s, pad)]
        return [Mod("nn.SpatialReflectionPadding", pad_l=pad, pad_r=pad, pad_t=pad, pad_b=pad),
                conv(rng, cin, cout, k, s, 0)]

    mods = [Mod("nn.SpatialReflectionPadding", pad_l=p, pad_r=p, pad_t=p, pad_b=p)] if start else []
    mods += [*padded(3, c1, 9, 1), n(rng, c1), relu(),
             conv(rng, c1, c2, 3, 2, 1), n(rng, c2), relu(),
             conv(rng, c2, c3, 3, 2, 1), n(rng, c3), relu()]
    for _ in range(res_blocks):
        inner = [] if start else [Mod("nn.SpatialReflectionPadding", pad_l=1, pad_r=1, pad_t=1, pad_b=1)]
        block = seq(*inner, conv(rng, c3, c3, 3, 1, 0), n(rng, c3), relu(),
                    *inner, conv(rng, c3, c3, 3, 1, 0), n(rng, c3))
        skip = Mod("nn.ShaveImage", size=2) if start else Mod("nn.Identity")
        mods.append(seq(Mod("nn.ConcatTable", modules=[block, skip]), Mod("nn.CAddTable", inplace=False)))
    for cin, cout in ((c3, c2), (c2, c1)):
        mods += [Mod("nn.SpatialFullConvolution", nInputPlane=cin, nOutputPlane=cout, kW=3, kH=3, dW=2, dH=2,
                     padW=1, padH=1, adjW=1, adjH=1, weight=rng.normal(0, 1 / np.sqrt(cin * 9), (cin, cout, 3, 3)),
                     bias=rng.normal(0, 0.1, cout)),
                 n(rng, cout), relu()]
    mods += [*padded(c1, 3, 9, 1), Mod("nn.Tanh"), Mod("nn.MulConstant", constant_scalar=150.0, inplace=False),
             Mod("nn.TotalVariation", strength=1e-6)]
    return seq(*mods)


def opencv_stylize(path, rgb: np.ndarray) -> np.ndarray:
    """Seed 000's recipe: (H, W, 3) RGB 0..255 -> RGB 0..255 through cv2.dnn.readNetFromTorch."""
    net = cv2.dnn.readNetFromTorch(str(path))
    h, w = rgb.shape[:2]
    blob = cv2.dnn.blobFromImage(np.ascontiguousarray(rgb[..., ::-1]), 1.0, (w, h), tuple(MEAN_BGR.tolist()),
                                 swapRB=False, crop=False)
    net.setInput(blob)
    out = net.forward()[0] + MEAN_BGR[:, None, None]
    return np.clip(out[::-1].transpose(1, 2, 0), 0, 255)


def ours(net, rgb: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = net(torch.from_numpy(np.ascontiguousarray(rgb, np.float32)).permute(2, 0, 1)[None])
    return out[0].permute(1, 2, 0).numpy()


@pytest.fixture
def photo(rng):
    yy, xx = np.mgrid[0:64, 0:48]
    img = np.stack([xx * 5.0, yy * 4.0, 128 + 90 * np.sin(xx / 4.0 + yy / 7.0)], axis=2) + rng.normal(0, 10, (64, 48, 3))
    return np.clip(img, 0, 255).astype(np.float32)


@pytest.mark.parametrize("norm", ["instance", "batch"])
@pytest.mark.parametrize("padding", ["reflect-start", "reflect"])
@pytest.mark.parametrize("checkpoint", [True, False], ids=["checkpoint-table", "bare-network"])
def test_our_reader_paints_what_opencv_paints(tmp_path, photo, norm, padding, checkpoint):
    net = johnson_net(np.random.default_rng(0), norm=norm, padding=padding)
    path = tmp_path / "style.t7"
    write_t7(path, {"model": net, "opt": {"preprocessing": "vgg", "arch": "c9s1-8,d16,d32"}} if checkpoint else net)
    expected = opencv_stylize(path, photo)
    model = torch7.load(path)
    got = ours(model, photo)
    assert got.shape == expected.shape == photo.shape
    assert expected.std() > 20  # a picture, not a constant
    assert np.abs(got - expected).max() < TOLERANCE
    assert model.name == "style" and len(model.sha256) == 64


def test_resnet_preprocessing_of_a_checkpoint_is_honoured(tmp_path, photo):
    net = johnson_net(np.random.default_rng(1))
    path = tmp_path / "resnet.t7"
    write_t7(path, {"model": net, "opt": {"preprocessing": "resnet"}})
    mean, std = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)
    cv_net = cv2.dnn.readNetFromTorch(str(path))
    cv_net.setInput(((photo / 255 - mean) / std).transpose(2, 0, 1)[None].astype(np.float32))
    expected = np.clip((cv_net.forward()[0].transpose(1, 2, 0) * std + mean) * 255, 0, 255)
    # the network's output is multiplied by std * 255 (about 58) on the way back to pixels
    assert np.abs(ours(torch7.load(path), photo) - expected).max() < 1.0


def test_any_size_comes_back_at_its_size_and_tiny_ones_are_refused(tmp_path, rng):
    path = tmp_path / "style.t7"
    write_t7(path, johnson_net(np.random.default_rng(2)))
    model = torch7.load(path)
    odd = rng.uniform(0, 255, (37, 50, 3)).astype(np.float32)
    out = ours(model, odd)
    assert out.shape == odd.shape and out.min() >= 0 and out.max() <= 255
    # the smallest accepted side works, one pixel less is a clear error
    side = model.min_size
    assert ours(model, rng.uniform(0, 255, (side, side, 3))).shape == (side, side, 3)
    with pytest.raises(InvalidImageError, match="too small"):
        ours(model, rng.uniform(0, 255, (side - 1, side + 8, 3)))


def test_truncated_and_corrupt_files_are_one_line_model_errors(tmp_path):
    data = bytes(T7Writer().obj(johnson_net(np.random.default_rng(3))).out)
    cases = {"truncated.t7": data[: len(data) // 2], "empty.t7": b"", "noise.t7": np.random.default_rng(4).bytes(4096)}
    # a tensor size field blown up (torchfile reads outside its buffer here)
    at = data.index(b"torch.FloatTensor") + len(b"torch.FloatTensor") + 4
    cases["bad_size.t7"] = data[:at] + struct.pack("<q", 8000) + data[at + 8:]
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelError) as info:
            torch7.load(path)
        message = str(info.value)
        assert "\n" not in message and name in message, message
    assert "truncated" in str(pytest.raises(ModelError, torch7.load, tmp_path / "truncated.t7").value)


def test_an_unsupported_module_is_named_with_where_it_sits(tmp_path):
    net = johnson_net(np.random.default_rng(5))
    net.fields["modules"].insert(3, Mod("nn.SpatialMaxPooling", kW=2, kH=2, dW=2, dH=2, padW=0, padH=0))
    path = tmp_path / "pooling.t7"
    write_t7(path, net)
    with pytest.raises(ModelError, match=r"unsupported module nn\.SpatialMaxPooling at model\.modules\[4\]") as info:
        torch7.load(path)
    assert "\n" not in str(info.value)


def test_a_t7_holding_something_else_is_refused(tmp_path):
    tensor_file, table_file = tmp_path / "tensor.t7", tmp_path / "table.t7"
    write_t7(tensor_file, np.zeros((2, 3), np.float32))
    write_t7(table_file, {"epoch": 3, "loss": 0.5})
    with pytest.raises(ModelError, match="holds a ndarray, expected an nn network"):
        torch7.load(tensor_file)
    with pytest.raises(ModelError, match="holds a dict, expected an nn network"):
        torch7.load(table_file)
    assert not torch7.sniff(tensor_file) and not torch7.sniff(table_file)


def test_layers_that_do_not_fit_are_a_model_error(tmp_path):
    rng = np.random.default_rng(6)
    net = seq(conv(rng, 3, 8, 3, 1, 1), relu(), conv(rng, 4, 3, 3, 1, 1))  # 8 channels into a 4-channel conv
    path = tmp_path / "misfit.t7"
    write_t7(path, net)
    with pytest.raises(ModelError, match="do not fit together"):
        torch7.load(path)


def test_sniff_tells_torch7_networks_from_other_files(tmp_path):
    good, other = tmp_path / "a.t7", tmp_path / "b.t7"
    write_t7(good, {"model": johnson_net(np.random.default_rng(7)), "opt": {}})
    other.write_bytes(b"\x80\x02not a torch7 file" * 10)
    assert torch7.sniff(good) and not torch7.sniff(other) and not torch7.sniff(tmp_path / "missing.t7")


def test_read_t7_gives_the_tables_and_tensors_as_written(tmp_path):
    path = tmp_path / "plain.t7"
    weights = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    write_t7(path, {"name": "x", "n": 3, "half": 0.5, "on": True, "w": weights, "list": [1, 2]})
    got = torch7.read_t7(path)
    assert got["name"] == "x" and got["n"] == 3 and got["half"] == 0.5 and got["on"] is True
    np.testing.assert_array_equal(got["w"], weights)
    assert got["list"] == {1: 1, 2: 2}
