"""prisma_abu.master: the book's PrismaMaster.product_prisma over the batch engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisma_abu.batch import format_value, read_manifest
from prisma_abu.errors import InvalidParameterError
from prisma_abu.master import PrismaMaster

from batch_support import BRICK, CAT, DATE, SWIRL, _pictures


def test_product_prisma_writes_the_originals_tree(tmp_path):
    save_dir = tmp_path / "out" / DATE
    report = PrismaMaster.product_prisma(
        [CAT], [SWIRL, None], [None, "stem"], [None, "Sharpness"], [1.0, 0.88], "otsu_func + stdmean_func",
        5, 28, 1, True, 1.0, 1.0, 1.5, 0.0, False, all_mask=False, save_dir=save_dir,
        base_width=48, force_iter_n=1, octave_n=1)
    assert report.ok
    expected = set()
    for guide in ("swirl", "none_gd"):
        for layer in ("none", "stem"):
            for enhance in ("", "Sharpness"):
                for rate in ("1.0", "0.88"):
                    mask = "mask" if (guide, layer) == ("none_gd", "stem") else "otsu_func+stdmean_func"
                    expected.add(f"chelsea/{guide}/_{enhance}_{layer}_{rate}_{mask}.png")
    assert {str(p.relative_to(save_dir)) for p in _pictures(save_dir)} == expected
    assert len(read_manifest(save_dir)) == 16 and (save_dir / "contact_sheet.png").is_file()


def test_product_prisma_without_a_mask_renders_the_three_and_all_mask_guides_loop(tmp_path):
    from prisma_abu.neural.backbones import load_backbone

    allmask = tmp_path / "swirl_allmask.jpg"
    allmask.write_bytes(Path(SWIRL).read_bytes())
    report = PrismaMaster.product_prisma(
        [CAT], [BRICK, str(allmask)], ["stem"], [None], [1.0], None, 5, 28, 1, True, 1.0, 1.0, 1.5, 0.0, False,
        True, tmp_path / "o", base_width=48, force_iter_n=1, octave_n=1)
    assert report.ok
    names = {r.item.output for r in report.results}
    for guide in ("brick", "swirl_allmask"):
        for mask in ("otsu_func", "features_func", "stdmean_func"):
            assert f"chelsea/{guide}/__stem_1.0_{mask}.png" in names
    shallow = load_backbone("efficientnet_lite0").shallow_layers
    for layer in shallow:
        for rate in ("0.88", "1.0"):
            assert f"chelsea/swirl_allmask/__{format_value(layer)}_{rate}_allmask_func.png" in names
    assert len(names) == 6 + 2 * len(shallow)


def test_product_prisma_wants_lists(tmp_path):
    with pytest.raises(InvalidParameterError, match="org_file_list: expected a list, got str"):
        PrismaMaster.product_prisma(CAT, [SWIRL], [None], [None], [1.0], "otsu_func", 5, 28, 1, True, 1.0, 1.0,
                                    1.5, 0.0, False, save_dir=tmp_path)


def test_product_prisma_wants_flags(tmp_path):
    with pytest.raises(InvalidParameterError, match="dd_factor: expected True or False, got 'yes'"):
        PrismaMaster.product_prisma([CAT], [SWIRL], [None], [None], [1.0], "otsu_func", 5, 28, 1, "yes", 1.0,
                                    1.0, 1.5, 0.0, False, save_dir=tmp_path)


def test_product_prisma_wants_entries(tmp_path):
    with pytest.raises(InvalidParameterError, match="rb_rate_list: expected at least one entry"):
        PrismaMaster.product_prisma([CAT], [SWIRL], [None], [None], [], "otsu_func", 5, 28, 1, True, 1.0,
                                    1.0, 1.5, 0.0, False, save_dir=tmp_path)
