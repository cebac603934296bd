"""prisma_abu.batch.kinds: names per command, the original's value formatting, layer loops."""

from __future__ import annotations

from prisma_abu.batch import Experiment, expand, format_value

from batch_support import CAT, DATE, SWIRL, _outputs


def test_format_value_follows_the_original():
    assert format_value("conv2/3x3_reduce") == "conv2_3x3_reduce"
    assert format_value(None, "enhance") == "" and format_value(None, "layer") == "none"
    assert format_value("otsu_func + stdmean_func") == "otsu_func+stdmean_func"
    assert format_value(0.88) == "0.88" and format_value(((1, 2, 3),)) == "1-2-3"


def test_all_mask_without_layers_loops_over_the_shallow_layers(tmp_path):
    from prisma_abu.neural.backbones import load_backbone

    shallow = load_backbone("efficientnet_lite0").shallow_layers
    exp = Experiment(inputs={"source": [CAT], "guide": [SWIRL]}, out=tmp_path, date=DATE,
                     params={"base_width": 48, "all_mask": True})
    items = expand(exp)
    assert [i.job.params.layer for i in items] == list(shallow)
    assert items[0].output == f"chelsea/swirl/__{format_value(shallow[0])}_1.0_otsu.png"


def test_dream_batches_name_pictures_by_layer(tmp_path):
    exp = Experiment(command="dream", inputs={"image": [CAT], "guide": [SWIRL, None]}, out=tmp_path,
                     params={"width": 48}, grid={"layer": ["blocks.1", "blocks.2"]})
    items = expand(exp)
    assert _outputs(items) == ["chelsea/swirl/_blocks.1.png", "chelsea/swirl/_blocks.2.png",
                               "chelsea/none_gd/_blocks.1.png", "chelsea/none_gd/_blocks.2.png"]
    assert items[0].job.params.objective == "guide" and items[2].job.params.objective == "l2"
    assert items[0].job.params.layers == ("blocks.1",)


def test_a_style_batch_refuses_an_unknown_layer_before_rendering():
    # issue 21: every batch kind checks its backbone and layers by name (torch-free), not only mix and dream
    import pytest

    from prisma_abu.batch import job_kind
    from prisma_abu.errors import InvalidParameterError
    from prisma_abu.params import StyleParams

    kind = job_kind("style")
    kind.validate([StyleParams(style_layers=("relu1_1",))])
    with pytest.raises(InvalidParameterError, match="unknown layer 'relu9_1' for vgg16"):
        kind.validate([StyleParams(), StyleParams(style_layers=("relu9_1",))])
