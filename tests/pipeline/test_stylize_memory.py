"""A photo too big for the memory budget is stylized in tiles, with no option given; the picture records them."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu.errors import InvalidParameterError
from prisma_abu.params import StylizeParams
from prisma_abu.pipeline.stylize import MEMORY_ENV, memory_budget, resolve_tile, stylize

P = StylizeParams(model="multistyle26:2")


def _photo(h=560, w=640):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // w, y * 255 // h, (x + y) % 256], axis=-1).astype(np.uint8)


def test_the_budget_decides_whether_and_how_big_the_tiles_are(monkeypatch):
    monkeypatch.setenv(MEMORY_ENV, "2048")
    assert memory_budget() == 2 * 2**30
    assert resolve_tile((750, 1000, 3), P) == P  # a photo: whole
    tile = resolve_tile((3000, 4000, 3), P).tile  # 12 MP: about 4.5 GB whole
    assert tile is not None and 512 <= tile < 1500
    assert resolve_tile((3000, 4000, 3), P.replace(size=1000)) == P.replace(size=1000)  # the size it runs at
    assert resolve_tile((3000, 4000, 3), P.replace(tile=2000)).tile == 2000  # a given tile is kept
    monkeypatch.setenv(MEMORY_ENV, "8192")
    assert resolve_tile((3000, 4000, 3), P) == P
    monkeypatch.setenv(MEMORY_ENV, "a lot")
    with pytest.raises(InvalidParameterError, match=MEMORY_ENV):
        memory_budget()


def test_without_a_setting_the_budget_is_at_most_2_gib(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert 0 < memory_budget() <= 2 * 2**30


def test_a_small_budget_tiles_the_picture_as_the_tile_option_would(monkeypatch):
    photo = _photo()
    monkeypatch.setenv(MEMORY_ENV, "1")
    tile = resolve_tile(photo.shape, P).tile
    assert tile is not None and 512 <= tile < 640
    auto = stylize(photo, P)
    monkeypatch.setenv(MEMORY_ENV, "4096")
    assert np.array_equal(auto, stylize(photo, P.replace(tile=tile)))
    assert not np.array_equal(auto, stylize(photo, P))


def test_the_picture_records_the_tile_it_ran_with(monkeypatch, tmp_path):
    from PIL import Image

    from prisma_abu.io import read_metadata
    from prisma_abu.jobs import Job, run_job

    source = tmp_path / "photo.png"
    Image.fromarray(_photo()).save(source)
    monkeypatch.setenv(MEMORY_ENV, "1")
    out = run_job(Job("stylize", P, {"photo": str(source)}), tmp_path / "out.png")
    meta = read_metadata(out)
    assert meta["params"]["tile"] == resolve_tile((560, 640), P).tile
    assert meta["requested"]["tile"] is None
