"""Issue 22: the Python verbs return paintings — arrays a notebook shows, with a short repr and a save() that
writes the parameters `prisma-abu replay` reads (the command line's metadata, one writer: jobs.job_metadata)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import prisma_abu
from prisma_abu.paintings import IN_MEMORY, MixPainting, Painting
from prisma_abu.cli import main
from prisma_abu.io import read_image, read_metadata

from cli_support import GUIDE, SAMPLE
from style_support import QUICK

QUICK_MIX = {"layer": None, "size": 48, "n3": 1}


def _replay(saved, tmp_path):
    out = tmp_path / ("replayed" + saved.suffix)
    assert main(["replay", str(saved), "-q", "-o", str(out)]) == 0
    return out.read_bytes()


@pytest.mark.parametrize("verb", ["stylize", "mix", "dream", "style"])
def test_save_writes_what_replay_renders_again_byte_for_byte(verb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    painted = {"stylize": lambda: prisma_abu.stylize("chelsea", model="multistyle26:3", size=64),
               "mix": lambda: prisma_abu.mix(SAMPLE, GUIDE, **QUICK_MIX),
               "dream": lambda: prisma_abu.dream(SAMPLE, size=32, iter_n=1, octave_n=1),
               "style": lambda: prisma_abu.style(SAMPLE, ["swirl", GUIDE], QUICK, num_iterations=2)}[verb]()
    saved = painted.save(tmp_path / "saved.png")
    assert read_metadata(saved)["command"] == verb and painted.replayable
    assert _replay(saved, tmp_path) == saved.read_bytes()


def test_a_saved_painting_carries_the_command_lines_metadata(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    painted = prisma_abu.stylize(str(SAMPLE), model="multistyle26:3", size=64)
    painted.save(tmp_path / "api.png")
    assert main(["stylize", str(SAMPLE), "--model", "multistyle26:3", "--size", "64", "-q",
                 "-o", str(tmp_path / "cli.png")]) == 0
    assert read_metadata(tmp_path / "api.png") == read_metadata(tmp_path / "cli.png")


def test_the_notebook_picture_is_the_paintings_pixels():
    painted = prisma_abu.mix(SAMPLE, GUIDE, **QUICK_MIX)
    for shown in (painted._repr_png_(), painted.image._repr_png_()):
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(shown))), painted.image)


def test_the_repr_is_one_line_naming_the_command_the_size_and_the_knobs():
    painted = prisma_abu.stylize("chelsea", model="multistyle26:3", size=64, strength=0.5)
    h, w = painted.shape[:2]
    assert repr(painted) == f"Painting(stylize {w}x{h}, model='multistyle26:3', strength=0.5, size=64)"
    mixed = prisma_abu.mix(SAMPLE, GUIDE, **QUICK_MIX)
    assert repr(mixed).startswith("MixPainting(mix 48x") and "\n" not in repr(mixed) and len(repr(mixed)) < 200


def test_a_painting_is_still_the_array_scripts_used():
    painted = prisma_abu.stylize("chelsea", model="multistyle26:3", size=64)
    assert isinstance(painted, np.ndarray) and painted.dtype == np.uint8 and painted.ndim == 3
    plain = np.asarray(Image.fromarray(painted))
    assert np.array_equal(plain, painted)
    for derived in (painted[..., 0], painted / 255, painted.astype(np.float32) + 1, painted.mean(axis=2)):
        assert type(derived) is np.ndarray  # arithmetic and slices are plain arrays, not paintings
    assert "Painting" not in repr(painted[:2, :2]) and painted.copy().replayable
    import pickle

    again = pickle.loads(pickle.dumps(painted))  # to another process and back: pixels and how they were made
    assert np.array_equal(again, painted) and repr(again) == repr(painted) and again.replayable


def test_writing_into_a_painting_forgets_its_parameters(tmp_path):
    painted = prisma_abu.stylize("chelsea", model="multistyle26:3", size=64)
    painted[0, 0] = 0
    assert not painted.replayable and painted.rendered is None
    written = painted.save(tmp_path / "edited.png")
    assert np.array_equal(read_image(written).astype(np.uint8), painted)
    assert "command" not in read_metadata(written)  # nothing replay could take for this picture's recipe


def test_a_picture_given_as_an_array_is_saved_but_replay_asks_for_its_file(tmp_path, capsys):
    painted = prisma_abu.mix(read_image(SAMPLE), GUIDE, **QUICK_MIX)
    assert isinstance(painted, MixPainting) and isinstance(painted.image, Painting)
    assert not painted.image.replayable and painted.mask.shape == painted.image.shape[:2]
    saved = painted.save(tmp_path / "from_array.png")
    meta = read_metadata(saved)
    assert meta["inputs"]["source"]["path"] == IN_MEMORY and meta["inputs"]["guide"]["path"].endswith("swirl.jpg")
    assert main(["replay", str(saved), "-q", "-o", str(tmp_path / "again.png")]) != 0
    assert "input source '(an array, not a file)': missing" in capsys.readouterr().err
    assert np.array_equal(painted.image, prisma_abu.mix(SAMPLE, GUIDE, **QUICK_MIX).image)


def test_save_never_overwrites_an_input(tmp_path):
    from prisma_abu.errors import InvalidParameterError

    photo = tmp_path / "photo.png"
    photo.write_bytes(open(SAMPLE, "rb").read()) if str(SAMPLE).endswith(".png") else \
        Image.open(SAMPLE).save(photo)
    before = photo.read_bytes()
    painted = prisma_abu.mix(photo, GUIDE, **QUICK_MIX)
    with pytest.raises(InvalidParameterError, match="is the source picture itself"):
        painted.save(photo)
    assert photo.read_bytes() == before
