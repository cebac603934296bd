"""Batches and the Prisma look: a mask or blend knob given turns auto off (as on the command line),
a dream knob the texture; auto's and the textures' pictures get names of their own, the original's
names stay."""

from __future__ import annotations

from prisma_abu.batch import Experiment, expand

from batch_support import CAT, SWIRL


def _items(tmp_path, params=None, grid=None):
    return expand(Experiment(inputs={"source": [CAT], "guide": [SWIRL]}, out=tmp_path, params=params or {},
                             grid=grid or {}))


def test_knobs_given_turn_auto_and_the_texture_off(tmp_path):
    (default,) = _items(tmp_path)
    assert default.job.params.auto and default.job.params.texture == "auto"
    assert default.output.endswith("/__texture-auto_1.0_auto.png")  # no enhance, the texture, rb_rate, auto
    (explicit,) = _items(tmp_path, {"n3": 1, "mask": "otsu"})
    assert not explicit.job.params.auto and explicit.output.endswith("_otsu.png")
    (layer,) = _items(tmp_path, grid={"layer": ["blocks.2"]})
    assert layer.job.params.texture is None and layer.job.params.auto  # a dream knob: only the texture
    (both,) = _items(tmp_path, {"n3": 1, "auto": True})  # auto asked for too: it stays
    assert both.job.params.auto


def test_texture_presets_are_named_where_the_layer_would_be(tmp_path):
    items = _items(tmp_path, {"auto": False, "n3": 1}, {"texture": ["fine", "bold"]})
    names = sorted(item.output.rsplit("/", 1)[1] for item in items)
    assert names == ["__texture-bold_1.0_otsu_texture-bold.png", "__texture-fine_1.0_otsu_texture-fine.png"]
    (book,) = _items(tmp_path, {"auto": False, "texture": None, "n3": 1})
    assert book.output.endswith("/__auto_1.0_otsu.png")  # the original's name
