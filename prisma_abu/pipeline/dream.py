"""DeepDream as a pipeline: an array and :class:`DreamParams` in, a picture out.

Nothing here reads or writes files.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import InvalidParameterError
from ..images import as_uint8, check_rgb
from ..params import DreamParams


__all__ = ["dream", "resolve_layers", "as_uint8", "check_rgb", "check_pixels", "MAX_PIXELS"]

#: the largest picture a pipeline makes (50 megapixels): below Pillow's decompression-bomb limit, so
#: every picture prisma_abu writes can be read (and replayed) by prisma_abu again
MAX_PIXELS = 50_000_000

Callback = Callable[[int, int, float], None]


def resolve_layers(params: DreamParams):
    """The backbone and the canonical layer names ``params`` asks for."""
    from ..neural.backbones import load_backbone

    from .models import resolve_device

    net = load_backbone(params.backbone, weights=params.weights, device=resolve_device(params.device))
    layers = tuple(net.resolve_layer(name) for name in params.layers) or (net.default_layer,)
    return net, layers


def check_pixels(height: int, width: int, what: str = "the picture") -> None:
    """Refuse a picture of more than :data:`MAX_PIXELS` pixels before making it."""
    if height * width > MAX_PIXELS:
        raise InvalidParameterError(f"{what} would be {width}x{height} = {height * width / 1e6:.0f} megapixels; "
                                    f"expected at most {MAX_PIXELS / 1e6:.0f} (a smaller --size)")


def _fit_guide(guide: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Shrink a guide so it is no larger than the picture it guides (keeps aspect)."""
    from ..ops.resize import resize_image

    h, w = guide.shape[:2]
    scale = min(1.0, shape[0] / h, shape[1] / w)
    if scale >= 1.0:
        return guide
    return resize_image(guide, base_width=max(1, round(w * scale)), height=max(1, round(h * scale)))


def _check_channels(wanted: tuple[int, ...], channels: dict[str, int]) -> None:
    fewest = min(channels.values())
    bad = [c for c in wanted if c >= fewest]
    if bad:
        layer = min(channels, key=channels.get)
        raise InvalidParameterError(f"channels: expected channel numbers below {fewest} ({layer} has {fewest}), "
                                    f"got {', '.join(map(str, bad[:5]))}")


def dream(image: np.ndarray, params: DreamParams = DreamParams(), *, guide: np.ndarray | None = None,
          callback: Callback | None = None) -> np.ndarray:
    """DeepDream ``image``.

    Parameters
    ----------
    image : (M, N, 3) ndarray
        RGB 0..255.
    params : DreamParams
    guide : (P, Q, 3) ndarray, optional
        Required by ``objective='guide'``; shrunk to fit the picture.
    callback : callable, optional
        ``callback(octave, step, objective_value)``.

    Returns
    -------
    dreamed : (M', N', 3) ndarray of uint8
        ``M', N'`` are ``image``'s size, or its longer side is ``params.size``.
    """
    from ..neural.deepdream import DreamObjective, deep_dream, guide_features
    from .models import resolve_run
    from ..ops.resize import longer_side_size, resize_longer_side

    image = check_rgb(image, "image")
    if guide is not None:
        guide = check_rgb(guide, "guide")
    if params.objective == "guide" and guide is None:
        raise InvalidParameterError("objective 'guide' needs a guide image; expected --guide FILE")
    if params.size is not None:
        width, height = longer_side_size(image.shape, params.size)
        check_pixels(height, width)
    params = resolve_run(params)  # a job's come resolved (prisma_abu.commands.resolve_job): kept as they are
    net, layers = resolve_layers(params)
    precision = params.precision
    if params.size is not None:
        image = resize_longer_side(image, params.size)
    channels = net.probe(*image.shape[:2], layers)
    _check_channels(params.channels, channels)
    guides = None
    if params.objective == "guide":
        guides = guide_features(net, _fit_guide(guide, image.shape[:2]), layers,
                                channels=params.channels, precision=precision)
    weights = params.layer_weights or (1.0,) * len(layers)
    objective = DreamObjective(layers, tuple(weights), params.channels, guides)
    out = deep_dream(net, image, objective, iter_n=params.iter_n, octave_n=params.octave_n,
                     octave_scale=params.octave_scale, step_size=params.step_size, jitter=params.jitter,
                     seed=params.seed, precision=precision, tile_size=params.tile_size, callback=callback)
    return as_uint8(out)
