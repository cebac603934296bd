"""``saliency`` from the classifier's stored ONNX graph: torch's map up to rounding, the same masks, repaired caches."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.io import read_image
from prisma_abu.neural import ortcache, saliency_graph
from prisma_abu.neural.backbones import load_backbone
from prisma_abu.neural.resample import resize_planes
from prisma_abu.neural.saliency import class_saliency
from prisma_abu.ops.regions import WORK_SIDE, saliency_mask
from prisma_abu.ops.resize import resize_longer_side
from prisma_abu.pipeline.masking import SALIENCY_BACKBONE

PHOTOS = ("chelsea", "coffee", "astronaut", "hubble", "rocket")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saliency_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PRISMA_ABU_CACHE", str(folder))
        yield folder


@pytest.fixture(scope="module")
def effnet():
    return load_backbone(SALIENCY_BACKBONE)


@pytest.mark.parametrize("name", PHOTOS)
def test_the_stored_graphs_map_is_torchs_and_gives_the_same_mask(cache, effnet, monkeypatch, name):
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(cache))
    photo = read_image(f"sample/{name}.jpg")
    work = resize_longer_side(photo, WORK_SIDE)
    ours = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo, shape=work.shape[:2])
    theirs = class_saliency(effnet, photo, shape=work.shape[:2])
    assert ours.map.shape == theirs.map.shape and ours.map.dtype == np.float32
    np.testing.assert_allclose(ours.map, theirs.map, atol=1e-4)
    assert ours.classes == theirs.classes
    np.testing.assert_allclose(ours.probabilities, theirs.probabilities, atol=1e-5)
    assert np.array_equal(saliency_mask(ours.map, work), saliency_mask(theirs.map, work))


def test_the_graph_follows_the_pictures_size(cache, effnet, monkeypatch):
    """The exporter froze the strided convolutions' "same" padding at one size; odd sizes need theirs."""
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(cache))
    rng = np.random.default_rng(5)
    for shape in ((77, 51), (40, 121), (64, 64)):
        photo = rng.integers(0, 256, (*shape, 3)).astype(np.uint8)
        ours = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo, sides=(shape[0] + shape[1],))
        theirs = class_saliency(effnet, photo, sides=(shape[0] + shape[1],))
        assert ours.classes == theirs.classes
        np.testing.assert_allclose(ours.map, theirs.map, atol=1e-4)


def test_a_damaged_stored_graph_is_built_again(cache, monkeypatch):
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(cache))
    photo = read_image("sample/chelsea.jpg")
    reference = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo)
    (graph,) = (cache / "saliency").glob("graph-*.onnx")
    good = graph.read_bytes()
    ortcache._sessions.clear()
    graph.write_bytes(good[:-10] + b"0123456789")  # not the graph its name says
    again = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo)
    assert np.array_equal(again.map, reference.map) and graph.read_bytes() == good
    ortcache._sessions.clear()
    for entry in (cache / "saliency").glob("*.json"):
        entry.write_text("{" * 1000)
    again = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo)
    assert np.array_equal(again.map, reference.map)


def test_bad_calls_are_refused(cache, monkeypatch):
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(cache))
    with pytest.raises(InvalidImageError):
        saliency_graph.stored_saliency(SALIENCY_BACKBONE, np.zeros((40, 40), np.float32))
    with pytest.raises(InvalidParameterError, match="sides"):
        saliency_graph.stored_saliency(SALIENCY_BACKBONE, np.zeros((40, 40, 3), np.float32), sides=(16,))
    with pytest.raises(InvalidParameterError, match="top_k"):
        saliency_graph.stored_saliency(SALIENCY_BACKBONE, np.zeros((40, 40, 3), np.float32), top_k=0)


@pytest.mark.parametrize("mode,antialias,size_in,size_out", [
    ("bilinear", True, (300, 451), (160, 240)), ("bilinear", False, (5, 8), (160, 240)),
    ("bicubic", True, (300, 451), (256, 256)), ("bicubic", False, (100, 120), (256, 256))])
def test_numpy_resampling_is_torchs(mode, antialias, size_in, size_out):
    import torch
    import torch.nn.functional as F

    x = np.random.default_rng(2).random((3, *size_in), dtype=np.float32) * 255
    theirs = F.interpolate(torch.from_numpy(x)[None], size=size_out, mode=mode, antialias=antialias,
                           align_corners=False)[0].numpy()
    np.testing.assert_allclose(resize_planes(x, size_out, mode, antialias), theirs, atol=2e-2)


def test_an_unwritable_cache_still_gives_the_map(tmp_path, monkeypatch, cache):
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(cache))
    photo = read_image("sample/coffee.jpg")
    reference = saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(blocker / "cache"))
    for _ in range(2):  # built once, kept by the process
        assert np.array_equal(saliency_graph.stored_saliency(SALIENCY_BACKBONE, photo).map, reference.map)
    assert any("a_file" in key for key in saliency_graph._BUILT)
