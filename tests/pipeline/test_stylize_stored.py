"""A built-in style network from its stored ONNX graph: the same bytes as the torch path, and no torch import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from prisma_abu.neural import ortcache
from prisma_abu.params import StylizeParams
from prisma_abu.pipeline.stylize import stylize, stylize_and_say_how

ROOT = Path(__file__).resolve().parents[2]
PHOTO = str(ROOT / "sample" / "chelsea.jpg")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("PRISMA_ABU_CACHE", str(folder))
    return folder


def _photo(h=70, w=90):
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, (h, w, 3)).astype(np.uint8)


def test_the_first_run_stores_the_graph_and_the_second_gives_the_same_picture(cache):
    params = StylizeParams(model="multistyle26:3", device="cpu")
    first, how = stylize_and_say_how(_photo(), params)
    assert how is None and ortcache.lookup("multistyle26:3") is not None  # torch ran, and stored its graph
    second, how = stylize_and_say_how(_photo(), params)
    assert how is not None and how["runtime"] == "onnxruntime" and how["model"] == "multistyle26:3"
    assert np.array_equal(first, second)


@pytest.mark.parametrize("size", [(64, 64), (67, 93), (81, 70)])  # multiples of 4 and not: the reflect padding
def test_stored_graph_equals_the_torch_path_at_any_size_strength_and_colour(cache, size):
    photo = _photo(*size)
    params = StylizeParams(model="multistyle26:7", strength=0.6, preserve_color=True)
    torch_path = stylize(photo, params)
    stored, how = stylize_and_say_how(photo, params)
    assert how is not None and np.array_equal(torch_path, stored)


def test_a_broken_entry_is_rebuilt_never_an_error(cache):
    params = StylizeParams(model="multistyle26:5")
    reference = stylize(_photo(), params)
    for entry in (cache / "stylenets").glob("*.json"):
        entry.write_text("[" * 100000)
    again, how = stylize_and_say_how(_photo(), params)
    assert how is None and np.array_equal(again, reference)  # torch path, then stored again
    assert stylize_and_say_how(_photo(), params)[1] is not None
    ortcache._sessions.clear()
    for graph in (cache / "stylenets").glob("graph-*.onnx"):
        graph.write_bytes(graph.read_bytes()[:-10] + b"0123456789")  # changed: not the graph its name says
    again, how = stylize_and_say_how(_photo(), params)
    assert how is None and np.array_equal(again, reference)


def test_a_stored_entry_is_refused_when_its_fields_are_wrong(cache):
    stylize(_photo(), StylizeParams(model="multistyle26:1"))
    (entry,) = (cache / "stylenets").glob("*.json")
    data = json.loads(entry.read_text())
    entry.write_text(json.dumps({**data, "style": "1,2,3"}))
    assert ortcache.lookup("multistyle26:1") is None


def test_a_read_only_cache_still_paints(cache, monkeypatch):
    cache.mkdir()
    blocked = cache / "stylenets"
    blocked.write_text("a file where the folder would go")
    picture, how = stylize_and_say_how(_photo(), StylizeParams(model="multistyle26:2"))
    assert how is None and picture.shape == (70, 90, 3)


def test_what_skips_the_stored_graph(cache):
    photo = _photo(140, 150)
    stylize(photo, StylizeParams(model="multistyle26:4"))
    assert stylize_and_say_how(photo, StylizeParams(model="multistyle26:4"))[1] is not None
    assert stylize_and_say_how(photo, StylizeParams(model="multistyle26:4", precision="bf16"))[1] is None


@pytest.mark.parametrize("tile", [128, 136])  # overlaps 63 and 64; 2x2 and uneven tiles
def test_tiles_from_the_stored_graph_equal_the_torch_paths(cache, tile):
    photo = _photo(150, 211)
    params = StylizeParams(model="multistyle26:5", tile=tile)
    torch_path, how = stylize_and_say_how(photo, params)
    assert how is None
    stored, how = stylize_and_say_how(photo, params)
    assert how is not None and np.array_equal(torch_path, stored)
    assert not np.array_equal(stored, stylize(photo, StylizeParams(model="multistyle26:5")))  # it did tile


def _run(args, cache, code):
    env = {**os.environ, "PRISMA_ABU_CACHE": str(cache)}
    program = ("import sys; from prisma_abu.cli import main; code = main(sys.argv[1:]); "
               "print('TORCH' if 'torch' in sys.modules else 'NO TORCH'); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == code, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_cli_second_run_imports_no_torch_and_writes_the_same_bytes(tmp_path):
    cache = tmp_path / "cache"
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert _run(["stylize", PHOTO, "--model", "multistyle26:9", "--size", "96", "-q", "-o", str(first)], cache,
                0) == "TORCH"
    assert _run(["stylize", PHOTO, "--model", "multistyle26:9", "--size", "96", "-q", "-o", str(second)], cache,
                0) == "NO TORCH"
    assert first.read_bytes() == second.read_bytes()  # the picture and its metadata (threads, model, runtime)
