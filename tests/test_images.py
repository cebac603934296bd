"""prisma_abu.images: the one picture-array check every layer uses (issue 20: one place per idea)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import prisma_abu
from prisma_abu.errors import InvalidImageError
from prisma_abu.images import as_uint8, check_rgb

PACKAGE = Path(prisma_abu.__file__).parent
#: a checked picture array (numpy) and a checked picture tensor, and the array <-> tensor conversion:
#: each defined once, where the name says
HOMES = {"check_rgb": "images.py", "as_uint8": "images.py", "check_grey": "images.py",
         "check_image_tensor": "neural/device.py", "to_tensor": "neural/device.py", "to_array": "neural/device.py",
         "device_of": "neural/device.py", "autocast": "neural/device.py"}
#: names the old copies went by
GONE = ("as_rgb", "_check_rgb", "check_image", "_check_image", "_image_tensor", "_autocast")


def _definitions() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for name in re.findall(r"^\s*def (\w+)\(", path.read_text(encoding="utf-8"), flags=re.M):
            found.append((name, path.relative_to(PACKAGE).as_posix()))
    return found


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_picture_idea_is_defined_once(name: str) -> None:
    assert [where for n, where in _definitions() if n == name] == [HOMES[name]]


def test_no_old_copy_is_left() -> None:
    assert [(n, where) for n, where in _definitions() if n in GONE] == []


def test_the_layers_share_the_one_check() -> None:
    from prisma_abu import pipeline
    from prisma_abu.ops import color

    assert color.check_rgb is check_rgb and color.as_uint8 is as_uint8
    assert pipeline.check_rgb is check_rgb and pipeline.as_uint8 is as_uint8 and not hasattr(pipeline, "as_rgb")


@pytest.mark.parametrize("bad, message", [
    ([[1, 2, 3], [4, 5]], r"photo: expected an \(M, N, 3\) RGB array, got list"),
    (np.zeros((4, 4)), r"photo: expected an \(M, N, 3\) RGB array, got shape \(4, 4\)"),
    (np.zeros((0, 4, 3)), r"expected a non-empty photo"),
    (np.full((2, 2, 3), np.nan), r"expected finite values in photo"),
    (np.array([[["a", "b", "c"]]]), r"expected photo with an integer or float dtype"),
])
def test_check_rgb_names_what_is_wrong(bad, message: str) -> None:
    with pytest.raises(InvalidImageError, match=message):
        check_rgb(bad, "photo")


def test_check_rgb_keeps_the_array() -> None:
    array = np.zeros((2, 3, 3), np.float32)
    assert check_rgb(array) is array
    assert check_rgb([[[0, 1, 2]]]).shape == (1, 1, 3)
