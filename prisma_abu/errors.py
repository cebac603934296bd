"""The exceptions prisma_abu raises on purpose.

Every error a user can cause derives from :class:`PrismaAbuError`; the command
line maps it to one line on stderr and exit code 2.
"""

from __future__ import annotations

__all__ = [
    "PrismaAbuError",
    "InvalidImageError",
    "InvalidParameterError",
    "ModelError",
]


class PrismaAbuError(Exception):
    """Base class of every error prisma_abu raises on purpose."""


class InvalidImageError(PrismaAbuError, ValueError):
    """A file or array is not a picture prisma_abu can use."""


class InvalidParameterError(PrismaAbuError, ValueError):
    """A parameter is out of range, of the wrong kind or unknown."""


class ModelError(PrismaAbuError, RuntimeError):
    """A network or its weights cannot be had (missing, corrupt, wrong file)."""
