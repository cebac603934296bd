"""The book's PrismaWorker names keep working over the new engine."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
from skimage import filters, segmentation

from prisma_abu import PrismaWorker, PrismaWorkerClass, pipeline
from prisma_abu.io import read_image, read_metadata
from prisma_abu.params import MixParams

SRC, GD = "sample/coffee.jpg", "prisma_gd/swirl.jpg"


@pytest.fixture
def pw():
    return PrismaWorker(MixParams(size=64), seed=7)


@pytest.fixture
def arrays(pw):
    r_img = pw.resize_img(read_image(SRC), 64, keep_size=False)
    return r_img, pw._grey(r_img)


def test_class_alias():
    assert PrismaWorkerClass is PrismaWorker


def test_do_otsu_matches_skimage(pw, arrays):
    r_img, l_img = arrays
    t = filters.threshold_otsu(l_img)
    np.testing.assert_array_equal(pw.do_otsu(r_img, l_img, False), (l_img > t) * 255)
    np.testing.assert_array_equal(pw.do_otsu(r_img, l_img, True, dd=False),
                                  segmentation.clear_border(l_img < t) * 255)


def test_together_mask_func_sums_and_clips(pw, arrays):
    r_img, l_img = arrays
    funcs = [pw.do_otsu, partial(pw.do_stdmean, std_factor=0.5)]
    expected = np.clip(pw.do_otsu(r_img, l_img, False).astype(int) + pw.do_stdmean(r_img, l_img, False, 0.5), 0, 255)
    np.testing.assert_array_equal(pw.together_mask_func(r_img, l_img, False, funcs), expected)
    with pytest.raises(TypeError, match="expected callables"):
        pw.together_mask_func(r_img, l_img, False, ["otsu"])


def test_mix_mask_with_convd_equals_pipeline(pw):
    seed = int(np.random.default_rng(7).integers(2**31))
    got = pw.mix_mask_with_convd(partial(pw.do_otsu, dd=False), SRC, GD, None, enhance="Sharpness",
                                 n2=20, n3=1, convd_median_factor=1.5, convd_big_factor=0.0, rb_rate=0.9)
    params = MixParams.book(size=64, mask="otsu", dd=False, layer=None, enhance="Sharpness", n2=20, n3=1,
                       convd_median_factor=1.5, convd_big_factor=0.0, rb_rate=0.9, seed=seed)
    expected = pipeline.mix(read_image(SRC), read_image(GD), params).image
    np.testing.assert_array_equal(got, expected)


def test_mix_mask_with_convd_accepts_the_original_strings(pw):
    img = pw.mix_mask_with_convd("otsu_func + stdmean_func", SRC, GD, None, n3=1, convd_big_factor=0.0)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8


def test_arrays_instead_of_files_and_show(pw, arrays):
    r_img, _ = arrays
    guide = pw.resize_img(read_image(GD), 64, keep_size=False)
    img = pw.mix_mask_with_convd(pw.do_otsu, r_img=r_img, guide_img=guide, n3=1, convd_big_factor=0.0, show=True)
    assert img.shape == r_img.shape
    assert len(pw.shown) == 3  # source, mask, result


def test_save_writes_a_replayable_picture(pw, tmp_path, monkeypatch):
    from prisma_abu.jobs import job_from_metadata, render

    root = tmp_path
    src, gd = (root / "src.jpg"), (root / "gd.jpg")
    src.write_bytes(Path(SRC).resolve().read_bytes())
    gd.write_bytes(Path(GD).resolve().read_bytes())
    monkeypatch.chdir(root)
    img = pw.mix_mask_with_convd("otsu", str(src), str(gd), None, n3=1, convd_big_factor=0.0, save=True)
    saved = root / "out" / "worker" / "src_none.png"
    np.testing.assert_array_equal(read_image(saved), img)
    np.testing.assert_array_equal(render(job_from_metadata(read_metadata(saved))), img)


def test_find_and_show_features(pw, arrays):
    inside, r_img = pw.find_features(r_img=arrays[0], l_img=arrays[1], loop_factor=0.2)
    assert inside.shape == r_img.shape
    outside = inside.sum(axis=2) == 0
    assert 0 < outside.mean() < 1
    picture = pw.show_features(SRC)
    assert picture.shape == (64, 64, 3) and picture.dtype == np.uint8
    assert pw.shown[-1] is picture


def test_same_seed_same_bytes():
    a = PrismaWorker(MixParams(size=64), seed=1).mix_mask_with_convd("otsu", SRC, GD, None, n3=1, rb_rate=0.8)
    b = PrismaWorker(MixParams(size=64), seed=1).mix_mask_with_convd("otsu", SRC, GD, None, n3=1, rb_rate=0.8)
    assert a.tobytes() == b.tobytes()


def test_the_worker_uses_the_books_network_when_the_user_has_it(tmp_path, monkeypatch):
    import prisma_abu.neural.bvlc_googlenet as bvlc

    monkeypatch.setenv("PRISMA_ABU_MODELS", str(tmp_path))
    assert PrismaWorker().params.backbone == "efficientnet_lite0"
    (tmp_path / bvlc.CAFFEMODEL).write_bytes(b"stand-in")  # found by name; nothing is read until a dream runs
    assert PrismaWorker().params.backbone == "bvlc_googlenet"
    assert PrismaWorker(MixParams(size=64)).params.backbone == "efficientnet_lite0"  # given params win
