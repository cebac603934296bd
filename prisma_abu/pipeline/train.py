"""Training a feed-forward style network on photos: arrays and :class:`TrainStyleParams` in, a network out.

The network is a first-class model everywhere once saved (:func:`save_style_model`):
``prisma-abu stylize --model my_style.pth``, batches, the viewer.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import InvalidParameterError
from ..params import TrainStyleParams
from ..images import check_rgb

__all__ = ["train_style", "save_style_model"]

#: ``callback(step, {"content": ..., "style": ..., "tv": ..., "total": ...})`` after every step
Callback = Callable[[int, dict], None]


def train_style(style: np.ndarray, photos: Sequence[np.ndarray], params: TrainStyleParams = TrainStyleParams(), *,
                callback: Callback | None = None, checkpoint: str | os.PathLike | None = None,
                resume: str | os.PathLike | None = None, name: str = "my_style") -> Any:
    """Johnson's perceptual-loss training of a TransformerNet on ``photos`` in the style of ``style``.

    Parameters
    ----------
    style : (M, N, 3) ndarray
        The style picture, RGB 0..255.
    photos : sequence of (P, Q, 3) ndarrays
        What the network learns to paint (random crops and flips of them).
    params : TrainStyleParams
    callback : callable, optional
        After every step: ``callback(step, losses)``.
    checkpoint : path-like, optional
        Written every ``params.checkpoint_every`` steps and at the end.
    resume : path-like, optional
        A checkpoint of the same run to continue, bit for bit.

    Returns
    -------
    The trained network (a style network: :func:`save_style_model` writes it).
    """
    from ..neural.device import torch_device
    from ..neural.stylenets.train import train_style as train

    if not photos:
        raise InvalidParameterError("photos: expected at least one photo to train on, got none")
    pictures = [_checked(p, f"photo {i}") for i, p in enumerate(photos)]
    return train(_checked(style, "style"), pictures, params, device=torch_device(params.device), callback=callback,
                 checkpoint=checkpoint, resume=resume, name=name)


def _checked(picture: np.ndarray, name: str) -> np.ndarray:
    """An RGB array that passes the reader's bomb guard (a 1x100000 strip: one line, not torch's error)."""
    from ..io import check_picture_size

    array = check_rgb(picture, name)
    check_picture_size(name, array.shape[1], array.shape[0])
    return array


def save_style_model(path: str | os.PathLike, net: Any, params: TrainStyleParams) -> str:
    """Write the trained network with its training parameters (atomically); returns the file's sha256."""
    from ..neural.stylenets.transformer_net import save_model

    return save_model(path, net, params)
