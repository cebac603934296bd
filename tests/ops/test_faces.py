import numpy as np
from skimage import data

from prisma_abu.ops.faces import detect_faces


def test_finds_the_astronauts_face():
    boxes = detect_faces(data.astronaut().astype(np.float32))
    assert boxes
    r, c, h, w = boxes[0]
    # her face lies around rows 60-160, columns 160-260 of the 512 px photo
    assert 40 <= r + h / 2 <= 180 and 150 <= c + w / 2 <= 270
    assert 40 <= h <= 160


def test_no_face_in_a_texture():
    assert detect_faces(data.brick().astype(np.float32)[..., None].repeat(3, -1)) == []


def test_too_small_a_picture_has_no_face():
    assert detect_faces(np.zeros((10, 10, 3), np.float32)) == []
