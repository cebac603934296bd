"""Parameters to and from files, and the names a picture may be saved under (no Qt here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from prisma_abu.errors import InvalidParameterError
from prisma_abu.io import WRITABLE_SUFFIXES
from prisma_abu.params import MixParams, Params, load_text, param_kinds

__all__ = ["params_from_file", "params_to_file", "check_picture_path"]


def params_from_file(path: str | os.PathLike, *, kinds: Sequence[str] = (),
                     default: type[Params] = MixParams) -> Params:
    """Parameters from a ``.toml`` / ``.json`` file, or from a picture prisma-abu wrote.

    The file's ``kind`` picks the class when it is one of ``kinds``; a file naming no kind holds
    ``default``'s (mix parameters unless told), and so must a file of any other kind.
    """
    path = Path(path)
    if path.suffix.lower() in WRITABLE_SUFFIXES:
        from prisma_abu.io import read_metadata

        data = read_metadata(path).get("params")
        if not isinstance(data, dict):
            raise InvalidParameterError(f"{path}: the picture carries no parameters; expected one prisma-abu wrote")
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidParameterError(f"{path}: cannot read parameters ({exc}); expected a .toml or .json file") \
                from None
        data = load_text(text, "toml" if path.suffix.lower() == ".toml" else "json")
    kind = data.get("kind", default.kind)
    cls = param_kinds().get(kind) if kind in kinds else default
    return (cls or default).from_dict(data)


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
