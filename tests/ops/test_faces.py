import numpy as np
import pytest
from skimage import data

from prisma_abu.ops.faces import detect_faces


def _rgb(image):
    image = np.asarray(image)
    image = image * 255 if image.dtype == bool else image
    image = image.astype(np.float32)
    return image[..., None].repeat(3, -1) if image.ndim == 2 else image[..., :3]


@pytest.mark.parametrize("size", [512, 480, 400, 360])
def test_finds_the_astronauts_face_and_only_hers_at_any_size(size):
    from prisma_abu.ops.resize import resize_longer_side

    photo = data.astronaut().astype(np.float32)
    boxes = detect_faces(resize_longer_side(photo, size) if size != 512 else photo)
    assert len(boxes) == 1  # OpenCV's frontalface_default also found her suit's badge at 480 and 360
    boxes = [tuple(round(v * 512 / size) for v in box) for box in boxes]
    r, c, h, w = boxes[0]
    # her face lies around rows 60-160, columns 160-260 of the 512 px photo
    assert 40 <= r + h / 2 <= 180 and 150 <= c + w / 2 <= 270
    assert 40 <= h <= 160


def test_finds_the_cameramans_face_in_profile():
    # he looks right, through his camera: a frontal cascade (scikit-image's) finds nothing here
    boxes = detect_faces(_rgb(data.camera()))
    assert len(boxes) == 1
    r, c, h, w = boxes[0]
    # his face lies around rows 100-200, columns 180-270 of the 512 px photo
    assert 100 <= r + h / 2 <= 170 and 190 <= c + w / 2 <= 260
    assert 50 <= h <= 150


def test_a_mirrored_profile_is_found_in_the_mirrored_place():
    (r, c, h, w), = detect_faces(_rgb(data.camera()))
    (r2, c2, h2, w2), = detect_faces(_rgb(data.camera()[:, ::-1]))
    assert abs(r - r2) <= 6 and abs((512 - c - w) - c2) <= 6 and abs(h - h2) <= 6


@pytest.mark.parametrize("name", ["brick", "gravel", "coins", "moon", "coffee", "chelsea", "rocket",
                                  "immunohistochemistry", "page", "horse", "colorwheel"])
def test_no_face_where_there_is_no_person(name):
    # frontalface_default found "faces" in the coins and on the moon at some sizes
    from prisma_abu.ops.resize import resize_longer_side

    photo = _rgb(getattr(data, name)())
    assert detect_faces(photo) == []
    assert detect_faces(resize_longer_side(photo, 400)) == []


def test_too_small_a_picture_has_no_face():
    assert detect_faces(np.zeros((10, 10, 3), np.float32)) == []
