"""BVLC GoogLeNet: the Caffe network the original Prisma dreamed on, rebuilt in torch.

abu's ``CaffePrismaClass`` loaded Caffe's ``bvlc_googlenet`` (``deploy.prototxt``
and ``bvlc_googlenet.caffemodel``) with ``caffe.Classifier(..., mean=(104, 117,
123), channel_swap=(2, 1, 0))``. :mod:`prisma_abu.neural.bvlc_network` rebuilds that network layer for
layer; this module finds its weights, the backbone's face (names, status, build). They are read from
the ``.caffemodel`` by :mod:`prisma_abu.neural.caffemodel`, converted once into
the cache folder (sha256-checked, converted again when the file changes).

Preprocessing as the original's: RGB ``0..255`` to BGR, minus the mean pixel
:data:`prisma_abu.neural.preprocess.BVLC_MEAN_BGR`.

Layer names are Caffe's blob names, as :mod:`prisma_abu.neural.bvlc_network` describes them.

Channel widths are read from the file, so a fine-tuned copy of the topology
(another classifier, other widths) loads as well as BVLC's own; the kernel
sizes and the channel chain must fit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from prisma_abu.errors import InvalidParameterError, ModelError
from prisma_abu.neural.bvlc_network import (BRANCHES, CLASSIFIER, CONVOLUTIONS, DEFAULT_LAYER,  # noqa: F401
                                            INCEPTIONS, LAYERS, LRN, NAME, PRISMA_LAYER, BVLCGoogLeNet,
                                            CaffeGoogLeNet, CaffeLRN)
from prisma_abu.neural.modelfiles import model_file, torch_load

__all__ = [
    "BVLCGoogLeNet",
    "CaffeGoogLeNet",
    "CaffeLRN",
    "INCEPTIONS",
    "PRISMA_LAYER",
    "layer_names",
    "describe",
    "status",
    "build",
    "bvlc_googlenet_available",
    "default_weights_file",
    "converted_file",
    "convert_caffemodel",
    "caffemodel_state_dict",
    "convert_default_file",
]

#: Caffe's file name; looked for in the user's model folder.
CAFFEMODEL = "bvlc_googlenet.caffemodel"
_CONVERTED = "bvlc_googlenet-caffe.pth"


def layer_names(name: str = NAME) -> tuple[str, ...]:
    """Caffe's blob names of BVLC GoogLeNet, in network order (82 of them)."""
    return LAYERS


def describe(name: str = NAME) -> str:
    """One line about the backbone."""
    return (
        "BVLC GoogLeNet from Caffe (LRN, ceil-mode pooling, BGR minus mean): the original Prisma's "
        f"network, read from your {CAFFEMODEL}"
    )


# -- weights ---------------------------------------------------------------------------


def _candidates() -> tuple[Path, ...]:
    from prisma_abu.neural.weights import models_dir

    folder = models_dir()
    return folder / CAFFEMODEL, folder / NAME / CAFFEMODEL


def default_weights_file() -> Path | None:
    """``bvlc_googlenet.caffemodel`` in the user's model folder (or its ``bvlc_googlenet/``), if there."""
    return next((path for path in _candidates() if path.is_file()), None)


def bvlc_googlenet_available() -> bool:
    """Whether the user's model folder holds ``bvlc_googlenet.caffemodel`` (reads nothing)."""
    return default_weights_file() is not None


def _missing_message() -> str:
    return (
        f"{NAME} weights not found: expected {CAFFEMODEL} (Caffe's BVLC GoogLeNet) in "
        f"{_candidates()[0].parent}; put the file there or pass --weights FILE"
    )


def status(name: str = NAME) -> dict[str, Any]:
    """``weights_present`` and ``source`` for ``prisma-abu doctor``; loads nothing."""
    path = default_weights_file()
    if path is None:
        return {"weights_present": False, "source": _missing_message()}
    return {"weights_present": True, "source": f"{path} (converted into {converted_file()} on first use)"}


def converted_file() -> Path:
    """Where the converted state dict lives in the cache (it may not exist yet)."""
    from prisma_abu.neural.weights import cache_dir

    return cache_dir() / _CONVERTED


def convert_caffemodel(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Read BVLC GoogLeNet's weights from a ``.caffemodel``.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    dict of str to torch.Tensor
        ``"conv1/7x7_s2.weight"`` (O x I x kh x kw, input channels BGR), ``".bias"``
        (O,), ... for the 57 :data:`CONVOLUTIONS`, and ``"loss3/classifier.weight"``
        (classes x 1024) and ``.bias`` when the file has the classifier. Other layers
        (the training-time ``loss1``/``loss2`` heads) are ignored.

    Raises
    ------
    ModelError
        Not a Caffe model, or a Caffe model of another network.
    """
    from prisma_abu.neural.caffemodel import read_caffemodel

    what = f"{NAME} weights"
    layers = read_caffemodel(path, what=what)
    missing = [name for name in CONVOLUTIONS if name not in layers]
    if missing:
        found = list(layers)
        raise ModelError(
            f"{what} {path}: not a BVLC GoogLeNet .caffemodel; expected its {len(CONVOLUTIONS)} "
            f"convolutions, missing {_few(missing)}; got layers {_few(found)}"
        )
    state: dict[str, torch.Tensor] = {}
    for name in (*CONVOLUTIONS, CLASSIFIER):
        blobs = layers.get(name)
        if blobs is None:
            continue  # only the classifier may be absent
        rank = 4 if name != CLASSIFIER else None
        if len(blobs) != 2 or (rank is not None and blobs[0].ndim != rank):
            shapes = ", ".join("x".join(map(str, blob.shape)) for blob in blobs)
            raise ModelError(
                f"{what} {path}: layer {name!r} expected a {'4-D ' if rank else ''}weight and a bias, "
                f"got blobs of shapes {shapes}"
            )
        bias = torch.from_numpy(blobs[1].reshape(-1))
        weight = torch.from_numpy(blobs[0] if rank else blobs[0].reshape(bias.numel(), -1))
        state[f"{name}.weight"], state[f"{name}.bias"] = weight, bias
    return state


def caffemodel_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """:func:`convert_caffemodel`, done once per file and kept in the cache.

    The cache file (``bvlc_googlenet-caffe.pth`` in
    :func:`~prisma_abu.neural.weights.cache_dir`, written atomically with a
    ``.sha256`` sidecar) records the sha256 of the ``.caffemodel`` it came from;
    it is used only when its own bytes match its sidecar and the given file
    hashes the same, and rebuilt otherwise. A cache folder that cannot be
    written just means converting again next time.

    Raises
    ------
    ModelError
        Missing file, or see :func:`convert_caffemodel`.
    """
    from prisma_abu.neural import weights as wt

    path = model_file(path, f"{NAME} weights", expected="a .caffemodel file")
    source = wt.sha256_file(path)
    target = converted_file()
    data = wt.read_verified(target)
    if data is not None:
        try:
            saved = torch_load(data, f"cached {target}")
            if saved["source_sha256"] == source:
                return dict(saved["state"])
        except (ModelError, KeyError, TypeError, ValueError):  # an older or foreign file that hashes right
            pass
    state = convert_caffemodel(path)
    _network(state, path)  # only weights that fit are kept
    wt.save_with_sidecar({"source_sha256": source, "state": state}, target)  # unwritable: convert next time
    return state


def convert_default_file() -> Path:
    """Convert the model folder's ``bvlc_googlenet.caffemodel`` into the cache; the cache file.

    Raises
    ------
    ModelError
        No such file in the model folder, or not a BVLC GoogLeNet.
    """
    path = default_weights_file()
    if path is None:
        raise ModelError(_missing_message())
    caffemodel_state_dict(path)
    if not converted_file().is_file():  # asked for the cache file itself: an unwritable cache is an error here
        raise ModelError(f"{NAME}: converted, but the cache folder {converted_file().parent} cannot be written; "
                         f"expected a writable cache folder (set $PRISMA_ABU_CACHE)")
    return converted_file()


def build(name: str, weights: Path | None, pooling: str) -> BVLCGoogLeNet:
    """Build BVLC GoogLeNet from a ``.caffemodel``; never downloads.

    Parameters
    ----------
    name : "bvlc_googlenet"
    weights : pathlib.Path or None
        A ``.caffemodel``; None: ``bvlc_googlenet.caffemodel`` in the model folder.
    pooling : "max"
        Only Caffe's pooling (average pooling would be another network).

    Raises
    ------
    InvalidParameterError
        ``pooling="avg"``.
    ModelError
        Weights missing, corrupt, of another network or not fitting.
    """
    if pooling != "max":
        raise InvalidParameterError(
            f"expected pooling 'max' for {NAME} ('avg' is for vgg16, vgg19), got {pooling!r}"
        )
    if weights is None:
        weights = default_weights_file()
        if weights is None:
            raise ModelError(_missing_message())
    return BVLCGoogLeNet(_network(caffemodel_state_dict(weights), weights))


def _network(state: dict[str, torch.Tensor], source: str | os.PathLike[str]) -> CaffeGoogLeNet:
    """The network of the widths ``state`` holds, with ``state`` loaded (not copied)."""
    from prisma_abu.neural.weights import load_into

    widths = {conv: int(state[f"{conv}.weight"].shape[0]) for conv in CONVOLUTIONS}
    bias = state.get(f"{CLASSIFIER}.bias")
    with torch.device("meta"):
        net = CaffeGoogLeNet(widths, None if bias is None else int(bias.numel()))
    load_into(net, state, what=f"{NAME} weights {source}")
    return net


def _few(items: list[str], limit: int = 4) -> str:
    if not items:
        return "none"
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
