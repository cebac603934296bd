"""prisma_abu's verbs for scripts: paths, PIL images and arrays in; the documented error for anything else."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import prisma_abu
from prisma_abu import pipeline
from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.io import read_image
from prisma_abu.params import DreamParams, MixParams

from cli_support import GUIDE, SAMPLE
from style_support import QUICK

NOT_PICTURES = {
    "a list": [[1, 2, 3]],
    "a 1-D array": np.zeros(12),
    "a 4-D array": np.zeros((1, 8, 8, 3)),
    "NaN": np.full((8, 8, 3), np.nan),
    "strings": np.full((8, 8, 3), "x"),
    "objects": np.array([[[object()] * 3] * 8] * 8, dtype=object),
    "no pixels": np.zeros((0, 8, 3)),
    "a number": 7,
}
FUNCTIONS = {
    "prisma_abu.dream": lambda x: prisma_abu.dream(x, iter_n=1, octave_n=1),
    "prisma_abu.mix": lambda x: prisma_abu.mix(x, layer=None),
    "prisma_abu.style": lambda x: prisma_abu.style(x, [np.zeros((8, 8, 3))], QUICK),
    "pipeline.dream": lambda x: pipeline.dream(x, DreamParams(iter_n=1, octave_n=1)),
    "pipeline.mix": lambda x: pipeline.mix(x, None, MixParams(layer=None)),
    "pipeline.style": lambda x: pipeline.style(x, [np.zeros((8, 8, 3))], QUICK),
    "pipeline.mask_picture": lambda x: pipeline.mask_picture(x, MixParams()),
    "pipeline.feature_picture": lambda x: pipeline.feature_picture(x, MixParams()),
    "guide of pipeline.mix": lambda x: pipeline.mix(np.zeros((8, 8, 3)), x, MixParams(layer=None)),
}


@pytest.mark.parametrize("bad", list(NOT_PICTURES), ids=list(NOT_PICTURES))
@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_anything_but_a_picture_is_an_invalid_image_error(function, bad):
    with pytest.raises(InvalidImageError, match="expected"):
        FUNCTIONS[function](NOT_PICTURES[bad])


def test_a_path_a_pil_image_and_an_array_give_the_same_mix():
    params = MixParams(layer=None, size=48, n3=1)
    from_path = prisma_abu.mix(SAMPLE, GUIDE, params)
    from_pil = prisma_abu.mix(Image.open(SAMPLE), Image.open(GUIDE), params)
    from_array = prisma_abu.mix(read_image(SAMPLE), read_image(GUIDE), params)
    for result in (from_pil, from_array):
        assert np.array_equal(result.image, from_path.image) and np.array_equal(result.mask, from_path.mask)
    assert from_path.image.dtype == np.uint8 and from_path.image.shape == (31, 48, 3)


def test_knobs_by_name_old_spellings_too():
    a = prisma_abu.mix(SAMPLE, GUIDE, layer=None, base_width=40, n3=1)
    b = prisma_abu.mix(SAMPLE, GUIDE, MixParams(layer=None, n3=1, auto=False), size=40)
    assert np.array_equal(a.image, b.image) and a.image.shape == (26, 40, 3)
    with pytest.raises(InvalidParameterError, match="unknown parameter"):
        prisma_abu.mix(SAMPLE, GUIDE, n4=1)
    with pytest.raises(InvalidParameterError, match="expected MixParams, got DreamParams"):
        prisma_abu.mix(SAMPLE, GUIDE, DreamParams())


def test_a_mask_knob_by_name_turns_auto_off_as_on_the_command_line():
    photo = read_image(SAMPLE)
    given = prisma_abu.mix(photo, GUIDE, layer=None, size=48, mask="stdmean", n3=1)
    plain = pipeline.mix(photo, read_image(GUIDE), MixParams(layer=None, size=48, mask="stdmean", n3=1, auto=False))
    chosen = prisma_abu.mix(photo, GUIDE, layer=None, size=48)  # auto picks this photo's mask
    assert np.array_equal(given.mask, plain.mask) and np.array_equal(given.image, plain.image)
    assert not np.array_equal(given.mask, chosen.mask)
    again = prisma_abu.mix(photo, GUIDE, layer=None, size=48, mask="stdmean", n3=1, auto=True)
    assert np.array_equal(again.mask, chosen.mask)  # unless auto is asked for too


def test_a_missing_file_is_an_invalid_image_error():
    with pytest.raises(InvalidImageError, match="no such file"):
        prisma_abu.dream("nope.jpg")


def test_the_doors_refuse_wrong_arguments_with_one_prisma_abu_error():
    from prisma_abu.errors import PrismaAbuError

    photo = np.full((16, 16, 3), 120, np.float32)
    for styles in (None, 3, []):
        with pytest.raises(PrismaAbuError, match="styles: expected"):
            prisma_abu.style(photo, styles=styles)
    with pytest.raises(PrismaAbuError, match="mask: expected"):
        prisma_abu.mix(photo, mask=[[0, 255], [255, 0]])
    with pytest.raises(PrismaAbuError, match="callback: expected a function"):
        prisma_abu.dream(photo, callback=3)
    with pytest.raises(PrismaAbuError, match="cannot be opened"):
        prisma_abu.mix("n" * 300 + ".png")


def test_a_pil_image_is_exif_rotated_like_a_path(tmp_path):
    from prisma_abu.api import as_picture
    from PIL import Image

    img = Image.new("RGB", (8, 4), (200, 10, 10))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 degrees: 8x4 is shown as 4x8
    path = tmp_path / "rotated.jpg"
    img.save(path, exif=exif)
    with Image.open(path) as opened:
        assert as_picture(opened).shape == as_picture(path).shape == (8, 4, 3)


def test_stylize_is_the_commands_picture_and_reads_bundled_names(tmp_path, monkeypatch):
    import prisma_abu
    from prisma_abu.cli import main
    from prisma_abu.data import guide_path, sample_path

    monkeypatch.chdir(tmp_path)
    painted = prisma_abu.stylize("chelsea", model="multistyle26:3", size=64)
    assert main(["stylize", str(sample_path("chelsea")), "--model", "multistyle26:3", "--size", "64", "-q",
                 "-o", "cli.png"]) == 0
    assert painted.dtype == np.uint8 and np.array_equal(painted, read_image(tmp_path / "cli.png").astype(np.uint8))
    by_painting = prisma_abu.stylize(sample_path("chelsea"), style_image=guide_path("swirl"), size=64)
    assert np.array_equal(by_painting, prisma_abu.stylize("chelsea", model="arbitrary", style_image="swirl",
                                                          size=64))


def test_stylize_refuses_an_unknown_model_and_dream_takes_the_notebooks_end():
    import prisma_abu
    from prisma_abu.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="unknown model 'nosuch.pth': no such name or file"):
        prisma_abu.stylize("chelsea", model="nosuch.pth")
    knobs = {"size": 48, "iter_n": 1, "octave_n": 1}
    assert np.array_equal(prisma_abu.dream("chelsea", end="blocks.2", **knobs),
                          prisma_abu.dream("chelsea", layers=("blocks.2",), **knobs))
    with pytest.raises(InvalidParameterError, match="end and layers: expected one of them"):
        prisma_abu.dream("chelsea", end="blocks.2", layers=("blocks.3",))
    assert "stylize" in dir(prisma_abu) and "stylize(photo" in prisma_abu.__doc__
