"""Where prisma_abu keeps its cache and where the user keeps model files (no torch: read before any network).

``$PRISMA_ABU_CACHE`` / ``$PRISMA_ABU_MODELS`` override the platform's folders
(``platformdirs.user_cache_dir`` and ``user_data_dir``/models).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "MODELS_ENV", "cache_dir", "models_dir"]

#: Environment variable overriding the cache folder.
CACHE_ENV = "PRISMA_ABU_CACHE"
#: Environment variable overriding the user's model folder.
MODELS_ENV = "PRISMA_ABU_MODELS"


def cache_dir(*, create: bool = False) -> Path:
    """The prisma_abu cache folder.

    ``$PRISMA_ABU_CACHE`` when set, else ``platformdirs.user_cache_dir("prisma_abu")``.

    Parameters
    ----------
    create : bool
        Create the folder (and its parents) when missing.

    Returns
    -------
    pathlib.Path
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("prisma_abu"))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir(*, create: bool = False) -> Path:
    """The folder where the user keeps model files (``bvlc_googlenet.caffemodel``...).

    ``$PRISMA_ABU_MODELS`` when set, else ``platformdirs.user_data_dir("prisma_abu")/models``.
    prisma_abu only reads it, unless ``create`` asks for the folder (and its parents).
    """
    override = os.environ.get(MODELS_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("prisma_abu")) / "models"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
