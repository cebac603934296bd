"""prisma_abu: photos into paintings, the way abu's Prisma did.

The verbs take a path, a bundled picture's name (``"chelsea"``), a PIL image
or an (M, N, 3) array and return a :class:`~prisma_abu.paintings.Painting`: an
(M, N, 3) uint8 array that a notebook shows as a picture, whose repr is one
line (command, size, knobs) and whose ``save("out.png")`` writes the
parameters ``prisma-abu replay`` renders again (``mix`` returns a result with
``.image``, a Painting, and the ``.mask`` it used; it shows and saves alike).
Knobs are keyword arguments (an editor completes them: ``__init__.pyi``) or a
frozen parameter object (:mod:`prisma_abu.params`: ``MixParams``,
``DreamParams``, ``StyleParams``, ``StylizeParams``), checked at the door: a
bad value is one :class:`~prisma_abu.errors.PrismaAbuError` naming what was
expected.

Verbs
-----
mix(photo, guide, **knobs)
    abu's Prisma: the photo painted in the guide's manner, the subject kept.
dream(picture, **knobs)
    DeepDream: octaves, jitter, L2 or guided objectives, any layer.
style(content, styles, **knobs)
    Gatys style transfer with neural-style's options.
stylize(photo, model="multistyle26:7", **knobs)
    A feed-forward style network: built-in, ``arbitrary`` with a painting, or a file you own.

The book's names
----------------
PrismaWorker, PrismaMaster
    The chapter's classes (``do_otsu``, ``mix_mask_with_convd``, ``product_prisma``...).

Everything is imported lazily: ``import prisma_abu`` loads no network and
imports no torch. Pictures on disk, with their parameters for ``prisma-abu
replay``: :func:`prisma_abu.jobs.run_job`; the bundled photos and guides:
:mod:`prisma_abu.data`.

Examples
--------
>>> import prisma_abu
>>> painting = prisma_abu.mix("chelsea", "swirl", size=160)  # doctest: +SKIP
>>> painting.image.shape  # doctest: +SKIP
(107, 160, 3)
>>> painting.save("chelsea_swirl.png")  # doctest: +SKIP
PosixPath('chelsea_swirl.png')
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"
__all__ = ["dream", "mix", "style", "stylize", "PrismaWorker", "PrismaWorkerClass", "PrismaMaster", "__version__"]

_LAZY = {
    "dream": ("prisma_abu.api", "dream"),
    "mix": ("prisma_abu.api", "mix"),
    "style": ("prisma_abu.api", "style"),
    "stylize": ("prisma_abu.api", "stylize"),
    "PrismaWorker": ("prisma_abu.worker", "PrismaWorker"),
    "PrismaWorkerClass": ("prisma_abu.worker", "PrismaWorker"),
    "PrismaMaster": ("prisma_abu.master", "PrismaMaster"),
}


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'prisma_abu' has no attribute {name!r}")
