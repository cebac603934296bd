"""Hostile files (issue 18): model files, parameter files, caches, replayed pictures, training outputs.

Each file is made here, tiny, by hand: every case must end in one line naming
what is wrong (a PrismaAbuError, exit 2 on the command line), without
allocating what the file merely declares, without a hang and without a
traceback.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap

import pytest
import torch

from prisma_abu.cli import main
from prisma_abu.errors import ModelError

from cli_support import SAMPLE, _error_line


# --- model files ---------------------------------------------------------------------------------

def _t7_conv(planes: int, *, strides: int = 0, storage: int = 1, kernel: int = 1) -> bytes:
    """An ``nn.Sequential`` holding one SpatialConvolution whose weight is planes x planes x k x k over ``storage``."""
    out, index = bytearray(), [0]

    def i32(v):
        out.extend(struct.pack("<i", v))

    def i64(v):
        out.extend(struct.pack("<q", v))

    def text(s):
        i32(len(s))
        out.extend(s.encode())

    def number(v):
        i32(1)
        out.extend(struct.pack("<d", v))

    def torch_obj(cls):
        index[0] += 1
        i32(4)
        i32(index[0])
        text("V 1")
        text(cls)

    def table(n):
        index[0] += 1
        i32(3)
        i32(index[0])
        i32(n)

    torch_obj("nn.Sequential")
    table(1)
    i32(2), text("modules")
    table(1)
    number(1)
    torch_obj("nn.SpatialConvolution")
    table(5)
    for key, value in (("nInputPlane", planes), ("nOutputPlane", planes), ("kH", kernel), ("kW", kernel)):
        i32(2), text(key), number(value)
    i32(2), text("weight")
    torch_obj("torch.FloatTensor")
    i32(4)
    for size in (planes, planes, kernel, kernel):
        i64(size)
    for _ in range(4):
        i64(strides)
    i64(1)
    torch_obj("torch.FloatStorage")
    i64(storage)
    out.extend(b"\0" * 4 * storage)
    return bytes(out)


def test_a_t7_tensor_larger_than_its_storage_is_refused(tmp_path):
    from prisma_abu.neural.stylenets.torch7_reader import read_t7

    path = tmp_path / "expanded.t7"
    path.write_bytes(_t7_conv(1000))  # 1000x1000 values with zero strides over one float
    with pytest.raises(ModelError, match="storage"):
        read_t7(path)


def test_a_672_byte_t7_declaring_3_6_gb_costs_no_memory(tmp_path):
    """The audit's file: a 30000x30000 weight over one float (RSS 4.2 GB before); measured in a fresh process."""
    path = tmp_path / "bomb.t7"
    path.write_bytes(_t7_conv(30000))
    assert len(path.read_bytes()) < 1000
    code = textwrap.dedent(f"""
        import resource
        from prisma_abu.errors import ModelError
        from prisma_abu.neural.stylenets import torch7
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            torch7.load({str(path)!r})
        except ModelError as exc:
            print("refused", str(exc).count(chr(10)))
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = out.stdout.split()
    assert lines[:2] == ["refused", "0"], out.stdout + out.stderr
    assert int(lines[2]) < 100, f"the file cost {lines[2]} MB of peak RSS"


def test_a_t7_layer_is_not_built_before_its_weights_are_checked(tmp_path):
    """20000 planes with a 1-value weight: refused before a 1.6 GB layer is allocated."""
    import time

    from prisma_abu.neural.stylenets import torch7

    path = tmp_path / "wide.t7"
    path.write_bytes(_t7_conv(20000, strides=1, storage=1).replace(struct.pack("<q", 20000), struct.pack("<q", 1)))
    start = time.perf_counter()
    with pytest.raises(ModelError, match="values, expected"):
        torch7.load(path)
    assert time.perf_counter() - start < 0.5


def _caffemodel(tmp_path, dims):
    from prisma_abu.neural.caffemodel import caffe_message_classes

    classes = caffe_message_classes()
    net = classes["NetParameter"]()
    layer = net.layer.add(name="conv1", type="Convolution")
    blob = layer.blobs.add()
    blob.shape.dim.extend(dims)
    path = tmp_path / "bomb.caffemodel"
    path.write_bytes(net.SerializeToString())
    return path


@pytest.mark.parametrize("dims", [(2**32, 2**32), (2**31, 2**31, 4), (-1, 0)])
def test_a_caffemodel_whose_dims_overflow_is_refused(tmp_path, dims):
    from prisma_abu.neural.caffemodel import read_caffemodel

    path = _caffemodel(tmp_path, dims)
    assert len(path.read_bytes()) < 64
    with pytest.raises(ModelError, match="declares"):
        read_caffemodel(path, what="bvlc_googlenet weights")


class _Code:
    def __reduce__(self):
        return (print, ("this ran",))


@pytest.fixture
def pickle_with_code(tmp_path):
    path = tmp_path / "evil.pth"
    keys = ("conv1.conv2d.weight", "res1.conv1.conv2d.weight", "deconv3.conv2d.weight")  # looks like a style net
    torch.save({**{key: torch.zeros(1) for key in keys}, "x": _Code()}, path)
    return path


def test_a_pickle_with_code_is_refused_in_one_line_without_torchs_advice(pickle_with_code, capsys):
    from prisma_abu.neural.stylenets import transformer_net
    from prisma_abu.neural.weights import load_state_dict_file

    for load in (transformer_net.load, lambda p: load_state_dict_file(p, what="vgg19 weights")):
        with pytest.raises(ModelError) as caught:
            load(pickle_with_code)
        message = str(caught.value)
        assert "\n" not in message and "refused" in message
        assert "weights_only" not in message and "trusted source" not in message
    assert "this ran" not in capsys.readouterr().out


def test_the_command_line_refuses_a_pickle_with_code_in_one_line(pickle_with_code, capsys, tmp_path):
    assert main(["stylize", SAMPLE, "--model", str(pickle_with_code), "-q", "-o", str(tmp_path / "o.png")]) == 2
    line = _error_line(capsys)
    assert "refused" in line and "weights_only" not in line
    assert not (tmp_path / "o.png").exists()


def test_a_torch_file_whose_tensor_spans_more_than_its_storage_is_refused(tmp_path):
    from prisma_abu.neural.weights import load_state_dict_file

    path = tmp_path / "expanded.pth"
    torch.save({"w": torch.zeros(1).expand(3000, 3000)}, path)  # torch keeps the stride-0 view
    with pytest.raises(ModelError, match="storage"):
        load_state_dict_file(path, what="vgg19 weights")


def test_a_model_path_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    import os

    from prisma_abu.neural.stylenets import torch7, transformer_net

    fifo = tmp_path / "model.t7"
    os.mkfifo(fifo)
    for load in (torch7.load, transformer_net.load):
        with pytest.raises(ModelError, match="not a regular file"):
            load(fifo)


# --- caches --------------------------------------------------------------------------------------

@pytest.fixture
def measured(monkeypatch, tmp_path):
    """A machine with native bf16 (bf16 faster), its own cache folder; counts the measurements."""
    from prisma_abu.neural import calibrate

    calls = []
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(calibrate.FORCE_ENV, raising=False)
    monkeypatch.setattr(calibrate, "step_seconds",
                        lambda net, d, p, image: calls.append(p) or {"fp32": 2.0, "bf16": 1.0}[p])
    return calls


@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000, "{not json", '{"k": {"verdict": ["bf16"]}}',
                                     '{"k": 3, "x": {"verdict": "bf16"}}', "[]"])
def test_a_broken_precision_cache_is_measured_again_with_one_warning(measured, tmp_path, content, caplog):
    from prisma_abu.neural import calibrate

    (tmp_path / "cache").mkdir()
    calibrate.calibration_file().write_text(content)
    cpu = torch.device("cpu")
    assert calibrate.verdicts() == {}
    assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "bf16"
    assert measured == ["fp32", "bf16"] * (calibrate.STEPS + 1)
    assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "bf16"  # rebuilt: not measured again
    assert measured == ["fp32", "bf16"] * (calibrate.STEPS + 1)


def test_doctor_lists_no_verdict_from_a_deeply_nested_cache(measured, tmp_path, capsys):
    from prisma_abu.neural import calibrate

    (tmp_path / "cache").mkdir()
    calibrate.calibration_file().write_text("[" * 100_000 + "]" * 100_000)
    assert main(["doctor"]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_an_unwritable_cache_folder_is_not_fatal_and_said_once(monkeypatch, tmp_path, caplog):
    from prisma_abu.neural import cache, calibrate

    monkeypatch.delenv(calibrate.FORCE_ENV, raising=False)
    (tmp_path / "file").write_text("a file, not a folder")
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(tmp_path / "file" / "cache"))  # unwritable even for root
    monkeypatch.setattr(cache, "_WARNED", set())
    calls = []
    monkeypatch.setattr(calibrate, "step_seconds",
                        lambda net, d, p, image: calls.append(p) or {"fp32": 2.0, "bf16": 1.0}[p])
    cpu = torch.device("cpu")
    with caplog.at_level("WARNING", logger="prisma_abu"):
        assert calibrate.calibrated_precision("tiny", cpu, load=lambda: None) == "bf16"
        assert calibrate.calibrated_precision("other", cpu, load=lambda: None) == "bf16"
    warnings = [r.getMessage() for r in caplog.records if "cannot write the cache" in r.getMessage()]
    assert len(warnings) == 1 and "\n" not in warnings[0]


def test_a_converted_weights_cache_that_cannot_be_written_still_gives_the_weights(monkeypatch, tmp_path):
    from prisma_abu.neural import weights

    (tmp_path / "file").write_text("a file, not a folder")
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(tmp_path / "file" / "cache"))
    state = {"0.weight": torch.ones(2)}
    assert weights.save_with_sidecar(state, weights.cache_dir() / "x.pth") is False


# --- replay: a picture someone sends you is untrusted ----------------------------------------------

def _meta_for(tmp_path, stored: str, sha256: str) -> tuple[dict, str]:
    """Metadata of a mask picture in tmp_path/pics whose source input is stored as ``stored`` with ``sha256``."""
    import numpy as np

    from prisma_abu.io import write_image
    from prisma_abu.jobs import Job, job_metadata
    from prisma_abu.params import MixParams

    pics = tmp_path / "pics"
    pics.mkdir(exist_ok=True)
    source = pics / "real.png"
    write_image(source, np.full((16, 16, 3), 90, np.uint8))
    picture = pics / "sent.png"
    meta = job_metadata(Job("mask", MixParams(size=16), {"source": str(source)}), picture)
    meta["inputs"]["source"] = {"path": stored, "sha256": sha256}
    return meta, str(picture)


def _sha(path) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink"])
def test_replay_reads_no_input_outside_the_pictures_folder_and_the_current_one(tmp_path, how):
    from prisma_abu.errors import InvalidImageError
    from prisma_abu.jobs import job_from_metadata

    secret = tmp_path / "secret.png"  # outside tmp_path/pics and outside the current folder
    secret.write_bytes(b"the user's own file")
    if how == "symlink":
        (tmp_path / "pics").mkdir()
        (tmp_path / "pics" / "link.png").symlink_to(secret)
    stored = {"dotdot": "../secret.png", "absolute": str(secret), "symlink": "link.png"}[how]
    meta, picture = _meta_for(tmp_path, stored, _sha(secret))
    with pytest.raises(InvalidImageError, match="missing or changed"):
        job_from_metadata(meta, picture=picture)


def test_replay_says_the_same_whether_a_file_is_missing_or_different(tmp_path):
    from prisma_abu.errors import InvalidImageError
    from prisma_abu.jobs import job_from_metadata

    lines = []
    for exists in (False, True):
        meta, picture = _meta_for(tmp_path, "other.png", "0" * 64)
        if exists:
            (tmp_path / "pics" / "other.png").write_bytes(b"another file")
        with pytest.raises(InvalidImageError) as caught:
            job_from_metadata(meta, picture=picture)
        lines.append(str(caught.value))
    assert lines[0] == lines[1]


def test_replay_hashes_no_huge_file_and_reads_no_fifo(tmp_path):
    import os
    import time

    from prisma_abu.errors import InvalidImageError
    from prisma_abu.jobs import job_from_metadata

    for name in ("huge.png", "fifo.png"):
        meta, picture = _meta_for(tmp_path, name, "0" * 64)
        path = tmp_path / "pics" / name
        if name == "fifo.png":
            os.mkfifo(path)
        else:
            with open(path, "wb") as handle:
                handle.truncate(40 << 30)  # 40 GB, sparse: costs nothing until someone reads it
        start = time.perf_counter()
        with pytest.raises(InvalidImageError, match="missing or changed"):
            job_from_metadata(meta, picture=picture)
        assert time.perf_counter() - start < 2


def test_replay_still_reads_an_input_beside_the_picture(tmp_path):
    from prisma_abu.jobs import job_from_metadata

    meta, picture = _meta_for(tmp_path, "placeholder", "0" * 64)
    meta["inputs"]["source"] = {"path": "real.png", "sha256": _sha(tmp_path / "pics" / "real.png")}
    assert job_from_metadata(meta, picture=picture).inputs["source"] == str(tmp_path / "pics" / "real.png")


def test_replay_bounds_the_thread_count(tmp_path):
    import os

    from prisma_abu.errors import InvalidImageError
    from prisma_abu.jobs import arithmetic_of, max_replay_threads

    assert arithmetic_of({"arithmetic": {"threads": os.cpu_count()}}) == {"threads": os.cpu_count()}
    with pytest.raises(InvalidImageError, match="thread count"):
        arithmetic_of({"arithmetic": {"threads": max_replay_threads() + 1}})
    assert max_replay_threads() < 4096 or os.cpu_count() >= 4096


def test_a_zlib_bomb_in_a_pictures_metadata_is_not_inflated(tmp_path):
    import base64
    import tracemalloc
    import zlib

    import numpy as np
    from PIL import Image, PngImagePlugin

    from prisma_abu.errors import InvalidImageError
    from prisma_abu.io import read_metadata

    bomb = base64.b64encode(zlib.compress(b"{" + b" " * (200 << 20), 9)).decode()
    assert len(bomb) < 400_000
    info = PngImagePlugin.PngInfo()
    info.add_itxt("prisma_abu", "zlib+base64:" + bomb)
    path = tmp_path / "bomb.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path, pnginfo=info)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidImageError):
            read_metadata(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60 << 20, f"{peak >> 20} MiB"


def test_the_command_line_replays_no_file_outside_in_one_line(tmp_path, capsys):
    import json

    import numpy as np
    from PIL import Image, PngImagePlugin

    secret = tmp_path / "secret.png"
    Image.fromarray(np.full((16, 16, 3), 7, np.uint8)).save(secret)
    meta, picture = _meta_for(tmp_path, "../secret.png", _sha(secret))
    info = PngImagePlugin.PngInfo()
    info.add_itxt("prisma_abu", json.dumps(meta))
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(picture, pnginfo=info)
    assert main(["replay", picture, "-q", "-o", str(tmp_path / "r.png")]) == 2
    assert "missing or changed" in _error_line(capsys)
    assert not (tmp_path / "r.png").exists()


# --- train-style outputs ---------------------------------------------------------------------------

TRAIN = ["--photos", "sample/coffee.jpg", "--steps", "1", "--image-size", "32", "--batch-size", "1", "--width",
         "0.25", "--style-image-size", "32", "--precision", "fp32", "-q"]


def test_train_style_into_a_folder_writes_the_style_name_there(tmp_path, capsys):
    folder = tmp_path / "models"
    folder.mkdir()
    assert main(["train-style", "prisma_gd/swirl.jpg", *TRAIN, "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["swirl.ckpt", "swirl.pth"]
    assert str(folder / "swirl.pth") in capsys.readouterr().out


def test_train_style_whose_checkpoint_is_a_folder_is_one_line_before_training(tmp_path, capsys):
    (tmp_path / "b.ckpt").mkdir()
    assert main(["train-style", "prisma_gd/swirl.jpg", *TRAIN, "-o", str(tmp_path / "b.pth")]) == 2
    assert "b.ckpt: is a folder; expected a file name for the checkpoint" in _error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.ckpt"]


def test_train_style_killed_after_its_last_checkpoint_finishes_on_resume(tmp_path, capsys):
    out = tmp_path / "m.pth"
    assert main(["train-style", "prisma_gd/swirl.jpg", *TRAIN, "-o", str(out)]) == 0
    first = out.read_bytes()
    out.unlink()  # killed after the checkpoint, before the model
    assert main(["train-style", "prisma_gd/swirl.jpg", *TRAIN, "-o", str(out), "--resume",
                 str(out.with_suffix(".ckpt"))]) == 0
    assert out.read_bytes() == first


@pytest.mark.parametrize("name", ["a" * 300, "a" * 300 + ".pth", "loop"])
def test_a_model_name_too_long_or_a_symlink_loop_is_one_line(tmp_path, name):
    from prisma_abu.neural.stylenets import load_stylenet

    if name == "loop":
        (tmp_path / "one").symlink_to(tmp_path / "two")
        (tmp_path / "two").symlink_to(tmp_path / "one")
        name = str(tmp_path / "one")
    with pytest.raises(ModelError, match="cannot be read"):
        load_stylenet(name)


@pytest.mark.parametrize("backbone", ["vgg19", "bvlc_googlenet"])
def test_backbone_weights_that_are_a_symlink_loop_or_a_device_are_one_line(tmp_path, backbone):
    from prisma_abu.neural.backbones import load_backbone

    (tmp_path / "one").symlink_to(tmp_path / "two")
    (tmp_path / "two").symlink_to(tmp_path / "one")
    for weights, message in ((tmp_path / "one", "cannot be read"), ("/dev/zero", "not a regular file")):
        with pytest.raises(ModelError, match=message):
            load_backbone(backbone, weights=weights)


def test_replay_reads_an_input_the_user_names_wherever_it_is_checked_alike(tmp_path):
    from prisma_abu.errors import InvalidImageError
    from prisma_abu.jobs import job_from_metadata

    elsewhere = tmp_path / "elsewhere.png"
    elsewhere.write_bytes(b"the photo, moved")
    meta, picture = _meta_for(tmp_path, "../../gone/photo.png", _sha(elsewhere))
    job = job_from_metadata(meta, picture=picture, named={"source": str(elsewhere)})
    assert job.inputs["source"] == str(elsewhere)
    with pytest.raises(InvalidImageError, match="not the file the picture was made from"):
        job_from_metadata(meta, picture=picture, named={"source": picture})


def test_an_onnx_tensor_whose_dims_its_data_do_not_fill_is_one_line(tmp_path):
    from onnx import TensorProto, helper

    from prisma_abu.neural.stylenets import load_stylenet

    tensors = [TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**32, 2**32], float_data=[0.0]),
               TensorProto(name="v", data_type=TensorProto.FLOAT, dims=[30000, 30000], raw_data=b"\0" * 4)]
    value = helper.make_tensor_value_info
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [value("x", TensorProto.FLOAT, [1])],
                              [value("y", TensorProto.FLOAT, [1])], tensors)
    path = tmp_path / "bomb.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ModelError, match="not a model file prisma_abu can read"):
        load_stylenet(str(path))  # before: a ValueError traceback from numpy's reshape
    from prisma_abu.neural.stylenets.transformer_onnx import read_onnx_state_dict

    with pytest.raises(ModelError, match="corrupt tensor"):
        read_onnx_state_dict(path)


def test_train_style_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import errno

    from prisma_abu import atomic

    real = atomic.write_bytes_atomic

    def full(path, data):
        with atomic.atomic_output(path) as tmp:
            tmp.write_bytes(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "write_bytes_atomic", full)
    assert main(["train-style", "prisma_gd/swirl.jpg", *TRAIN, "-o", str(tmp_path / "m.pth")]) == 2
    assert "No space left on device" in _error_line(capsys)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(atomic, "write_bytes_atomic", real)
