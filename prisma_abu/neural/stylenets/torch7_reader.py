"""A bounds-checked reader of Torch7's binary serialization (``torch.save``'s default format).

Lua values come back as Python ones: ``nil`` -> None, numbers -> int (when
integral) or float, strings -> str, booleans, tables -> dict (keys as read),
tensors and storages -> numpy arrays (copied), other Torch classes (``nn``
modules) -> :class:`TorchObject`.  Every size read from the file is checked
against the bytes left or the storage it indexes, so a truncated or corrupt
file is a :class:`~prisma_abu.errors.ModelError`, never a read outside the
buffer.  Little-endian, 8-byte longs (Torch7 on 64-bit Linux and macOS).
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prisma_abu.errors import ModelError

__all__ = ["TorchObject", "read_t7", "TABLE", "TORCH"]

_NIL, _NUMBER, _STRING, _TABLE, _TORCH, _BOOLEAN = 0, 1, 2, 3, 4, 5
_FUNCTIONS = (6, 7, 8)
_DTYPES = {"Float": np.float32, "Cuda": np.float32, "Double": np.float64, "Byte": np.uint8,
           "Char": np.int8, "Short": np.int16, "Int": np.int32, "Long": np.int64}
_MAX_DEPTH = 100
#: Lua type codes of a table and of a Torch object (what a .t7 file starts with).
TABLE, TORCH = _TABLE, _TORCH


@dataclass(eq=False)
class TorchObject:
    """A Torch7 class instance other than a tensor: its class name and fields."""

    cls: str
    fields: dict = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default) if isinstance(self.fields, dict) else default


class _Corrupt(Exception):
    """Internal: the bytes are not a well-formed Torch7 file."""


class _Reader:
    """Torch7 binary format (``torch.save`` default): little-endian, 8-byte longs."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos, self.memo, self.depth = memoryview(data), 0, {}, 0
        # tensors are copied out of their storages: together no more bytes than the file's own, twice over
        self.budget = 2 * len(data) + (1 << 20)

    def _take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise _Corrupt(f"truncated at byte {self.pos} (needs {n} more, {len(self.data) - self.pos} left)")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def int(self) -> int:
        return struct.unpack("<i", self._take(4))[0]

    def long(self) -> int:
        return struct.unpack("<q", self._take(8))[0]

    def string(self) -> str:
        return bytes(self._take(self.int())).decode("latin-1")

    def obj(self) -> Any:
        kind = self.int()
        if kind == _NIL:
            return None
        if kind == _NUMBER:
            value = struct.unpack("<d", self._take(8))[0]
            return int(value) if value.is_integer() and abs(value) < 2**53 else value
        if kind == _BOOLEAN:
            return self.int() != 0
        if kind == _STRING:
            return self.string()
        if kind in _FUNCTIONS:
            raise _Corrupt("holds a Lua function, which no style network needs")
        if kind not in (_TABLE, _TORCH):
            raise _Corrupt(f"unknown object type {kind} at byte {self.pos - 4}")
        index = self.int()
        if index in self.memo:
            return self.memo[index]
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _Corrupt(f"objects nested more than {_MAX_DEPTH} deep")
        try:
            return self._table(index) if kind == _TABLE else self._torch(index)
        finally:
            self.depth -= 1

    def _table(self, index: int) -> dict:
        table: dict = {}
        self.memo[index] = table
        size = self.int()
        if size < 0 or size * 8 > len(self.data) - self.pos:
            raise _Corrupt(f"table of {size} entries cannot fit in the {len(self.data) - self.pos} bytes left")
        for _ in range(size):
            key = self.obj()
            if isinstance(key, (dict, TorchObject, np.ndarray)):
                key = id(key)  # Lua tables may key tables; no network field does
            table[key] = self.obj()
        return table

    def _torch(self, index: int) -> Any:
        version = self.string()
        cls = self.string() if version.startswith("V ") else version
        if cls.startswith("torch.") and cls.endswith("Storage"):
            value: Any = self._storage(cls)
        elif cls.startswith("torch.") and cls.endswith("Tensor"):
            value = self._tensor(cls)
        else:
            value = TorchObject(cls)
            self.memo[index] = value
            fields = self.obj()
            value.fields = fields if isinstance(fields, dict) else {"_value": fields}
            return value
        self.memo[index] = value
        return value

    @staticmethod
    def _dtype(cls: str, suffix: str) -> np.dtype:
        name = cls[len("torch."):-len(suffix)]
        name = name[len("Cuda"):] if name.startswith("Cuda") and name != "Cuda" else name
        if name not in _DTYPES:
            raise _Corrupt(f"unsupported tensor type {cls}")
        return np.dtype(_DTYPES[name]).newbyteorder("<")

    def _storage(self, cls: str) -> np.ndarray:
        dtype = self._dtype(cls, "Storage")
        size = self.long()
        if size < 0:
            raise _Corrupt(f"negative storage size {size}")
        return np.frombuffer(self._take(size * dtype.itemsize), dtype=dtype).copy()

    def _tensor(self, cls: str) -> np.ndarray:
        dtype = self._dtype(cls, "Tensor")
        ndim = self.int()
        if not 0 <= ndim <= 8:
            raise _Corrupt(f"tensor of {ndim} dimensions")
        sizes = [self.long() for _ in range(ndim)]
        strides = [self.long() for _ in range(ndim)]
        offset = self.long() - 1
        storage = self.obj()
        if ndim == 0 or storage is None:
            return np.empty((0,), dtype=dtype)
        if not isinstance(storage, np.ndarray) or storage.dtype != dtype:
            raise _Corrupt(f"{cls} without a matching storage")
        if any(s < 0 for s in sizes) or any(s < 0 for s in strides) or offset < 0:
            raise _Corrupt(f"{cls} with sizes {sizes}, strides {strides}, offset {offset + 1}")
        if 0 in sizes:
            return np.empty(sizes, dtype=dtype)
        count = math.prod(sizes)
        if count > storage.size - offset:
            raise _Corrupt(f"{cls} of size {sizes} declares {count} elements over a storage of {storage.size} "
                           f"(from element {offset + 1}); expected a tensor that fills its own storage")
        self.budget -= count * dtype.itemsize
        if self.budget < 0:
            raise _Corrupt(f"its tensors need more memory than twice the file's {len(self.data)} bytes")
        last = offset + sum((n - 1) * s for n, s in zip(sizes, strides))
        if last >= storage.size:
            raise _Corrupt(f"{cls} of size {sizes} needs {last + 1} elements, its storage has {storage.size}")
        view = np.lib.stride_tricks.as_strided(storage[offset:], shape=sizes,
                                               strides=[s * dtype.itemsize for s in strides], writeable=False)
        return np.array(view)


def read_t7(path: str | os.PathLike[str]) -> Any:
    """Parse a Torch7 binary file.

    Returns
    -------
    object
        ``None``, numbers, ``str``, ``bool``, ``dict`` (Lua tables; keys as
        read), :class:`numpy.ndarray` (tensors, storages) and
        :class:`TorchObject` (``nn`` modules and other classes).

    Raises
    ------
    ModelError
        Missing, truncated or corrupt file.
    """
    from prisma_abu.neural.modelfiles import model_file

    path = model_file(path, "Torch7 model")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read Torch7 model {path}: {exc.strerror or exc}") from None
    try:
        return _Reader(data).obj()
    except (_Corrupt, UnicodeDecodeError, ValueError, OverflowError, MemoryError) as exc:
        raise ModelError(f"Torch7 model {path} is corrupt or truncated: {exc}; "
                         f"expected a Torch7 binary file (torch.save)") from None
