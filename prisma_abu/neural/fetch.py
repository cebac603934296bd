"""The one explicit download: ``prisma-abu fetch-weights NAME``.

The only code of prisma_abu that touches the network, and only on the user's
command: torchvision's googlenet and vgg19 weights go into the torch hub cache
(hash-checked). The embedded backbones need nothing; ``vgg16`` is converted from
its installed ONNX file and ``bvlc_googlenet`` from the user's ``.caffemodel``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.weights import (efficientnet_lite0_file, torchvision_weights_file, torchvision_weights_url,
                                       vgg16_converted_file, vgg16_state_dict)

__all__ = ["fetch_weights"]


def fetch_weights(name: str) -> Path:
    """Make a backbone's weights available, downloading them if need be.

    The only function of prisma_abu that uses the network, for an explicit
    user command (``prisma-abu fetch-weights NAME``).  ``googlenet`` and
    ``vgg19`` are downloaded through torch hub into its cache (hash-checked);
    ``vgg16`` is converted from the installed ONNX file, ``bvlc_googlenet``
    from the user's ``.caffemodel``; ``efficientnet_lite0`` ships with its package.

    Parameters
    ----------
    name : str
        A backbone name.

    Returns
    -------
    pathlib.Path
        The weights file.

    Raises
    ------
    InvalidParameterError
        Unknown backbone.
    ModelError
        Download or conversion failed.
    """
    from prisma_abu.neural.backbones import backbone_names

    if name not in backbone_names():
        raise InvalidParameterError(
            f"unknown backbone {name!r}; expected one of: {', '.join(backbone_names())}"
        )
    if name == "efficientnet_lite0":
        return efficientnet_lite0_file()
    if name == "vgg16":
        vgg16_state_dict()
        return vgg16_converted_file()
    if name == "bvlc_googlenet":  # never downloaded: converts the user's .caffemodel
        from prisma_abu.neural import bvlc_googlenet

        return bvlc_googlenet.convert_default_file()
    return _download_torchvision(name)


def _download_torchvision(name: str) -> Path:
    url = torchvision_weights_url(name)
    target = torchvision_weights_file(name)
    if target.is_file():
        return target
    match = torch.hub.HASH_REGEX.search(target.name)
    prefix = match.group(1) if match else None
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(target), hash_prefix=prefix, progress=True)
    except Exception as exc:  # URLError, hash mismatch RuntimeError...
        raise ModelError(f"cannot download {name} weights from {url}: {exc}") from exc
    return target
