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


def test_unknown_compose_and_keep_out_of_range_are_refused():
    with pytest.raises(PrismaAbuError):
        MixParams(compose="glue")
    with pytest.raises(PrismaAbuError):
        MixParams(keep=1.5)
