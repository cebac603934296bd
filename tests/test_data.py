"""Tests of prisma_abu.data (the bundled pictures) and tools/make_pictures.py."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from prisma_abu import data
from prisma_abu.errors import InvalidParameterError, PrismaAbuError

REPO = Path(__file__).resolve().parent.parent
MAKE_PICTURES = REPO / "tools" / "make_pictures.py"


@pytest.fixture(scope="module")
def make_pictures() -> Iterator[ModuleType]:
    """tools/make_pictures.py imported as a module (it is not in a package)."""
    spec = importlib.util.spec_from_file_location("_prisma_make_pictures", MAKE_PICTURES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure PRISMA_ABU_DATA from the environment does not leak in."""
    monkeypatch.delenv(data.DATA_ENV_VAR, raising=False)


def _pictures_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


# ---------------------------------------------------------------- data_dir


def test_data_dir_is_the_repository_root(no_override: None) -> None:
    root = data.data_dir()
    assert root == REPO
    assert (root / "sample").is_dir()
    assert (root / "prisma_gd").is_dir()


def test_empty_override_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.DATA_ENV_VAR, "")
    assert data.data_dir() == REPO


# ------------------------------------------------------------ the pictures


def test_listings_match_the_folders(no_override: None) -> None:
    samples = data.sample_images()
    guides = data.guide_images()
    assert len(samples) >= 4
    assert len(guides) >= 4
    assert samples == _pictures_in(REPO / "sample")
    assert guides == _pictures_in(REPO / "prisma_gd")
    assert samples == sorted(samples)
    assert guides == sorted(guides)
    # SOURCES.md lives in sample/ but is not a picture
    assert all(p.suffix.lower() != ".md" for p in samples)


@pytest.mark.parametrize("kind", ["sample", "guide"])
def test_every_picture_opens_as_rgb(no_override: None, kind: str) -> None:
    paths = data.sample_images() if kind == "sample" else data.guide_images()
    for path in paths:
        with Image.open(path) as img:
            img.load()
            rgb = np.asarray(img.convert("RGB"))
        assert rgb.ndim == 3 and rgb.shape[2] == 3, path
        assert rgb.dtype == np.uint8, path
        assert rgb.std() > 10.0, f"{path} is nearly flat"
        if kind == "guide":
            assert rgb.shape[:2] == (480, 480), path
        else:
            assert rgb.shape[1] <= 640, path
        assert path.stat().st_size < 200_000, f"{path} is too big"


def test_guides_are_colourful(no_override: None) -> None:
    for path in data.guide_images():
        with Image.open(path) as img:
            hsv = np.asarray(img.convert("HSV"), dtype=np.float64)
        assert hsv[..., 1].mean() > 40.0, f"{path} is nearly grey"


def test_sources_md_names_every_picture(no_override: None) -> None:
    sources = (REPO / "sample" / "SOURCES.md").read_text(encoding="utf-8")
    for path in data.sample_images() + data.guide_images():
        assert f"`{path.name}`" in sources, f"{path.name} missing from SOURCES.md"


# ------------------------------------------------------- finding by name


def test_sample_path_by_stem_and_by_file_name(no_override: None) -> None:
    by_stem = data.sample_path("chelsea")
    assert by_stem == REPO / "sample" / "chelsea.jpg"
    assert data.sample_path("chelsea.jpg") == by_stem
    assert by_stem.is_file()


def test_guide_path_by_stem_and_by_file_name(no_override: None) -> None:
    by_stem = data.guide_path("swirl")
    assert by_stem == REPO / "prisma_gd" / "swirl.jpg"
    assert data.guide_path("swirl.jpg") == by_stem


def test_every_listed_picture_is_found_by_its_stem(no_override: None) -> None:
    for path in data.sample_images():
        assert data.sample_path(path.stem) == path
    for path in data.guide_images():
        assert data.guide_path(path.stem) == path


def test_unknown_sample_lists_the_valid_stems(no_override: None) -> None:
    stems = ", ".join(p.stem for p in data.sample_images())
    with pytest.raises(InvalidParameterError, match=r"expected one of: .*, got 'dog'") as info:
        data.sample_path("dog")
    assert stems in str(info.value)
    assert "chelsea" in str(info.value)


def test_unknown_guide_is_a_prisma_and_value_error(no_override: None) -> None:
    with pytest.raises(InvalidParameterError, match=r"expected one of: .*swirl.*, got 'x'") as info:
        data.guide_path("x")
    assert isinstance(info.value, PrismaAbuError)
    assert isinstance(info.value, ValueError)


def test_sample_folder_is_not_searched_for_guides(no_override: None) -> None:
    with pytest.raises(InvalidParameterError, match="got 'chelsea'"):
        data.guide_path("chelsea")


def test_name_must_be_a_string(no_override: None) -> None:
    with pytest.raises(InvalidParameterError, match="must be a str"):
        data.sample_path(3)  # type: ignore[arg-type]


# ------------------------------------------------------- PRISMA_ABU_DATA


def test_override_points_to_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_pictures: ModuleType
) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    picture = make_pictures.swirl_guide(size=32, seed=3)
    Image.fromarray(picture).save(sample / "tiny.png")
    (sample / "notes.txt").write_text("not a picture", encoding="utf-8")
    monkeypatch.setenv(data.DATA_ENV_VAR, str(tmp_path))

    assert data.data_dir() == tmp_path
    assert data.sample_images() == [sample / "tiny.png"]
    assert data.sample_path("tiny") == sample / "tiny.png"
    assert data.sample_path("tiny.png") == sample / "tiny.png"
    with pytest.raises(InvalidParameterError, match=r"expected one of: tiny, got 'chelsea'"):
        data.sample_path("chelsea")
    # no prisma_gd/ there: the error says where it looked, nothing is created
    with pytest.raises(InvalidParameterError, match=re.escape(str(tmp_path / "prisma_gd"))):
        data.guide_images()
    with pytest.raises(InvalidParameterError, match="PRISMA_ABU_DATA"):
        data.guide_path("swirl")
    assert not (tmp_path / "prisma_gd").exists()


def test_missing_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(data.DATA_ENV_VAR, str(missing))
    with pytest.raises(InvalidParameterError, match=r"looked in .*nowhere"):
        data.sample_images()
    assert not missing.exists()


# ------------------------------------------------- tools/make_pictures.py


def test_lic_is_deterministic(make_pictures: ModuleType) -> None:
    first = make_pictures.lic_swirl(64, seed=5)
    again = make_pictures.lic_swirl(64, seed=5)
    other = make_pictures.lic_swirl(64, seed=6)
    assert first.shape == (64, 64)
    assert first.dtype == np.float64
    assert 0.0 <= first.min() and first.max() <= 1.0
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(
    "name", ["swirl_guide", "stained_glass_guide", "brush_strokes_guide"]
)
def test_generators_are_deterministic(make_pictures: ModuleType, name: str) -> None:
    make = getattr(make_pictures, name)
    first = make(size=64, seed=1)
    again = make(size=64, seed=1)
    other = make(size=64, seed=2)
    assert first.shape == (64, 64, 3)
    assert first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_lic_smears_along_the_field(make_pictures: ModuleType) -> None:
    rng = np.random.default_rng(0)
    noise = rng.random((64, 64))
    # a horizontal field: rows get smoothed, columns stay rough
    out = make_pictures.lic(np.ones((64, 64)), np.zeros((64, 64)), noise, length=8)
    along = np.abs(np.diff(out, axis=1)).mean()
    across = np.abs(np.diff(out, axis=0)).mean()
    assert along < 0.5 * across


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float64)


def test_main_rebuilds_the_committed_pictures(tmp_path: Path, make_pictures: ModuleType) -> None:
    status = make_pictures.main(["--root", str(tmp_path), "--only", "stained_glass", "chelsea"])
    assert status == 0
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.jpg")) == [
        "prisma_gd/stained_glass.jpg",
        "sample/chelsea.jpg",
    ]
    # same pixels (bytes may differ only with another libjpeg or scipy build)
    for rel in ("prisma_gd/stained_glass.jpg", "sample/chelsea.jpg"):
        rebuilt, committed = _pixels(tmp_path / rel), _pixels(REPO / rel)
        assert rebuilt.shape == committed.shape
        assert np.abs(rebuilt - committed).mean() < 1.0, rel


def test_find_picture_names_the_bundled_pictures_from_any_folder(tmp_path, monkeypatch):
    from prisma_abu.data import find_picture

    monkeypatch.chdir(tmp_path)  # no sample/ here
    assert find_picture("chelsea") == str(data.sample_path("chelsea"))
    assert find_picture("swirl") == str(data.guide_path("swirl"))
    assert find_picture("sample/coffee.jpg") == str(data.sample_path("coffee"))
    assert find_picture("prisma_gd/strokes.jpg") == str(data.guide_path("strokes"))
    assert Path(find_picture("sample/")) == data.sample_path("chelsea").parent
    for unknown in ("nosuch", "sample/nosuch.jpg", "photo.jpg", "-", "stylized:multistyle26:7", "none"):
        assert find_picture(unknown) == unknown  # the caller's own "no such file" answer follows
    (tmp_path / "chelsea").write_bytes(b"mine")  # what is on disk always wins
    (tmp_path / "sample").mkdir()
    assert find_picture("chelsea") == "chelsea" and find_picture("sample/") == "sample/"


def test_the_cli_takes_bundled_names_and_still_refuses_a_missing_file(tmp_path, monkeypatch, capsys):
    from prisma_abu.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["mask", "chelsea", "--mask", "otsu", "--no-dd", "--size", "64", "-q", "-o", "m.png"]) == 0
    # replayed from this folder, which holds no copy: the bundled picture is found by name, sha256-checked
    assert main(["replay", "m.png", "-o", "again.png", "-q"]) == 0
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "m.png").read_bytes()
    assert main(["mask", "chelsey", "--size", "64", "-q", "-o", "n.png"]) == 2
    assert "chelsey: no such file" in capsys.readouterr().err and not (tmp_path / "n.png").exists()
