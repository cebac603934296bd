"""Train a feed-forward style network: Johnson et al.'s perceptual loss, pytorch-examples' recipe.

:func:`train_style` trains a
:class:`~prisma_abu.neural.stylenets.transformer_net.TransformerNet` (instance
norm, optionally narrower) to paint photos in one style:

* loss on the embedded VGG16 (Johnson's Caffe VGG16): content at ``relu2_2``
  (the crop against its painting), style at ``relu1_2, relu2_2, relu3_3,
  relu4_3`` (Gram matrices against the style picture's, see
  :mod:`prisma_abu.neural.losses`), total variation of the painting;
* Adam; every step a batch of random square crops of random size (from
  ``image_size`` up to twice that, within the photo), resized to
  ``image_size`` and flipped at random;
* optional bf16 autocast, any torch device;
* progress through ``callback(step, losses)``; a checkpoint (network,
  optimiser, random state, step) every ``checkpoint_every`` steps and at the
  end, from which ``resume`` continues the same run bit for bit.

Examples
--------
>>> from prisma_abu.params import TrainStyleParams
>>> p = TrainStyleParams(image_size=64, steps=10, width=0.25)
>>> # net = train_style(style, photos, p, callback=print)   # doctest: +SKIP
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from prisma_abu.errors import InvalidImageError, InvalidParameterError, ModelError
from prisma_abu.images import check_rgb
from prisma_abu.neural.device import autocast, native_bf16, resize_tensor, to_tensor
from prisma_abu.neural.losses import content_loss, gram_loss, gram_matrix, total_variation
from prisma_abu.neural.stylenets.transformer_net import TransformerNet, TransformerStyleNet, channels_for_width
from prisma_abu.params import TrainStyleParams

__all__ = [
    "CONTENT_LAYER",
    "STYLE_LAYERS",
    "CHECKPOINT_FORMAT",
    "Callback",
    "train_style",
    "style_targets",
    "perceptual_losses",
    "evaluate_losses",
    "initial_net",
    "read_checkpoint",
]

#: Johnson's layers on VGG16.
CONTENT_LAYER = "relu2_2"
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
CHECKPOINT_FORMAT = "prisma_abu.train_style_checkpoint"
#: ``callback(step, {"content", "style", "tv", "total"})``: weighted losses of the step just taken.
Callback = Callable[[int, Mapping[str, float]], None]
#: Fields a resumed run may change (the rest must equal the checkpoint's).
_RESUMABLE = ("steps", "checkpoint_every")


def _longer_side(x: torch.Tensor, side: int | None) -> torch.Tensor:
    h, w = x.shape[-2:]
    if side is None or max(h, w) == side:
        return x
    scale = side / max(h, w)
    return resize_tensor(x, (max(1, round(h * scale)), max(1, round(w * scale))))


def _fingerprint(style: torch.Tensor, photos: Sequence[torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for t in (style, *photos):
        digest.update(str(tuple(t.shape)).encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


#: a photo smaller than the crops is enlarged; first its longer side is cut to this many times its shorter
MAX_ASPECT = 8


def _not_a_strip(photo: torch.Tensor) -> torch.Tensor:
    """The middle of a photo longer than :data:`MAX_ASPECT` times its width (a 1x1000000 strip costs no 12 GB)."""
    h, w = photo.shape[-2:]
    short = min(h, w)
    if max(h, w) <= MAX_ASPECT * short:
        return photo
    keep = MAX_ASPECT * short
    top, left = (h - keep) // 2 if h > keep else 0, (w - keep) // 2 if w > keep else 0
    return photo[..., top:top + min(h, keep), left:left + min(w, keep)]


class _Crops:
    """Random square crops of random size, resized and flipped, from a fixed list of photos."""

    def __init__(self, photos: Sequence[torch.Tensor], size: int, generator: torch.Generator) -> None:
        self.size, self.gen = size, generator
        self.photos = [p if min(p.shape[-2:]) >= size else
                       resize_tensor(p, tuple(max(size, round(s * size / min(p.shape[-2:]))) for s in p.shape[-2:]))
                       for p in map(_not_a_strip, photos)]

    def _int(self, high: int) -> int:
        """Uniform in [0, high)."""
        return int(torch.randint(high, (1,), generator=self.gen))

    def batch(self, n: int) -> torch.Tensor:
        crops = []
        for _ in range(n):
            photo = self.photos[self._int(len(self.photos))]
            h, w = photo.shape[-2:]
            side = self.size + self._int(min(h, w, 2 * self.size) - self.size + 1)
            top, left = self._int(h - side + 1), self._int(w - side + 1)
            crop = photo[:, top:top + side, left:left + side]
            if side != self.size:
                crop = resize_tensor(crop, (self.size, self.size))
            if self._int(2):
                crop = crop.flip(-1)
            crops.append(crop)
        return torch.stack(crops)


def _precision(precision: str, device: torch.device) -> str:
    """What ``auto`` means for training: on a CPU the measured verdict for the VGG16 encoder (most of the work);
    on a GPU bf16 where it has it, else fp32 (fp16 would need a gradient scaler; fp32 is exact)."""
    if precision != "auto":
        return precision
    if device.type == "cpu":
        from ..calibrate import calibrated_precision

        return calibrated_precision("vgg16", device)
    return "bf16" if device.type == "cuda" and native_bf16(device) else "fp32"


def style_targets(encoder: Any, style: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
    """Gram matrices (1xCxC float32) of a 1x3xHxW style picture at ``layers``."""
    with torch.no_grad():
        feats = encoder(style, list(layers))
    return {layer: gram_matrix(feats[layer]).detach() for layer in layers}


def perceptual_losses(encoder: Any, x: torch.Tensor, y: torch.Tensor, grams: Mapping[str, torch.Tensor],
                      params: TrainStyleParams, *, content_layer: str = CONTENT_LAYER,
                      style_layers: Sequence[str] = STYLE_LAYERS) -> dict[str, torch.Tensor]:
    """Johnson's weighted losses of paintings ``y`` of crops ``x`` (both Nx3xHxW, 0..255).

    Returns
    -------
    dict
        ``{"content", "style", "tv", "total"}``: 0-d float32 tensors, ``total``
        differentiable in ``y``.
    """
    layers = list(dict.fromkeys([content_layer, *style_layers]))
    feats = encoder(y, layers)
    with torch.no_grad():
        target = encoder(x, [content_layer])[content_layer]
    content = params.content_weight * content_loss(feats[content_layer], target)
    style = params.style_weight * sum(gram_loss(feats[layer], grams[layer]) for layer in style_layers)
    tv = params.tv_weight * total_variation(y) / y.shape[0]
    return {"content": content, "style": style, "tv": tv, "total": content + style + tv}


def evaluate_losses(net: torch.nn.Module, photos: Sequence[np.ndarray], style: np.ndarray,
                    params: TrainStyleParams, *, encoder: Any = None, content_layer: str = CONTENT_LAYER,
                    style_layers: Sequence[str] = STYLE_LAYERS) -> dict[str, float]:
    """Mean weighted losses (fp32) of ``net`` on the centre crops of ``photos``.

    The crops are ``image_size`` squares of each photo shrunk to
    ``image_size`` on its shorter side: a fixed, repeatable test set (e.g. of
    photos the network was not trained on).

    Parameters
    ----------
    net : TransformerNet or TransformerStyleNet
    photos : sequence of (H, W, 3) arrays 0..255
    style : (H, W, 3) array 0..255
    params : TrainStyleParams
    encoder : Backbone, optional
        Default: the embedded ``vgg16``.
    """
    encoder = _encoder(encoder, torch.device("cpu"))
    inner = net.net if isinstance(net, TransformerStyleNet) else net
    size = params.image_size
    grams = style_targets(encoder, _longer_side(to_tensor(check_rgb(style, "style"))[0], params.style_image_size)[None],
                          style_layers)
    totals: dict[str, float] = {}
    for i, photo in enumerate(photos):
        t = to_tensor(check_rgb(photo, f"photo {i}"))[0]
        h, w = t.shape[-2:]
        scale = size / min(h, w)
        t = resize_tensor(t, (max(size, round(h * scale)), max(size, round(w * scale))))
        top, left = (t.shape[-2] - size) // 2, (t.shape[-1] - size) // 2
        x = t[None, :, top:top + size, left:left + size].contiguous()
        with torch.no_grad():
            losses = perceptual_losses(encoder, x, inner(x), grams, params, content_layer=content_layer,
                                       style_layers=style_layers)
        for key, value in losses.items():
            totals[key] = totals.get(key, 0.0) + float(value) / len(photos)
    return totals


def _encoder(encoder: Any, device: torch.device) -> Any:
    if encoder is None:
        from prisma_abu.neural.backbones import load_backbone

        encoder = load_backbone("vgg16")
    if device.type != "cpu":
        encoder = copy.deepcopy(encoder).to(device)  # the cached backbone stays on the CPU
    return encoder


def initial_net(params: TrainStyleParams) -> TransformerNet:
    """The network a run starts from: ``params.width`` channels, weights seeded by ``params.seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(params.seed)
        return TransformerNet(channels_for_width(params.width))


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint written by :func:`train_style` (``weights_only`` load).

    Returns
    -------
    dict
        ``{"format", "step", "params", "channels", "model", "optimizer",
        "generator", "data", "losses"}``.

    Raises
    ------
    ModelError
        Missing, corrupt or not a training checkpoint.
    """
    from prisma_abu.neural.modelfiles import model_file, torch_load

    path = model_file(path, "training checkpoint")
    state = torch_load(path, f"training checkpoint {path}")
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(f"{path} is not a training checkpoint: expected format {CHECKPOINT_FORMAT!r}")
    return state


def _write_checkpoint(path: Path, step: int, params: TrainStyleParams, net: TransformerNet,
                      optimizer: torch.optim.Optimizer, gen: torch.Generator, data: str,
                      losses: Mapping[str, float]) -> None:
    from prisma_abu.neural.modelfiles import write_model_bytes

    state = {"format": CHECKPOINT_FORMAT, "step": step, "params": params.to_dict(),
             "channels": list(net.channels), "data": data, "losses": dict(losses),
             "model": {k: v.detach().cpu() for k, v in net.state_dict().items()},
             "optimizer": optimizer.state_dict(), "generator": gen.get_state()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_model_bytes(path, buffer.getvalue(), "training checkpoint")


def _check_resume(state: Mapping[str, Any], params: TrainStyleParams, data: str, path: Path) -> None:
    saved = TrainStyleParams.from_dict(state["params"])
    differ = [name for name in TrainStyleParams.field_names()
              if name not in _RESUMABLE and getattr(saved, name) != getattr(params, name)]
    if differ:
        raise InvalidParameterError(
            f"resume {path}: parameters differ from the checkpoint's ({', '.join(differ)}); "
            f"expected {', '.join(f'{n}={getattr(saved, n)!r}' for n in differ)}")
    if state["data"] != data:
        raise InvalidParameterError(f"resume {path}: expected the same style picture and photos "
                                    f"as the checkpoint's run, got others")
    if state["step"] > params.steps:  # equal: a run killed after its last checkpoint; it just gives the network
        raise InvalidParameterError(f"resume {path}: steps: expected at least the checkpoint's "
                                    f"{state['step']} steps, got {params.steps}")


def train_style(style: np.ndarray, photos: Sequence[np.ndarray], params: TrainStyleParams | None = None, *,
                device: str | torch.device = "cpu", callback: Callback | None = None,
                checkpoint: str | os.PathLike[str] | None = None, resume: str | os.PathLike[str] | None = None,
                name: str = "my_style", encoder: Any = None, content_layer: str = CONTENT_LAYER,
                style_layers: Sequence[str] = STYLE_LAYERS) -> TransformerStyleNet:
    """Train a style network on photos.

    Parameters
    ----------
    style : (H, W, 3) array
        The style picture, RGB 0..255.
    photos : sequence of (H, W, 3) arrays
        Training photos, RGB 0..255 (smaller than ``image_size`` ones are enlarged).
    params : TrainStyleParams, optional
    device : str or torch.device
        ``"cpu"`` (default), ``"cuda"``, ...
    callback : callable, optional
        ``callback(step, {"content", "style", "tv", "total"})`` after each
        step (1-based), weighted losses as floats.
    checkpoint : path-like, optional
        Checkpoint file, rewritten atomically every ``params.checkpoint_every``
        steps and at the end.
    resume : path-like, optional
        A checkpoint to continue from: same parameters (``steps`` and
        ``checkpoint_every`` may change), same style and photos; the run then
        gives the same weights, bit for bit, as one never interrupted. A
        checkpoint of the last step (a run killed before its model was
        written) gives its network without training.
    name : str
        The returned network's name.
    encoder : Backbone, optional
        Loss network; default the embedded ``vgg16``.
    content_layer, style_layers
        Encoder layers (Johnson's by default).

    Returns
    -------
    TransformerStyleNet
        Eval mode on the CPU, ``training_params`` set; save it with
        :func:`~prisma_abu.neural.stylenets.transformer_net.save_model`.

    Raises
    ------
    InvalidImageError
        A picture that is not HxWx3, or no photos.
    InvalidParameterError
        A resume that does not match (names the differing fields).
    ModelError
        An unreadable checkpoint.
    """
    params = params or TrainStyleParams()
    device = torch.device(device)
    if not photos:
        raise InvalidImageError("photos: expected at least one training photo, got none")
    raw_style = to_tensor(check_rgb(style, "style"))[0]
    style_t = _longer_side(raw_style, params.style_image_size)
    photo_ts = [to_tensor(check_rgb(p, f"photo {i}"))[0] for i, p in enumerate(photos)]
    data = _fingerprint(style_t, photo_ts)
    precision = _precision(params.precision, device)
    encoder = _encoder(encoder, device)
    try:
        grams = style_targets(encoder, style_t[None].to(device), style_layers)
    except RuntimeError as exc:  # torch: "Output size is too small" for a strip
        sizes = ["x".join(map(str, t.shape[-2:])) for t in (raw_style, style_t)]
        raise InvalidImageError(f"style: a {sizes[0]} picture is {sizes[1]} at style_image_size "
                                f"{params.style_image_size}, too thin for the network "
                                f"({str(exc).strip().splitlines()[0][:120]}); expected a picture a few pixels "
                                f"wide on each side at that size") from None

    net = initial_net(params).to(device).train()
    optimizer = torch.optim.Adam(net.parameters(), lr=params.learning_rate)
    gen = torch.Generator().manual_seed(params.seed)
    start = 0
    if resume is not None:
        state = read_checkpoint(resume)
        _check_resume(state, params, data, Path(resume))
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        gen.set_state(state["generator"])
        start = int(state["step"])
    crops = _Crops(photo_ts, params.image_size, gen)
    losses: dict[str, float] = {}
    for step in range(start + 1, params.steps + 1):
        x = crops.batch(params.batch_size).to(device)
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, precision):
            y = net(x).float()
            terms = perceptual_losses(encoder, x, y, grams, params, content_layer=content_layer,
                                      style_layers=style_layers)
        terms["total"].backward()
        optimizer.step()
        losses = {key: float(value.detach()) for key, value in terms.items()}
        if callback is not None:
            callback(step, losses)
        if checkpoint is not None and params.checkpoint_every and (
                step % params.checkpoint_every == 0 or step == params.steps):
            _write_checkpoint(Path(checkpoint), step, params, net, optimizer, gen, data, losses)
    net = net.cpu().eval()
    return TransformerStyleNet(net, name=name, training_params={"kind": params.kind, **params.to_dict()})
