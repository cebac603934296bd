"""The only place that reads or writes image files.

Reading gives an (M, N, 3) float32 RGB array in 0..255 whatever the file held
(grey, RGBA, CMYK, palette, 16-bit, EXIF-rotated). Writing is atomic and stores
the picture's parameters as JSON in its metadata (PNG text chunk, JPEG comment).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import InvalidImageError, InvalidParameterError

__all__ = [
    "read_image",
    "write_image",
    "read_metadata",
    "file_sha256",
    "check_output_path",
    "METADATA_KEY",
    "WRITABLE_SUFFIXES",
]

#: PNG text key (and JPEG comment prefix) that holds a picture's parameters.
METADATA_KEY = "prisma_abu"
WRITABLE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF",
                     ".tiff": "TIFF"}
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


def _load(path: Path) -> Image.Image:
    img = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            img.load()
    except BaseException:
        if img is not None:
            img.close()
        raise
    return img


def _open_checked(path: Path) -> Image.Image:
    if not path.exists():
        raise InvalidImageError(f"{path}: no such file; expected a picture file")
    if path.is_dir():
        raise InvalidImageError(f"{path}: is a folder; expected a picture file")
    try:
        return _load(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImageError(
            f"{path}: too many pixels ({exc}); expected at most {Image.MAX_IMAGE_PIXELS} pixels") from None
    except UnidentifiedImageError:
        raise InvalidImageError(f"{path}: not a picture Pillow can read; expected PNG, JPEG, ...") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(f"{path}: broken or truncated picture ({exc})") from None


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)
    if img.mode in _SIXTEEN_BIT:
        arr = np.asarray(img, dtype=np.float64)
        if arr.max(initial=0) > 255:
            arr = arr / 257.0
        grey = np.clip(arr, 0, 255).astype(np.float32)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if img.mode == "F":
        grey = np.clip(np.asarray(img, dtype=np.float32), 0, 255)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    return np.asarray(img.convert("RGB"), dtype=np.float32)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read any picture Pillow knows as RGB.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    image : (M, N, 3) ndarray of float32
        RGB in 0..255, EXIF orientation applied, transparency over white.

    Raises
    ------
    InvalidImageError
        Missing file, a folder, not a picture, truncated, or too many pixels.
    """
    path = Path(path)
    with _open_checked(path) as img:
        return _to_rgb_array(img)


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _format_for(path: Path) -> str:
    fmt = WRITABLE_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InvalidParameterError(
            f"{path}: cannot write a {path.suffix or 'suffix-less'} file; "
            f"expected one of {', '.join(sorted(WRITABLE_SUFFIXES))}")
    return fmt


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early (before any work) on an output path that cannot be written."""
    path = Path(path)
    _format_for(path)
    if path.is_dir():
        raise InvalidParameterError(f"{path}: is a folder; expected an output file name")
    return path


def _save_options(fmt: str, text: str) -> dict[str, Any]:
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_itxt(METADATA_KEY, text)
        return {"pnginfo": info}
    if fmt == "JPEG":
        return {"quality": 95, "comment": f"{METADATA_KEY}:{text}".encode()}
    if fmt == "WEBP":
        return {"quality": 95, "exif": _exif_with_comment(text)}
    return {"description": f"{METADATA_KEY}:{text}"}


def _exif_with_comment(text: str) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = f"{METADATA_KEY}:{text}"  # ImageDescription
    return exif.tobytes()


def write_image(path: str | os.PathLike, image: np.ndarray, *,
                metadata: Mapping[str, Any] | None = None) -> Path:
    """Write a picture atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or path-like
        ``.png`` (default choice), ``.jpg``/``.jpeg``, ``.webp`` or ``.tif``.
    image : (M, N, 3) ndarray
        RGB, uint8 or float in 0..255 (clipped, then truncated like the original).
    metadata : mapping, optional
        Stored as JSON under ``prisma_abu``; read back with :func:`read_metadata`.

    Returns
    -------
    path : Path
    """
    path = check_output_path(path)
    fmt = _format_for(path)
    arr = np.asarray(image)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InvalidImageError(f"expected an (M, N, 3) RGB array, got shape {arr.shape}")
    pixels = np.uint8(np.clip(arr, 0, 255)) if arr.dtype != np.uint8 else arr
    text = json.dumps(dict(metadata or {}), sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            Image.fromarray(pixels, "RGB").save(fh, fmt, **_save_options(fmt, text))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The parameters a picture written by prisma_abu carries.

    Raises
    ------
    InvalidImageError
        The file is not a picture, or carries no prisma_abu parameters.
    """
    path = Path(path)
    with _open_checked(path) as img:
        text = img.info.get(METADATA_KEY)
        if text is None:
            text = _prefixed(img.info.get("comment")) or _prefixed(img.getexif().get(0x010E)) \
                or _prefixed(img.info.get("description"))
        if text is None and hasattr(img, "tag_v2"):
            text = _prefixed(img.tag_v2.get(270))
    if text is None:
        raise InvalidImageError(f"{path}: carries no prisma_abu parameters; expected a picture prisma_abu wrote")
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise InvalidImageError(f"{path}: its prisma_abu parameters are not valid JSON") from None
    if not isinstance(meta, dict):
        raise InvalidImageError(f"{path}: its prisma_abu parameters are not a JSON object")
    return meta


def _prefixed(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str) and value.startswith(METADATA_KEY + ":"):
        return value[len(METADATA_KEY) + 1:]
    return None
