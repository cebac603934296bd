"""MixModel mirrors MixParams: one trait per field, same defaults, exact round trip."""

from __future__ import annotations

import dataclasses

import pytest
from traits.api import TraitError

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.masks import MASK_COMBINATIONS
from prisma_abu.params import MixParams
from prisma_abu_gui.model import MASK_CHOICES, BatchModel, MixModel, picture_choices

pytestmark = pytest.mark.gui


def test_one_trait_per_field_with_the_same_defaults():
    model = MixModel()
    for field in dataclasses.fields(MixParams):
        assert model.trait(field.name) is not None, field.name
    assert model.to_params() == MixParams()


def test_the_seven_mask_functions_after_the_subject():
    assert len(MASK_CHOICES) == 7 == len(MASK_COMBINATIONS)
    assert MixModel().mask_choices == ["saliency", "saliency+otsu", *MASK_CHOICES]


def test_setting_a_knob_auto_chooses_turns_auto_off_as_the_command_line_does():
    model = MixModel()
    assert model.auto and model.texture == "auto"
    model.seed = 3  # not one auto chooses
    assert model.auto
    model.n2 = 40
    assert not model.auto and model.to_params().n2 == 40
    model.layer = "blocks.2"  # a dream knob: the texture preset is off
    assert model.texture is None and model.to_params().with_texture().layer == "blocks.2"
    # parameters loaded are taken as they are (auto on with its knobs, a texture with its layer)
    loaded = MixParams(n2=40, texture="fine")
    model.set_params(loaded)
    assert model.to_params() == loaded


def test_from_params_keeps_masks_and_layers_outside_the_lists():
    params = MixParams(mask="otsu_func + stdmean_func", backbone="googlenet", layer="conv2/3x3_reduce",
                       spots_keep=((1, 2, 3),))
    model = MixModel.from_params(params)
    assert model.to_params() == params
    assert "otsu_func + stdmean_func" in model.mask_choices


def test_changing_the_backbone_offers_its_layers():
    model = MixModel(layer="blocks.2")
    assert "blocks.2" in model.layer_choices
    model.backbone = "vgg16"
    assert "relu2_1" in model.layer_choices and "blocks.2" not in model.layer_choices
    assert model.layer == "auto"


def test_bad_values_are_refused():
    model = MixModel()
    with pytest.raises(TraitError):
        model.rb_rate = 0.0
    model.n3 = 60
    with pytest.raises(InvalidParameterError, match="mask"):
        model.set_params(MixParams(mask="blur", n3=70))
    assert model.n3 == 60  # all or nothing
    with pytest.raises(InvalidParameterError, match="enhance"):
        model.set_params(MixParams(enhance="Sepia"))


def test_picture_choices_keep_the_order_and_label_none():
    choices = picture_choices(["/a/z.jpg", "/a/b.jpg", "/b/b.jpg"], none_label="(none)")
    assert list(choices.values()) == ["000:(none)", "001:z", "002:b (a)", "003:b (b)"]


def test_batch_grid():
    batch = BatchModel(sources=["s.jpg"], guides=["g.jpg", "none"], layers=["auto", "none"], enhances=["none"],
                       rb_rates=[1.0, 0.88])
    assert batch.count == 8
    inputs, grid = batch.grid()
    assert inputs == {"source": ["s.jpg"], "guide": ["g.jpg", None]}
    assert grid == {"layer": ["auto", None], "texture": [None], "enhance": [None], "rb_rate": [1.0, 0.88]}
    # texture presets and layers are two grids: a preset and a layer never cross
    batch.layers = ["texture:fine", "texture:strokes", "blocks.1"]
    (_, textures), (_, layers) = batch.grids()
    assert textures == {"layer": ["auto"], "texture": ["fine", "strokes"], "enhance": [None], "rb_rate": [1.0, 0.88]}
    assert layers == {"layer": ["blocks.1"], "texture": [None], "enhance": [None], "rb_rate": [1.0, 0.88]}
    batch.rb_rates = []
    with pytest.raises(InvalidParameterError, match="empty"):
        batch.grid()
