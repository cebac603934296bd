"""What the window says when something goes wrong."""

from __future__ import annotations

from prisma_abu.errors import PrismaAbuError

__all__ = ["error_text"]


def error_text(exc: BaseException) -> str:
    """One line for the window: the library's own message, the type for anything unexpected."""
    if isinstance(exc, PrismaAbuError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
