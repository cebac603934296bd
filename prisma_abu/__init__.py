"""prisma_abu: photos into paintings, the way abu's Prisma did.

The verbs ``dream``, ``mix`` and ``style`` take a path, a PIL image or an
array and return arrays (:mod:`prisma_abu.api`); ``PrismaWorker`` and
``PrismaMaster`` are the book's names. All are imported lazily, so ``import
prisma_abu`` loads no network and imports no torch.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"
__all__ = ["dream", "mix", "style", "PrismaWorker", "PrismaWorkerClass", "PrismaMaster", "__version__"]

_LAZY = {
    "dream": ("prisma_abu.api", "dream"),
    "mix": ("prisma_abu.api", "mix"),
    "style": ("prisma_abu.api", "style"),
    "PrismaWorker": ("prisma_abu.worker", "PrismaWorker"),
    "PrismaWorkerClass": ("prisma_abu.worker", "PrismaWorker"),
    "PrismaMaster": ("prisma_abu.master", "PrismaMaster"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'prisma_abu' has no attribute {name!r}")
