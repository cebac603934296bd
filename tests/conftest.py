"""Shared fixtures: small synthetic pictures, a stand-in encoder, a private cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from prisma_abu.data import sample_path


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's cache or model folder: both are session folders."""
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("PRISMA_ABU_MODELS", str(tmp_path_factory.getbasetemp() / "models"))


@pytest.fixture(autouse=True)
def _calibration_on_every_cpu(monkeypatch):
    """``--precision auto``'s calibration runs in every test on every CPU, not only where bf16 is native.

    The first run of a backbone with ``auto`` loads the job's own network and
    times it; on a CPU without native bf16 that path never ran, and a bug in it
    (the default weights loaded instead of ``--weights``) stayed red on bf16
    machines only. Here every CPU is told it has native bf16 and the timer says
    fp32 is faster, so the whole path (load, key, cache) runs everywhere and the
    arithmetic stays fp32 on every CPU. Tests that want a verdict force it with
    ``PRISMA_ABU_PRECISION_AUTO`` or patch these again.
    """
    from prisma_abu.neural import calibrate

    monkeypatch.setattr(calibrate, "_native_bf16", lambda device: True)
    monkeypatch.setattr(calibrate, "step_seconds", lambda net, device, precision, image: {"fp32": 1.0, "bf16": 2.0}[precision])


@pytest.fixture
def broken(tmp_path) -> list[str]:
    """A truncated JPEG and a text file named .jpg."""
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "cut.jpg").write_bytes(Path(sample_path("coffee")).read_bytes()[:300])
    (folder / "notes.jpg").write_text("not a picture\n")
    return [str(folder / "cut.jpg"), str(folder / "notes.jpg")]


@pytest.fixture
def torch_threads():
    """Dask workers in this process set torch's threads; put them back."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def picture(rng):
    """A 64x80 RGB float32 picture with structure (gradients, a disc, noise)."""
    yy, xx = np.mgrid[0:64, 0:80]
    img = np.stack([xx * 3.0, yy * 4.0, 128 + 60 * np.sin(xx / 5.0)], axis=2)
    img[((yy - 30) ** 2 + (xx - 40) ** 2) < 200] = (230, 40, 60)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.float32)


class TinyEncoder(torch.nn.Module):
    """A stand-in backbone: two small convolutions with fixed random weights."""

    name = "tiny"
    layers = ("conv1", "relu1", "conv2")
    default_layer = "conv2"
    shallow_layers = layers

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(0)
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1, stride=2)
        with torch.no_grad():
            for conv in (self.conv1, self.conv2):
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.1)
                conv.bias.zero_()
        self.requires_grad_(False)

    def resolve_layer(self, name: str) -> str:
        return name

    def forward(self, image, layers):
        out = {}
        x = (image - 128.0) / 64.0
        x = self.conv1(x)
        out["conv1"] = x
        x = torch.relu(x)
        out["relu1"] = x
        if "conv2" in layers:
            out["conv2"] = self.conv2(x)
        return {k: out[k] for k in layers}


@pytest.fixture
def tiny_encoder():
    return TinyEncoder()
