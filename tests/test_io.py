from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from PIL import Image

from prisma_abu.errors import InvalidImageError, InvalidParameterError
from prisma_abu.io import read_image, read_metadata, write_image


def _rgb(h=12, w=20):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_rgb_png_round_trip(tmp_path):
    arr = _rgb()
    Image.fromarray(arr).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out.dtype == np.float32 and out.shape == (12, 20, 3)
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "1", "LA", "RGBA", "I;16", "I", "F"])
def test_unusual_modes_become_rgb(tmp_path, mode):
    arr = _rgb()
    img = Image.fromarray(arr)
    if mode == "I;16":
        img = Image.fromarray(np.arange(240, dtype=np.uint16).reshape(12, 20) * 270)
    elif mode in ("I", "F"):
        img = img.convert("L").convert(mode)
    else:
        img = img.convert(mode)
    suffix = ".tif" if mode in ("CMYK", "F", "I") else ".png"
    img.save(tmp_path / f"x{suffix}")
    out = read_image(tmp_path / f"x{suffix}")
    assert out.shape == (12, 20, 3) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 255
    if mode == "I;16":  # 16-bit values scaled, not clipped
        np.testing.assert_allclose(out[..., 0].ravel(), np.arange(240) * 270 / 257, rtol=1e-5)
    if mode == "L":
        np.testing.assert_array_equal(out[..., 0], out[..., 2])


def test_transparency_goes_over_white(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    np.testing.assert_array_equal(read_image(tmp_path / "t.png"), 255)


def test_exif_orientation_is_applied(tmp_path):
    arr = _rgb(10, 30)
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 CW on display
    img.save(tmp_path / "r.jpg", exif=exif, quality=100)
    out = read_image(tmp_path / "r.jpg")
    assert out.shape == (30, 10, 3)


def test_tiny_and_thin_pictures(tmp_path):
    for shape in [(1, 1), (1, 300), (300, 1)]:
        Image.fromarray(np.zeros(shape + (3,), np.uint8)).save(tmp_path / "s.png")
        assert read_image(tmp_path / "s.png").shape == shape + (3,)


def test_missing_folder_and_not_an_image(tmp_path):
    with pytest.raises(InvalidImageError, match="no such file; expected a picture file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(InvalidImageError, match="is a folder; expected a picture file"):
        read_image(tmp_path)
    (tmp_path / "notes.png").write_text("hello, not a picture")
    with pytest.raises(InvalidImageError, match="not a picture Pillow can read"):
        read_image(tmp_path / "notes.png")


def test_truncated_picture(tmp_path):
    Image.fromarray(_rgb(64, 64)).save(tmp_path / "full.jpg", quality=95)
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidImageError, match="broken or truncated picture"):
        read_image(tmp_path / "cut.jpg")


def test_decompression_bomb(tmp_path, monkeypatch):
    Image.fromarray(_rgb(64, 64)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InvalidImageError, match="too many pixels"):
        read_image(tmp_path / "big.png")


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_write_carries_metadata(tmp_path, suffix):
    meta = {"command": "dream", "params": {"seed": 3, "name": "中文"}}
    path = write_image(tmp_path / "sub" / f"o{suffix}", _rgb().astype(np.float32), metadata=meta)
    assert read_metadata(path) == meta
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_write_png_is_exact_and_clips(tmp_path):
    arr = _rgb().astype(np.float32)
    arr[0, 0] = (-5, 300, 7.9)
    path = write_image(tmp_path / "o.png", arr)
    back = read_image(path)
    np.testing.assert_array_equal(back[0, 0], (0, 255, 7))
    np.testing.assert_array_equal(back[1:], np.uint8(arr[1:]))


def test_write_refuses_bad_suffix_and_shape(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"cannot write a \.gif file; expected one of"):
        write_image(tmp_path / "o.gif", _rgb())
    with pytest.raises(InvalidImageError, match=r"expected an \(M, N, 3\) RGB array, got shape \(4, 4\)"):
        write_image(tmp_path / "o.png", np.zeros((4, 4)))
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        write_image(tmp_path / "o.png", _rgb())
    assert list(tmp_path.iterdir()) == []


def test_metadata_missing(tmp_path):
    Image.fromarray(_rgb()).save(tmp_path / "plain.png")
    with pytest.raises(InvalidImageError, match="carries no prisma_abu parameters"):
        read_metadata(tmp_path / "plain.png")


@pytest.fixture
def umask():
    """Set the process umask for a test; put the old one back."""
    before = os.umask(0o022)
    os.umask(before)
    yield lambda mask: os.umask(mask)
    os.umask(before)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_honour_the_umask(tmp_path, umask, mask, mode):
    umask(mask)
    path = write_image(tmp_path / "x.png", np.zeros((4, 4, 3), np.uint8))
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_every_file_of_a_batch_honours_the_umask(tmp_path, umask):
    from prisma_abu.batch import Experiment, expand, run_batch
    from prisma_abu.data import sample_path

    umask(0o022)
    exp = Experiment(inputs={"source": [str(sample_path("chelsea"))]}, out=tmp_path,
                     params={"size": 32, "n3": 1, "layer": None})
    report = run_batch(expand(exp), tmp_path / "b")
    written = [p for p in (tmp_path / "b").rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"manifest.jsonl", "contact_sheet.png", "index.html"} and report.ok
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o644}
    assert not (tmp_path / "b" / ".batch.lock").exists()  # no lock file left once the batch ends
