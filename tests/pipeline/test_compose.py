"""compose = "paint" (issue 19): the whole photo painted in the guide's manner, the subject and face kept."""

import numpy as np
import pytest
from PIL import Image
from skimage import data

from prisma_abu.errors import PrismaAbuError
from prisma_abu.ops.faces import detect_faces
from prisma_abu.ops.measure import edge_correlation, structure_everywhere
from prisma_abu.params import MixParams
from prisma_abu.pipeline.mix import mix


@pytest.fixture(scope="module")
def results():
    photo = data.astronaut().astype(np.float32)
    guide = np.asarray(Image.open("prisma_gd/swirl.jpg").convert("RGB"), np.float32)
    return {c: mix(photo, guide, MixParams(size=160, compose=c, layer=None, texture=None))
            for c in ("paste", "paint")}


def test_paint_keeps_the_photos_structure_everywhere_where_paste_does_not(results):
    src = results["paint"].source.astype(np.float32)
    assert structure_everywhere(src, results["paint"].image.astype(np.float32)) > 0.25
    assert structure_everywhere(src, results["paste"].image.astype(np.float32)) < 0.1


def test_paint_keeps_the_face_better_than_paste(results):
    src = results["paint"].source.astype(np.float32)
    faces = detect_faces(data.astronaut().astype(np.float32))
    r, c, h, w = (int(v * 160 / 512) for v in faces[0])
    paint = edge_correlation(src, results["paint"].image.astype(np.float32), (r, c, h, w))
    paste = edge_correlation(src, results["paste"].image.astype(np.float32), (r, c, h, w))
    assert paint > 0.6 > paste


def test_paint_moves_the_colours_toward_the_guides(results):
    from prisma_abu.ops.measure import colour_moved

    src = results["paint"].source.astype(np.float32)
    guide = results["paint"].guide.astype(np.float32)
    paint = colour_moved(src, results["paint"].image.astype(np.float32), guide)
    assert paint > 0.55  # the guide's painting, not a recoloured photo (issue 19's goal: 0.5)


def test_unknown_compose_and_keep_out_of_range_are_refused():
    with pytest.raises(PrismaAbuError):
        MixParams(compose="glue")
    with pytest.raises(PrismaAbuError):
        MixParams(keep=1.5)


def test_paint_is_the_default_and_the_books_doors_paste():
    from prisma_abu.params.base import params_from_metadata
    from prisma_abu.worker import PrismaWorker

    assert MixParams().compose == "paint"
    assert MixParams.book().compose == "paste"  # the book's knobs
    assert PrismaWorker(MixParams()).params.compose == "paste"  # the façade whatever it is given
    # the command line's --square --no-auto is the book's paste unless --compose is given
    assert MixParams.given({"square": True, "auto": False})["compose"] == "paste"
    assert MixParams.given({"square": True, "auto": False, "compose": "paint"})["compose"] == "paint"
    assert "compose" not in MixParams.given({"square": True})  # auto on: the default
    # a picture written before compose existed replays as it was made: pasted
    old = {k: v for k, v in MixParams().to_dict().items() if k != "compose"}
    assert params_from_metadata({"kind": "mix", **old}).compose == "paste"


def test_the_default_mix_paints_the_whole_photo_softly():
    photo = data.astronaut().astype(np.float32)
    guide = np.asarray(Image.open("prisma_gd/swirl.jpg").convert("RGB"), np.float32)
    result = mix(photo, guide, MixParams(size=96, layer=None))
    assert result.params.compose == "paint" and result.weight is not None
    w = result.weight
    assert w.min() == 0.0 and 0.3 < w.max() <= 1.0  # the painting somewhere, the photo kept somewhere
    assert 0.05 < ((w > 0.01) & (w < w.max() - 0.01)).mean()  # a soft edge, not a cut
    src, blended = result.source.astype(np.float32), result.blended.astype(np.float32)
    assert np.abs(blended - src)[w < 0.01].mean() > 20  # where nothing is kept: not the photo
    # nowhere the raw guide: the guide's own pixels are not pasted
    assert np.abs(blended - result.guide.astype(np.float32)).mean() > 20


def test_a_tiny_picture_is_painted_too():
    photo = data.astronaut().astype(np.float32)
    guide = np.asarray(Image.open("prisma_gd/swirl.jpg").convert("RGB"), np.float32)
    result = mix(photo, guide, MixParams(size=24, layer=None, auto=False, n2=5, n3=20))
    assert result.image.shape == (24, 24, 3) and result.weight is not None


def test_the_default_mix_is_stored_and_replays_exactly(tmp_path):
    from prisma_abu.io import read_image, read_metadata
    from prisma_abu.jobs import Job, job_from_metadata, render, run_job
    from prisma_abu.params.base import params_from_metadata

    job = Job("mix", MixParams(size=96), {"source": "sample/astronaut.jpg", "guide": "prisma_gd/swirl.jpg"})
    out = run_job(job, tmp_path / "a.png")
    meta = read_metadata(out)
    stored = params_from_metadata(meta["params"])
    assert stored.compose == "paint" and stored.mask == "saliency" and stored.layer is None and not stored.auto
    again = render(job_from_metadata(meta, picture=out))
    np.testing.assert_array_equal(again, read_image(out))
    np.testing.assert_array_equal(render(Job("mix", stored, job.inputs)), again)


def test_a_face_is_subject_with_its_head_and_shoulders_and_shelves_are_not_a_face():
    from prisma_abu.pipeline.masking import face_boxes

    astronaut = data.astronaut().astype(np.float32)
    (r, c, h, w), = face_boxes(astronaut, (480, 480))  # one face, on the astronaut's head
    assert 30 < r < 110 and 130 < c < 230 and 50 < h < 130
    assert face_boxes(data.stereo_motorcycle()[0].astype(np.float32), (320, 480)) == []  # 4 neighbours found one
    guide = np.asarray(Image.open("prisma_gd/swirl.jpg").convert("RGB"), np.float32)
    weight = mix(astronaut, guide, MixParams(size=160, layer=None, keep=0.0)).weight  # only faces keep photo
    s = 160 / 480
    face = weight[round(r * s):round((r + h) * s), round(c * s):round((c + w) * s)]
    shoulders = weight[round((r + 1.6 * h) * s):round((r + 2.2 * h) * s), round(c * s):round((c + w) * s)]
    assert face.mean() > 0.7 and shoulders.mean() > 0.35  # head and shoulders kept (SHOULDERS_KEEP 0.5)
    assert weight[:30, :30].max() < 0.05 and weight[:30, -30:].max() < 0.05  # not the rest


def test_the_photos_fine_detail_survives_where_the_painting_lost_it():
    from prisma_abu.pipeline.mix import paint_blend

    photo = data.astronaut()[::4, ::4].astype(np.float32)
    flat = np.full_like(photo, 128.0)  # a painting without any of the photo's edges
    out = paint_blend(photo, flat, np.zeros(photo.shape[:2], np.float32))
    assert edge_correlation(photo, out) > 0.5
    assert abs(float(out.mean()) - 128.0) < 3  # detail, not the photo's colours or light
    kept = paint_blend(photo, flat, np.ones(photo.shape[:2], np.float32))
    np.testing.assert_allclose(kept, photo, atol=1e-3)  # weight 1: the photo itself


def test_the_subject_keeps_its_light_and_shade_and_takes_the_paintings_colour():
    from prisma_abu.pipeline.mix import paint_blend

    photo = data.astronaut()[::4, ::4].astype(np.float32)
    painted = np.zeros_like(photo)
    painted[..., 2] = 200.0  # a blue painting
    ones = np.ones(photo.shape[:2], np.float32)
    out = paint_blend(photo, painted, ones, 0.5 * ones)
    luma = np.array([0.299, 0.587, 0.114], np.float32)
    inside = ((out > 0.5) & (out < 254.5)).all(axis=2)  # not clipped
    assert inside.mean() > 0.5
    np.testing.assert_allclose((out @ luma)[inside], (photo @ luma)[inside], atol=0.01)  # its light and shade
    chroma = lambda x: x - (x @ luma)[..., None]  # noqa: E731
    mid = chroma(0.5 * photo + 0.5 * painted)
    assert np.abs(chroma(out) - mid).mean() < 0.1 * np.abs(chroma(photo) - mid).mean()  # half its colour


def test_a_face_keeps_its_colour_when_the_subject_gives_half_of_it():
    from prisma_abu.pipeline.mix import FACE_KEEP, keep_weight

    astronaut = data.astronaut().astype(np.float32)[::2, ::2]
    keep = np.zeros(astronaut.shape[:2], np.uint8)
    keep[150:, :] = 255  # a subject below her face
    params = MixParams(size=256)
    full = keep_weight(astronaut, keep, params, photo=astronaut)
    half = keep_weight(astronaut, keep, params, photo=astronaut, subject_share=0.5)
    assert half[40:70, 90:120].mean() > 0.9 * FACE_KEEP - 0.05  # her face (rows 60-160, cols 160-260 at 512)
    np.testing.assert_allclose(half[40:70, 90:120], full[40:70, 90:120], atol=0.02)
    assert abs(half[230:, :40].mean() - 0.5 * full[230:, :40].mean()) < 0.03  # the subject: half


def test_the_guided_filter_snaps_a_blurred_edge_to_the_photos_edge():
    from scipy.ndimage import gaussian_filter

    from prisma_abu.ops.guided import guided_filter

    photo = np.zeros((64, 64), np.float32)
    photo[:, 32:] = 1.0  # an edge at column 32
    blurred = gaussian_filter(photo, 6)  # a keep map whose edge is soft
    refined = guided_filter(photo, blurred, 8)
    step = float(refined[:, 32].mean() - refined[:, 31].mean())
    assert step > 0.3 > float(blurred[:, 32].mean() - blurred[:, 31].mean())  # the soft edge snaps to the photo's
    assert refined.min() >= 0 and refined.max() <= 1
    with pytest.raises(PrismaAbuError):
        guided_filter(photo, blurred[:10], 8)


def test_a_large_keep_map_is_feathered_on_a_small_copy_as_on_the_full_one():
    from scipy.ndimage import gaussian_filter

    from prisma_abu.pipeline.mix import FEATHER_SIDE, _feathered

    parts = np.zeros((1200, 1500, 2), np.float32)
    parts[300:900, 400:1000, 0] = 1.0  # a subject
    parts[100:200, 100:180, 1] = 1.0  # a head
    sigma = 0.03 * 1500
    fast = _feathered(parts, sigma)
    assert fast.shape == parts.shape and max(parts.shape[:2]) > FEATHER_SIDE
    for c in range(2):
        np.testing.assert_allclose(fast[..., c], gaussian_filter(parts[..., c], sigma), atol=0.02)
