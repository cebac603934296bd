"""Model files are untrusted input: sizes checked before anything is allocated, torch files read as data only.

* :func:`model_file`: a model path must be a regular file (not a FIFO, a
  device or a folder) no larger than :data:`MODEL_FILE_LIMIT`.
* :func:`torch_load`: ``torch.load(weights_only=True)`` behind those checks;
  a zip whose entries declare more bytes than the file could hold is refused
  before torch reads it; a pickle that asks for Python objects is refused in
  one line (never torch's advice to load it with ``weights_only=False``);
  every tensor must fit its own storage (no zero-stride expansions).
* :func:`check_elements`: a declared shape against the values that are there
  and against :data:`MODEL_MEMORY_LIMIT`, before the array is built.
"""

from __future__ import annotations

import io
import math
import os
import pickle
import stat
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable

import torch

from prisma_abu.errors import InvalidParameterError, ModelError

__all__ = ["MODEL_FILE_LIMIT", "MODEL_MEMORY_LIMIT", "model_file", "torch_load", "check_elements",
           "check_tensor_storage", "first_line", "write_model_bytes"]

#: the largest model file read (bytes); VGG19's checkpoint, the largest prisma_abu knows, is 548 MB
MODEL_FILE_LIMIT = 2 << 30
#: the most bytes of weights one model file may make prisma_abu allocate
MODEL_MEMORY_LIMIT = 4 << 30


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of an exception's message (its type when empty), cut at ``limit`` characters."""
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:limit]


def model_file(path: str | os.PathLike[str], what: str, *, expected: str = "a file") -> Path:
    """``path`` if it is a regular file of at most :data:`MODEL_FILE_LIMIT` bytes.

    ``expected`` names the file in the not-found message (``"a .caffemodel file"``).

    Raises
    ------
    ModelError
        Missing, not a regular file (FIFO, device, folder), too large, or a
        path the system refuses (too long, a symlink loop, no permission).
    """
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ModelError(f"{what} not found: expected {expected} at {path}") from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else first_line(exc)
        raise ModelError(f"{what} {str(path)[:300]}: cannot be read ({reason}); expected a model file") from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelError(f"{what} {path}: is not a regular file (a folder, FIFO or device); expected a model file")
    if info.st_size > MODEL_FILE_LIMIT:
        raise ModelError(f"{what} {path}: {info.st_size} bytes; expected a model file of at most "
                         f"{MODEL_FILE_LIMIT} bytes")
    return path


def check_elements(shape: Iterable[int], available: int, where: str, *, itemsize: int = 4) -> int:
    """The element count of ``shape``, checked against the ``available`` values and the memory budget.

    Python integers throughout, so ``2**32 x 2**32`` cannot wrap around.

    Raises
    ------
    ModelError
        A negative dimension, more elements than ``available``, or more bytes
        than :data:`MODEL_MEMORY_LIMIT`.
    """
    dims = [int(d) for d in shape]
    count = math.prod(dims)
    if any(d < 0 for d in dims) or count != available or count * itemsize > MODEL_MEMORY_LIMIT:
        raise ModelError(f"{where}: a tensor of shape {'x'.join(map(str, dims)) or 'scalar'} declares {count} values, "
                         f"the file holds {available}; expected them equal and at most "
                         f"{MODEL_MEMORY_LIMIT // itemsize} values")
    return count


def check_tensor_storage(tensor: torch.Tensor, where: str) -> None:
    """A loaded tensor must not need more elements than its storage holds (a zero-stride expansion)."""
    needed = tensor.numel() * tensor.element_size()
    try:
        held = tensor.untyped_storage().nbytes()
    except (RuntimeError, NotImplementedError):
        return
    if needed > held:
        raise ModelError(f"{where}: a tensor of shape {'x'.join(map(str, tensor.shape))} spans {needed} bytes over a "
                         f"storage of {held}; expected every tensor to fill its own storage")


def _check_zip(source: Path | bytes, what: str) -> None:
    """A torch zip's entries may not declare more bytes than twice the file (torch writes them uncompressed)."""
    size = source.stat().st_size if isinstance(source, Path) else len(source)
    handle: Any = source if isinstance(source, Path) else io.BytesIO(source)
    try:
        if not zipfile.is_zipfile(handle):
            return
        with zipfile.ZipFile(handle) as archive:
            declared = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # torch says what is wrong with it
    if declared > 2 * size + (1 << 20) or declared > MODEL_MEMORY_LIMIT:
        raise ModelError(f"{what}: its entries declare {declared} bytes in a file of {size}; expected a torch "
                         f"file whose entries are about its own size")


def _walk_tensors(obj: Any, where: str) -> None:
    stack, seen = [obj], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > 1_000_000:
            raise ModelError(f"{where}: more than a million objects; expected a state dict")
        if isinstance(item, torch.Tensor):
            check_tensor_storage(item, where)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def torch_load(source: str | os.PathLike[str] | bytes, what: str) -> Any:
    """``torch.load(weights_only=True)`` of a file (or its bytes), refusing what is not plain data.

    Parameters
    ----------
    source : path-like or bytes
    what : str
        Names the file in messages (``"style model /x/y.pth"``).

    Raises
    ------
    ModelError
        See :func:`model_file`; a zip whose entries declare far more than the
        file; a pickle that needs Python objects (refused, one line); any
        other corrupt file; a tensor larger than its storage.
    """
    if isinstance(source, (bytes, bytearray)):
        data: Path | bytes = bytes(source)
        handle: str | BinaryIO = io.BytesIO(data)
    else:
        data = model_file(source, what)
        handle = str(data)
    _check_zip(data, what)
    try:
        obj = torch.load(handle, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # torch's message advises weights_only=False: never repeated
        reason = next((line.strip() for line in str(exc).splitlines() if "GLOBAL" in line or "Unsupported" in line),
                      "not a pickle torch reads")[:160]
        if "GLOBAL" in reason:
            raise ModelError(f"{what}: refused: it holds Python objects, not only tensors and numbers ({reason}); "
                             f"prisma-abu runs no code from a model file; expected a torch state dict") from None
        raise ModelError(f"{what}: corrupt or truncated, or not a torch file ({reason}); "
                         f"expected a torch state dict") from None
    except (MemoryError, RecursionError) as exc:
        raise ModelError(f"{what}: too large or too deeply nested to read ({type(exc).__name__}); "
                         f"expected a torch state dict") from None
    except Exception as exc:  # zip, pickle and torch errors alike
        reason = first_line(exc).split(". ")[0]
        if "weights_only" in reason:
            reason = type(exc).__name__
        raise ModelError(f"{what}: corrupt or truncated, or not a torch file ({reason}); "
                         f"expected a torch state dict") from None
    _walk_tensors(obj, what)
    return obj


def write_model_bytes(path: str | os.PathLike[str], data: bytes, what: str) -> None:
    """Write a network or checkpoint the user asked for, atomically; a full disk is one line, nothing half-written."""
    from prisma_abu.atomic import write_bytes_atomic

    try:
        write_bytes_atomic(path, data)
    except OSError as exc:
        raise InvalidParameterError(f"{path}: cannot write the {what} ({exc.strerror or exc}); expected a folder "
                                    f"with room for {len(data)} bytes") from None
