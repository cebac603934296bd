"""The Prisma look by default (issue 12): the subject found, auto's choices stored and replayed,
the photo's aspect kept, the texture presets, the replay of 0.1.0 pictures."""

from __future__ import annotations

import numpy as np
import pytest

from prisma_abu import pipeline
from prisma_abu.io import read_image, read_metadata
from prisma_abu.jobs import Job, job_from_metadata, job_metadata, render, render_job, run_job
from prisma_abu.params import TEXTURES, MixParams, params_from_metadata

SWIRL = "prisma_gd/swirl.jpg"

#: hand-drawn boxes (x0, y0, x1, y1) around each bundled photo's subject, in the photo's pixels:
#: the cat's head and shoulders, the cup on its saucer with the spoon, the astronaut (her figure,
#: not the helmet she holds at the right nor the shuttle model), the rocket on its pad.
#: hubble (the deep field) has no one subject: see test_a_photo_without_a_subject_...
BOXES = {
    "chelsea": (20, 0, 390, 300),
    "coffee": (75, 15, 480, 390),
    "astronaut": (20, 10, 370, 512),
    "rocket": (290, 120, 355, 427),
}


@pytest.mark.parametrize("name", sorted(BOXES))
def test_the_subject_lies_in_its_hand_drawn_box(name):
    photo = read_image(f"sample/{name}.jpg")
    mask = pipeline.subject_mask(photo, photo.shape[:2]) > 0
    x0, y0, x1, y1 = BOXES[name]
    box = np.zeros(mask.shape, bool)
    box[y0:y1, x0:x1] = True
    inside = (mask & box).sum() / mask.sum()
    covered = (mask & box).sum() / box.sum()
    assert inside >= 0.75, f"{name}: only {inside:.2f} of the mask inside the box"
    assert covered >= 0.40, f"{name}: the mask covers only {covered:.2f} of the box"


def test_saliency_adds_up_with_the_classical_masks():
    photo = read_image("sample/coffee.jpg")
    params = MixParams(size=96, auto=False)
    src, _ = pipeline.prepare_mix(photo, None, params)
    sal = pipeline.mix_mask(src, params.replace(mask="saliency"), photo=photo)
    otsu = pipeline.mix_mask(src, params.replace(mask="otsu"), photo=photo)
    both = pipeline.mix_mask(src, params.replace(mask="saliency+otsu"), photo=photo)
    np.testing.assert_array_equal(both, np.clip(sal.astype(int) + otsu, 0, 255))
    assert 0 < (sal > 0).mean() < (both > 0).mean()
    assert pipeline.check_mask_spec("Saliency + otsu_func") == ("saliency", "otsu")
    with pytest.raises(Exception, match="saliency"):
        pipeline.check_mask_spec("salience")


def test_the_paste_mix_keeps_the_subject_and_takes_the_rest_from_the_guide():
    photo, guide = read_image("sample/coffee.jpg"), read_image(SWIRL)
    result = pipeline.mix(photo, guide, MixParams(size=120, layer=None, compose="paste"))
    assert result.image.shape == (80, 120, 3)  # 600x400: the aspect kept
    keep = result.keep
    assert result.params.mask == "saliency" and not result.params.auto
    assert 0.1 < keep.mean() < 0.6  # the photo's subject, and the guide elsewhere
    x0, y0, x1, y1 = (round(v * 120 / 600) for v in BOXES["coffee"])
    assert keep[y0:y1, x0:x1].sum() >= 0.75 * keep.sum()  # what is kept is the cup
    np.testing.assert_array_equal(result.blended[keep], result.source[keep])
    np.testing.assert_array_equal(result.blended[~keep], result.guide[~keep])


def test_a_photo_without_a_subject_gets_a_classical_mask_that_leaves_room_for_the_guide():
    photo = read_image("sample/hubble.jpg")
    src, _ = pipeline.prepare_mix(photo, None, MixParams(size=160))
    report = pipeline.auto_report(photo, src, MixParams(size=160, compose="paste"))
    assert report.subject_share == 0.0  # the deep field: stars everywhere, no one subject
    assert "saliency" not in report.params.mask
    assert report.params.texture == "fine" and not report.params.auto
    result = pipeline.mix(photo, read_image(SWIRL), MixParams(size=160, layer=None, compose="paste"))
    assert 0.01 < result.keep.mean() < 0.5  # the stars kept, the night replaced


def test_a_photo_without_a_subject_is_painted_everywhere():
    photo = read_image("sample/hubble.jpg")
    result = pipeline.mix(photo, read_image(SWIRL), MixParams(size=160))
    assert result.params.mask == "none" and result.params.layer is None  # the painting's own texture
    assert not result.keep.any() and result.weight.max() == 0.0  # no cut: the painting everywhere
    src = result.source.astype(np.float32)
    assert np.abs(result.image.astype(np.float32) - src).mean() > 20
    assert pipeline.describe_choices(result.params).startswith("auto: mask none")


def test_auto_choices_are_stored_in_the_picture_and_replay_exactly(tmp_path):
    job = Job("mix", MixParams(size=96, compose="paste"), {"source": "sample/chelsea.jpg", "guide": SWIRL})
    out = run_job(job, tmp_path / "cat.png")
    meta = read_metadata(out)
    stored = params_from_metadata(meta["params"])
    assert meta["requested"]["auto"] is True and meta["requested"]["texture"] == "auto"
    assert stored.auto is False and stored.texture is None and stored.mask == "saliency"
    assert (stored.backbone, stored.layer) == (TEXTURES["strokes"]["backbone"], TEXTURES["strokes"]["layer"])
    assert meta["arithmetic"]["threads"] >= 1
    assert pipeline.describe_choices(stored).startswith("auto: mask saliency, n1 ")
    assert "texture strokes (vgg16 relu1_2, 6 steps x 2 octaves at 0.5 size)" in pipeline.describe_choices(stored)
    again = render(job_from_metadata(meta, picture=out))
    np.testing.assert_array_equal(again, read_image(out))
    # the stored choices alone (auto off) make the same picture: the user can start from them
    np.testing.assert_array_equal(render(Job("mix", stored, job.inputs)), again)


def test_the_photos_aspect_is_kept_and_the_guide_covered_not_stretched():
    from prisma_abu.ops.resize import resize_cover

    cat, swirl = read_image("sample/chelsea.jpg"), read_image(SWIRL)  # 451x300, 480x480
    params = MixParams(size=90, auto=False, n3=1, layer=None, compose="paste")
    result = pipeline.mix(cat, swirl, params)
    assert result.image.shape == (59, 90, 3)  # int(300 * 90 / 451)
    np.testing.assert_array_equal(result.guide, np.uint8(resize_cover(swirl, (90, 59))))
    portrait = np.ascontiguousarray(cat.transpose(1, 0, 2))
    assert pipeline.mix(portrait, swirl, params).image.shape == (90, 59, 3)  # size is the longer side
    # square: the book's square, byte for byte what MixParams.book() makes
    square = pipeline.mix(cat, swirl, params.replace(square=True))
    assert square.image.shape == (90, 90, 3)
    np.testing.assert_array_equal(square.image, pipeline.mix(cat, swirl, MixParams.book(
        size=90, n3=1, layer=None)).image)


def test_texture_presets_resolve_and_step_aside_for_a_layer():
    for name, preset in TEXTURES.items():
        resolved = MixParams(texture=name).with_texture()
        assert resolved.texture is None and {k: getattr(resolved, k) for k in preset} == dict(preset)
    paste = MixParams(compose="paste")
    assert paste.with_texture() == paste.replace(texture="strokes").with_texture()  # auto off: strokes
    assert MixParams().with_texture().layer is None  # compose paint: the painting's own texture, no dream
    assert MixParams(texture="fine").with_texture().layer == "relu1_1"  # unless a texture is named
    assert MixParams(layer="blocks.2").with_texture().backbone == "efficientnet_lite0"  # a layer given wins
    assert MixParams(layer=None).with_texture().layer is None  # no dream stays no dream
    assert MixParams(texture=None).with_texture() == MixParams(texture=None)
    assert set(pipeline.texture_names()) == {"fine", "strokes", "bold"}
    with pytest.raises(Exception, match="texture"):
        MixParams(texture="impasto")


def test_a_texture_at_a_scale_dreams_a_smaller_copy_and_adds_its_detail():
    photo, guide = read_image("sample/coffee.jpg"), read_image(SWIRL)
    base = MixParams(size=64, auto=False, n3=1, texture="bold")
    steps = []
    result = pipeline.mix(photo, guide, base, callback=lambda o, i, v: steps.append(o))
    assert result.image.shape == result.blended.shape
    assert np.abs(result.image.astype(int) - result.blended).mean() > 1  # the texture is there
    assert len(steps) == TEXTURES["bold"]["iter_n"] * 1  # 0.33 x 64 px: one octave above the 32 px floor
    full = pipeline.mix(photo, guide, base.replace(texture=None, **{**TEXTURES["bold"], "dream_scale": 1.0}))
    assert not np.array_equal(full.image, result.image)


def test_a_picture_from_0_1_0_replays_as_it_was_made(tmp_path):
    """0.1.0 stored every field it had: none of square, auto, texture, dream_scale. Their legacy values
    give the old behaviour (a square, the knobs as given, the backbone's Prisma layer at full size)."""
    from prisma_abu.ops.blend import blend_convolved
    from prisma_abu.ops.color import to_grey
    from prisma_abu.ops.masks import mask_otsu
    from prisma_abu.ops.resize import resize_image

    old = {k: v for k, v in MixParams.book(size=64, n3=1, layer=None, convd_big_factor=0.0).to_dict().items()
           if k not in ("square", "auto", "texture", "dream_scale")}
    params = params_from_metadata({"kind": "mix", **old})
    assert params == MixParams.book(size=64, n3=1, layer=None, convd_big_factor=0.0)
    assert (params.square, params.auto, params.texture, params.dream_scale) == (True, False, None, 1.0)
    job = Job("mix", params, {"source": "sample/coffee.jpg", "guide": SWIRL})
    meta = job_metadata(job, tmp_path / "old.png")
    meta["params"] = {"kind": "mix", **old}
    meta["prisma_abu"] = "0.1.0"
    replayed = render(job_from_metadata(meta, picture=tmp_path / "old.png"))
    # what 0.1.0 computed: both pictures stretched to 64x64, Otsu, the convolved blend, no dream
    src = resize_image(read_image("sample/coffee.jpg"), base_width=64)
    gd = resize_image(read_image(SWIRL), base_width=64)
    expected = blend_convolved(src, gd, mask_otsu(to_grey(src)), n1=5, n2=25, n3=1, convd_median_factor=5.0,
                               convd_big_factor=0.0)
    np.testing.assert_array_equal(replayed, expected)
    # and a 0.1.0 dream picture keeps its layer and size (efficientnet_lite0 blocks.1, 10 x 4, full size)
    dream = params_from_metadata({"kind": "mix", **{**old, "layer": "auto", "iter_n": 1}})
    rendered = render_job(Job("mix", dream, job.inputs)).job.params
    assert (rendered.backbone, rendered.layer, rendered.dream_scale) == ("efficientnet_lite0", "auto", 1.0)


def test_the_worker_keeps_the_books_behaviour_whatever_its_params_say():
    from prisma_abu import PrismaWorker

    pw = PrismaWorker(MixParams(size=64, texture="fine"), seed=2)
    assert (pw.params.square, pw.params.auto, pw.params.texture) == (True, False, None)
    img = pw.mix_mask_with_convd("otsu", "sample/chelsea.jpg", SWIRL, None, n3=1)
    assert img.shape == (64, 64, 3)
