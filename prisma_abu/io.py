"""The only place that reads or writes image files.

Reading gives an (M, N, 3) float32 RGB array in 0..255 whatever the file held
(grey, RGBA, CMYK, palette, 16-bit, EXIF-rotated). Writing is atomic (through
:mod:`prisma_abu.atomic`, the one atomic writer) and stores
the picture's parameters as JSON in its metadata (PNG text chunk, JPEG comment).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import (atomic_output, readable_as_umask_allows, remove_stale_parts,  # noqa: F401 (io's names)
                     write_bytes_atomic, write_bytes_new_name)
from .errors import InvalidImageError, InvalidParameterError

__all__ = [
    "read_image",
    "check_input_file", "check_picture_size",
    "read_stream",
    "write_stream",
    "write_bytes_new_name",
    "write_image",
    "read_metadata",
    "file_sha256",
    "check_output_path",
    "encode_image",
    "check_output_folder",
    "write_bytes_atomic",
    "atomic_output",
    "remove_stale_parts",
    "readable_as_umask_allows",
    "METADATA_KEY",
    "WRITABLE_SUFFIXES",
]

#: PNG text key (and JPEG comment prefix) that holds a picture's parameters.
METADATA_KEY = "prisma_abu"
WRITABLE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF",
                     ".tiff": "TIFF"}
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")


#: Largest picture file read (bytes), and the largest side (pixels) a picture may declare.
MAX_INPUT_BYTES = 1 << 28
MAX_SIDE = 65500
#: A picture's longer side may be at most this many times its shorter side: a strip (1x100000) would shrink to
#: a side of zero pixels in the pipelines' working sizes, so the reader refuses it with one line.
MAX_ASPECT = 1000


def check_input_file(path: str | os.PathLike, what: str = "picture file") -> Path:
    """Refuse, before any read, what is not a regular file of at most MAX_INPUT_BYTES.

    A FIFO, device (``/dev/zero``), socket or folder never blocks and is never read; a missing file,
    a name over 255 bytes, a symlink loop or a permission error is one :class:`InvalidImageError` line.
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InvalidImageError(f"{path}: no such file; expected a {what}") from None
    except OSError as exc:
        raise InvalidImageError(f"{path}: cannot be opened ({exc.strerror or exc}); expected a {what}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InvalidImageError(f"{path}: is a folder; expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InvalidImageError(f"{path}: not a regular file (a pipe, device or socket); expected a {what}")
    if info.st_size > MAX_INPUT_BYTES:
        raise InvalidImageError(f"{path}: {info.st_size} bytes; expected a {what} of at most {MAX_INPUT_BYTES} bytes")
    if not os.access(path, os.R_OK):
        raise InvalidImageError(f"{path}: permission denied; expected a readable {what}")
    return path


def check_picture_size(where: Any, width: int, height: int) -> None:
    """The bomb guard on a file's header, an array or a video frame: sides, pixels, a strip (``where``: a name)."""
    if max(width, height) > MAX_SIDE or width * height > (Image.MAX_IMAGE_PIXELS or width * height):
        raise InvalidImageError(f"{where}: {width}x{height} pixels; expected each side at most {MAX_SIDE} "
                                f"and at most {Image.MAX_IMAGE_PIXELS} pixels")
    if max(width, height) > MAX_ASPECT * max(min(width, height), 1) or min(width, height) < 1:
        raise InvalidImageError(f"{where}: {width}x{height} pixels, a strip; expected the longer side at most "
                                f"{MAX_ASPECT} times the shorter")


def _load(path: Path) -> Image.Image:
    img = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            check_picture_size(path, *img.size)
            img.load()
    except BaseException:
        if img is not None:
            img.close()
        raise
    return img


def _open_checked(path: Path) -> Image.Image:
    check_input_file(path)
    try:
        return _load(path)
    except InvalidImageError:
        raise
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
        if img.mode.startswith("I;16") or arr.max(initial=0) > 255:  # 16-bit: full scale is 65535, whatever it holds
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


def read_stream(stream: Any, what: str = "standard input") -> bytes:
    """Read a picture's bytes from a binary stream, refusing more than MAX_INPUT_BYTES."""
    if stream is None:
        raise InvalidImageError(f"{what}: closed; expected a picture's bytes")
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidImageError(f"{what}: more than {MAX_INPUT_BYTES} bytes; expected a picture of at most that")
    return data


def write_stream(stream: Any, data: bytes, what: str = "standard output") -> None:
    """Write a picture's bytes to a binary stream; a closed one (``>&-``) is one error line, not a traceback."""
    if stream is None:
        raise InvalidParameterError(f"{what}: closed; expected somewhere to write the picture (or -o FILE)")
    stream.write(data)
    stream.flush()


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(check_input_file(path, "file"), "rb") as fh:
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


#: the longest file name most file systems take (bytes)
NAME_MAX = 255


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early (before any work) on an output path that cannot be written.

    Checks the suffix, that the path is not a folder, that its name fits the
    file system, and that its folder exists and is writable or can be created
    (no file in the way, no read-only parent).

    Raises
    ------
    InvalidParameterError
        One line saying what is wrong with the path.
    """
    path = Path(path)
    _format_for(path)
    if len(os.fsencode(path.name)) > NAME_MAX:
        raise InvalidParameterError(f"{path.name[:40]}...: the name is longer than {NAME_MAX} bytes; "
                                    f"expected a shorter output name")
    try:
        is_dir = path.is_dir()
    except OSError as exc:
        raise InvalidParameterError(f"{str(path)[:80]}: cannot be used ({exc.strerror}); expected an output file "
                                    f"name") from None
    if is_dir:
        raise InvalidParameterError(f"{path}: is a folder; expected an output file name")
    _check_folder(path.parent)
    return path


def check_output_folder(folder: str | os.PathLike) -> Path:
    """Fail early on an output folder that is a file, lies below a file, or cannot be created or written."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(f"{folder}: is a file; expected an output folder")
    _check_folder(folder)
    return folder


def _check_folder(folder: Path) -> None:
    """The folder exists and is writable, or its nearest existing ancestor is a writable folder."""
    probe = folder if str(folder) else Path(".")
    while not probe.exists():
        if probe.is_symlink() or probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise InvalidParameterError(f"{folder}: {probe} is a file, not a folder; expected a folder to write in")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise InvalidParameterError(f"{folder}: cannot write in {probe} (permission denied); "
                                    f"expected a writable folder")


#: a JPEG comment segment holds at most 65533 bytes; longer metadata is stored compressed
_JPEG_COMMENT_MAX = 65_000
_PACKED = "zlib+base64:"


def _pack(text: str, limit: int | None) -> str:
    """``text``, or when it is longer than ``limit`` bytes, its zlib+base64 form (:func:`_unpack` reads both)."""
    if limit is None or len(text.encode()) + len(METADATA_KEY) + 1 <= limit:
        return text
    import base64
    import zlib

    packed = _PACKED + base64.b64encode(zlib.compress(text.encode(), 9)).decode("ascii")
    if len(packed) + len(METADATA_KEY) + 1 > limit:
        raise InvalidParameterError(f"the picture's parameters ({len(text)} bytes) do not fit a JPEG comment even "
                                    f"compressed; expected a .png output for them")
    return packed


def _unpack(text: str) -> str:
    if not text.startswith(_PACKED):
        return text
    import base64
    import binascii
    import zlib

    try:
        inflate = zlib.decompressobj()
        text = inflate.decompress(base64.b64decode(text[len(_PACKED):], validate=True), 16 << 20).decode()
        return "\x00" if inflate.unconsumed_tail else text  # a zlib bomb: more than 16 MiB of parameters
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        return "\x00"  # not JSON: read_metadata says the parameters are invalid


def _save_options(fmt: str, text: str) -> dict[str, Any]:
    if fmt == "PNG":
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        info.add_itxt(METADATA_KEY, text)
        return {"pnginfo": info}
    if fmt == "JPEG":
        return {"quality": 95, "comment": f"{METADATA_KEY}:{_pack(text, _JPEG_COMMENT_MAX)}".encode()}
    if fmt == "WEBP":
        return {"quality": 95, "exif": _exif_with_comment(_pack(text, _JPEG_COMMENT_MAX))}
    return {"description": f"{METADATA_KEY}:{text}"}


def _exif_with_comment(text: str) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = f"{METADATA_KEY}:{text}"  # ImageDescription
    return exif.tobytes()


def encode_image(image: np.ndarray, fmt: str = "PNG", *, metadata: Mapping[str, Any] | None = None) -> bytes:
    """A picture's file bytes (``PNG``, ``JPEG``, ``WEBP``, ``TIFF``) with its metadata, as :func:`write_image` writes."""
    import io as _io

    pixels = _pixels(image)
    buffer = _io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, fmt, **_save_options(fmt, _metadata_text(metadata)))
    return buffer.getvalue()


def _pixels(image: np.ndarray) -> np.ndarray:
    from .images import as_uint8, check_rgb

    return as_uint8(check_rgb(image, "picture"))


def _metadata_text(metadata: Mapping[str, Any] | None) -> str:
    try:
        return json.dumps(dict(metadata or {}), sort_keys=True, allow_nan=False)
    except ValueError:
        raise InvalidParameterError("the picture's parameters hold a number that is not finite") from None


def write_image(path: str | os.PathLike, image: np.ndarray, *,
                metadata: Mapping[str, Any] | None = None) -> Path:
    """Write a picture atomically (temporary file, then rename), readable as the umask allows.

    Parameters
    ----------
    path : str or path-like
        ``.png`` (default choice), ``.jpg``/``.jpeg``, ``.webp`` or ``.tif``.
    image : (M, N, 3) ndarray
        RGB, uint8 or float in 0..255 (clipped, then truncated like the original).
    metadata : mapping, optional
        Stored as JSON under ``prisma_abu``; read back with :func:`read_metadata`.
        Too long for a JPEG/WebP comment, it is stored compressed.

    Returns the path written.
    """
    path = check_output_path(path)
    data = encode_image(image, _format_for(path), metadata=metadata)
    return write_bytes_atomic(path, data)


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
        meta = json.loads(_unpack(text))
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
