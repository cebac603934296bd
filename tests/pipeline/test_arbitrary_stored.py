"""``arbitrary`` with a style picture from its stored graphs: every CPU fp32 run through onnxruntime, within a
grey level of the torch path, the same bytes on the first run (which builds the graphs) and later ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from prisma_abu.neural import ortcache
from prisma_abu.neural.stylenets.magenta import style_input
from prisma_abu.params import StylizeParams
from prisma_abu.pipeline.stylize import _torch_paint, stylize_and_say_how


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(folder))
    return folder


def _picture(h, w, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.uint8)


@pytest.mark.parametrize("shape", [(300, 200), (120, 90), (256, 256)])  # shrunk, enlarged, as is
def test_the_numpy_style_input_is_torchs(shape):
    picture = _picture(*shape, 1)
    theirs = style_input(torch.from_numpy(picture.astype(np.float32)).permute(2, 0, 1)[None]).numpy()
    np.testing.assert_allclose(ortcache.style_input(picture), theirs, atol=2e-4)


@pytest.mark.parametrize("strength,tile", [(1.0, None), (0.6, None), (1.0, 128)])
def test_the_stored_path_is_within_a_grey_level_of_torch_and_replays_itself(cache, strength, tile):
    photo, style = _picture(150, 170, 2), _picture(200, 260, 3)
    params = StylizeParams(model="arbitrary", device="cpu", strength=strength, tile=tile)
    first, how = stylize_and_say_how(photo, params, style_image=style)  # builds the graphs, then runs them
    assert how is not None and how["runtime"] == "onnxruntime" and how["model"] == "arbitrary"
    assert ortcache.arbitrary_lookup() is not None
    second, _ = stylize_and_say_how(photo, params, style_image=style)
    assert np.array_equal(first, second)
    theirs = np.uint8(np.clip(_torch_paint(photo.astype(np.float32), params, None, style), 0, 255))
    assert np.abs(first.astype(int) - theirs).max() <= 2


def test_a_damaged_stored_graph_is_built_again(cache):
    photo, style = _picture(96, 96, 4), _picture(96, 96, 5)
    params = StylizeParams(model="arbitrary", device="cpu")
    reference, _ = stylize_and_say_how(photo, params, style_image=style)
    ortcache._sessions.clear()
    graphs = sorted((cache / "stylenets").glob("graph-*.onnx"))
    assert len(graphs) == 2
    for graph in graphs:
        graph.write_bytes(b"cut")
    again, how = stylize_and_say_how(photo, params, style_image=style)
    assert how is not None and np.array_equal(again, reference)
    assert all(len(graph.read_bytes()) > 1000 for graph in graphs)  # written again
