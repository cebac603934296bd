"""Parameters to and from files, and the names a picture may be saved under (no Qt here)."""

from __future__ import annotations

import os
from pathlib import Path

from prisma_abu.errors import InvalidParameterError
from prisma_abu.io import WRITABLE_SUFFIXES
from prisma_abu.params import MixParams

__all__ = ["params_from_file", "params_to_file", "check_picture_path"]


def params_from_file(path: str | os.PathLike) -> MixParams:
    """Mix parameters from a ``.toml`` / ``.json`` file, or from a picture prisma-abu wrote."""
    path = Path(path)
    if path.suffix.lower() in WRITABLE_SUFFIXES:
        from prisma_abu.io import read_metadata

        data = read_metadata(path).get("params")
        if not isinstance(data, dict):
            raise InvalidParameterError(f"{path}: the picture carries no parameters; expected one prisma-abu wrote")
        return MixParams.from_dict(data)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidParameterError(f"{path}: cannot read parameters ({exc}); expected a .toml or .json file") \
            from None
    if path.suffix.lower() == ".toml":
        return MixParams.from_toml(text)
    return MixParams.from_json(text)


def params_to_file(params: MixParams, path: str | os.PathLike) -> Path:
    """Write ``params`` as TOML (``.toml``) or JSON (anything else)."""
    path = Path(path)
    text = params.to_toml() if path.suffix.lower() == ".toml" else params.to_json() + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidParameterError(f"{path}: cannot write parameters ({exc})") from None
    return path


def check_picture_path(path: str | os.PathLike) -> None:
    suffix = Path(path).suffix.lower()
    if suffix not in WRITABLE_SUFFIXES:
        raise InvalidParameterError(
            f"{path}: expected a picture file name ending in {', '.join(sorted(WRITABLE_SUFFIXES))}, "
            f"got {suffix or 'no suffix'!r}")
    if Path(path).is_dir():
        raise InvalidParameterError(f"{path}: is a folder; expected a picture file name")
