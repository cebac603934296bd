"""Neural style transfer as a pipeline: arrays and :class:`StyleParams` in, a picture out.

:func:`style` resizes the content and styles (neural-style's ``image_size``, our ``size``
and ``style_scale``), builds the PrismaWorker mask when the style should stay
inside one, plans the coarse-to-fine schedule, runs the Gatys engine
(:func:`prisma_abu.neural.gatys.style_transfer`) and applies
``original_colors``. Nothing here reads or writes files.

Examples
--------
>>> from prisma_abu.params import StyleParams
>>> iteration_schedule(StyleParams(num_iterations=1000), 3)
(300, 150, 550)
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..errors import InvalidImageError, InvalidParameterError
from ..images import check_rgb
from ..params import MixParams, StyleParams

__all__ = [
    "style",
    "StyleMonitor",
    "iteration_schedule",
    "scale_tolerances",
    "engine_optimizer",
    "scale_precisions",
    "prepare_content",
    "prepare_styles",
    "style_mask",
    "feathered",
    "keep_original_colors",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
    "evaluate_losses",
]

#: Share of ``num_iterations`` each scale gets, coarsest first, by the number of
#: scales used. Measured at 512 px (bench/style.py): 300 + 150 iterations at
#: 128 and 256 px cost about as much as 70 at 512 px, and after them 35
#: iterations at 512 px beat the single-scale reference's 300; the rest of the
#: budget refines the full size.
SCHEDULE_SHARES = {
    1: (1.0,),
    2: (0.3, 0.7),
    3: (0.3, 0.15, 0.55),
    4: (0.25, 0.15, 0.1, 0.5),
}


class StyleMonitor:
    """Receives a style transfer's progress and checkpoints; subclass it.

    Also a plain ``(scale, iteration, total_loss)`` callback, so it can go
    wherever the other commands' progress callbacks go (``run_job``...).
    """

    def progress(self, progress) -> None:
        """After every iteration: a :class:`prisma_abu.neural.gatys.StyleProgress`."""

    def checkpoint(self, iteration: int, image: np.ndarray) -> None:
        """Every ``save_iter`` iterations: the best (M, N, 3) uint8 picture so far."""

    def __call__(self, scale: int, iteration: int, value: float) -> None:
        """The generic progress callback (does nothing here)."""


Callback = Callable[[int, int, float], None]


def _fit_size(shape: Sequence[int], longer: int) -> tuple[int, int]:
    h, w = shape[:2]
    f = longer / max(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


def _resized(image: np.ndarray, longer: int) -> np.ndarray:
    from ..ops.resize import resize_image
    from .dream import check_pixels

    h, w = _fit_size(image.shape, longer)
    check_pixels(h, w)
    if (h, w) == image.shape[:2]:
        return np.asarray(image, np.float32).copy()
    return resize_image(image, base_width=w, height=h)


def prepare_content(content: np.ndarray, params: StyleParams) -> np.ndarray:
    """The content at ``size`` (longer side), float32 0..255."""
    return _resized(check_rgb(content, "content"), params.size)


def prepare_styles(styles: Sequence[np.ndarray], params: StyleParams) -> list[np.ndarray]:
    """Each style at ``style_scale * size`` (longer side), as neural-style."""
    longer = max(1, int(np.ceil(params.style_scale * params.size)))
    return [_resized(check_rgb(s, f"style {i}"), longer) for i, s in enumerate(styles)]


def iteration_schedule(params: StyleParams, num_scales: int | None = None) -> tuple[int, ...]:
    """Iterations per scale, coarsest first.

    ``scale_iterations`` when given, else ``num_iterations`` split by
    :data:`SCHEDULE_SHARES` (rounded, the remainder to the full size). With
    ``num_scales`` smaller than ``params.scales`` (a small picture drops its
    coarsest scales) the counts of the scales kept are planned for
    ``num_scales`` scales.
    """
    n = params.scales if num_scales is None else num_scales
    if params.scale_iterations:
        return tuple(params.scale_iterations[len(params.scale_iterations) - n:])
    shares = SCHEDULE_SHARES.get(n) or tuple([0.5 / (n - 1)] * (n - 1) + [0.5])
    counts = [int(params.num_iterations * s) for s in shares[:-1]]
    return tuple(counts + [params.num_iterations - sum(counts)])


def scale_tolerances(params: StyleParams, num_scales: int) -> tuple[float, ...]:
    """When each scale ends early (see :func:`prisma_abu.neural.gatys.plateaued`), coarsest first.

    ``scale_tol`` at the coarse scales and ``stop_tol`` at the full size;
    all 0 (every scale runs exactly its count) with explicit ``scale_iterations``.
    """
    if params.scale_iterations:
        return (0.0,) * num_scales
    return (params.scale_tol,) * (num_scales - 1) + (params.stop_tol,)


def engine_optimizer(params: StyleParams) -> str:
    """The engine's optimiser: ``lbfgs`` (line search), ``lbfgs-neural-style`` (none) or ``adam``.

    Without ``line_search``, or with ``normalize_gradients`` (whose gradient is
    not the loss's, so no line search can judge a step), L-BFGS runs as
    neural-style ran it.
    """
    if params.optimizer == "lbfgs" and (not params.line_search or params.normalize_gradients):
        return "lbfgs-neural-style"
    return params.optimizer


def scale_precisions(params: StyleParams, num_scales: int) -> tuple[str, ...]:
    """The precision of each scale: ``auto`` is the faster one measured for the backbone on this device.

    ``auto`` is fp32 where the device has no native bf16; where it has, the
    verdict of :mod:`prisma_abu.neural.calibrate` (bf16 was 2-3x faster on an
    AMD EPYC, up to 1.65x slower on an Intel Xeon with the same flag). bf16
    autocast needed the same number of L-BFGS iterations as fp32 to reach a
    loss at 512 px, so the verdict holds on every scale. The losses
    themselves are always summed in fp32.
    """
    from .models import resolve_precision

    return (resolve_precision(params.precision, params.backbone, params.device, params.weights),) * num_scales


def _mask_from_array(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from ..ops.resize import resize_image

    m = np.asarray(mask, np.float32)
    if m.ndim == 3:
        m = m.mean(axis=2)
    if m.ndim != 2:
        raise InvalidImageError(f"mask: expected an (M, N) or (M, N, 3) array, got shape {np.shape(mask)}")
    if m.shape != size:
        m = resize_image(np.repeat(m[:, :, None], 3, axis=2), base_width=size[1], height=size[0])[:, :, 0]
    return m


def style_mask(content: np.ndarray, params: StyleParams, mask: np.ndarray | None = None) -> np.ndarray | None:
    """Where the style goes: (M, N) float32 of 0 and 1; None for everywhere.

    Parameters
    ----------
    content : (M, N, 3) ndarray
        The content at the output size (see :func:`prepare_content`).
    params : StyleParams
        ``mask`` names a PrismaWorker mask (with ``dd``, ``cb``,
        ``std_factor``, ``loop_factor``): on wherever it is not 0.
    mask : (P, Q) or (P, Q, 3) ndarray, optional
        A mask picture instead, 0..255: on where it is at least 128;
        resized to the content.
    """
    if mask is None and params.mask is None:
        return None
    if mask is not None:
        return (_mask_from_array(mask, content.shape[:2]) >= 128).astype(np.float32)
    from .masking import mix_mask

    spec = MixParams(mask=params.mask, dd=params.dd, cb=params.cb, std_factor=params.std_factor,
                     loop_factor=params.loop_factor, layer=None)
    try:
        raw = mix_mask(content, spec)
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"mask: expected a mask name (otsu, stdmean, features, or a '+'-sum) or a mask file, "
            f"got {params.mask!r} ({exc})") from None
    return (raw > 0).astype(np.float32)


def feathered(mask: np.ndarray, sigma: float) -> np.ndarray:
    """``mask`` with its edge softened inward: a Gaussian blur, kept 0 outside the mask.

    The final picture is ``content + feathered(mask) * (stylized - content)``:
    the style fades out over about ``2 * sigma`` px inside the mask's edge.
    """
    from scipy.ndimage import gaussian_filter

    if sigma <= 0:
        return mask.astype(np.float32)
    return (gaussian_filter(mask.astype(np.float32), sigma=sigma, mode="nearest") * mask).astype(np.float32)


# --- colours ----------------------------------------------------------------------------------

_YCC = np.array([[0.299, 0.587, 0.114],
                 [-0.168736, -0.331264, 0.5],
                 [0.5, -0.418688, -0.081312]], np.float64)


def rgb_to_ycbcr(image: np.ndarray) -> np.ndarray:
    """Full-range (JPEG) YCbCr of an RGB 0..255 picture; Cb, Cr centred on 128."""
    ycc = np.asarray(image, np.float64) @ _YCC.T
    ycc[..., 1:] += 128.0
    return ycc


def ycbcr_to_rgb(ycc: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_ycbcr` (not clipped)."""
    shifted = np.asarray(ycc, np.float64).copy()
    shifted[..., 1:] -= 128.0
    return shifted @ np.linalg.inv(_YCC).T


def keep_original_colors(stylized: np.ndarray, content: np.ndarray) -> np.ndarray:
    """The stylized picture's luminance with the content's chroma (neural-style's ``-original_colors``).

    Returns
    -------
    (M, N, 3) ndarray of float32, clipped to 0..255
    """
    y = rgb_to_ycbcr(stylized)[..., :1]
    cbcr = rgb_to_ycbcr(content)[..., 1:]
    return np.clip(ycbcr_to_rgb(np.concatenate([y, cbcr], axis=2)), 0, 255).astype(np.float32)


# --- the pipeline -----------------------------------------------------------------------------

def _load(params: StyleParams):
    from ..neural.backbones import load_backbone
    from .models import resolve_device

    net = load_backbone(params.backbone, weights=params.weights, pooling=params.pooling,
                        device=resolve_device(params.device))
    content_layers = tuple(net.resolve_layer(n) for n in params.content_layers)
    style_layers = tuple(net.resolve_layer(n) for n in params.style_layers)
    return net, content_layers, style_layers


def _hooks(callback, finish: Callable[[np.ndarray], np.ndarray]):
    """(progress, checkpoint) engine callbacks for a StyleMonitor or a plain callback."""
    if callback is None:
        return None, None
    if isinstance(callback, StyleMonitor):
        return callback.progress, lambda i, image: callback.checkpoint(i, finish(image))
    return (lambda p: callback(p.scale, p.iteration, p.losses.total)), None


def style(content: np.ndarray, styles: Sequence[np.ndarray], params: StyleParams = StyleParams(), *,
            mask: np.ndarray | None = None, init_image: np.ndarray | None = None,
            callback: StyleMonitor | Callback | None = None) -> np.ndarray:
    """Paint ``content`` in the style of ``styles`` (Gatys et al., neural-style's options).

    Parameters
    ----------
    content : (M, N, 3) ndarray
        RGB 0..255.
    styles : sequence of (P, Q, 3) ndarrays
        One or more style pictures, blended by ``params.style_blend_weights``.
    params : StyleParams
    mask : (M', N') or (M', N', 3) ndarray, optional
        A mask picture, 0..255 (style where >= 128); overrides ``params.mask``'s
        named mask. Outside the mask the content is kept exactly; inside, the
        style fades in over ``params.mask_feather`` px from the edge.
    init_image : (P, Q, 3) ndarray, optional
        Start from this picture (``params.init`` must be 'image'); resized
        to the output size.
    callback : StyleMonitor or callable, optional
        A :class:`StyleMonitor` gets every iteration's losses and the
        checkpoints; a plain callable gets ``(scale, iteration, total_loss)``.

    Returns
    -------
    picture : (M'', N'', 3) ndarray of uint8
        The longer side is ``params.size``.
    """
    from ..neural.gatys import scale_sizes, style_transfer

    if not styles:
        raise InvalidParameterError("styles: expected at least one style picture, got none")
    if params.style_blend_weights and len(params.style_blend_weights) != len(styles):
        raise InvalidParameterError(
            f"style_blend_weights: expected one weight per style ({len(styles)}), "
            f"got {len(params.style_blend_weights)}")
    if init_image is not None and params.init != "image":
        raise InvalidParameterError(
            f"init_image: expected init='image' with an init image, got {params.init!r}")
    net, content_layers, style_layers = _load(params)
    c = prepare_content(content, params)
    s = prepare_styles(styles, params)
    net.probe(*c.shape[:2], content_layers + style_layers)
    for picture in s:
        net.probe(*picture.shape[:2], style_layers or content_layers)
    hard = style_mask(c, params, mask)
    soft = None if hard is None else feathered(hard, params.mask_feather)[:, :, None]
    init = params.init if init_image is None else _resized_to(init_image, c.shape[:2])
    n = len(scale_sizes(c.shape[:2], params.scales, params.scale_factor))

    def finish(image: np.ndarray) -> np.ndarray:
        image = _resized_to(image, c.shape[:2])
        if soft is not None:
            image = c + soft * (image - c)
        if params.original_colors:
            image = keep_original_colors(image, c)
        return np.uint8(np.clip(image, 0, 255))

    progress, checkpoint = _hooks(callback, finish)
    out = style_transfer(
        net, c, s, blend_weights=params.style_blend_weights or None, content_layers=content_layers,
        style_layers=style_layers, content_weight=params.content_weight, style_weight=params.style_weight,
        tv_weight=params.tv_weight, init=init, seed=params.seed, optimizer=engine_optimizer(params),
        learning_rate=params.learning_rate if params.optimizer == "adam" else None,
        iterations=iteration_schedule(params, n), tolerance=scale_tolerances(params, n),
        scale_factor=params.scale_factor,
        normalize_gradients=params.normalize_gradients, precision=scale_precisions(params, n),
        mask=hard, save_iter=params.save_iter, callback=progress, checkpoint=checkpoint)
    return finish(out)


def _resized_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from ..ops.resize import resize_image

    image = check_rgb(image, "init image")
    if image.shape[:2] == tuple(size):
        return np.asarray(image, np.float32)
    return resize_image(image, base_width=size[1], height=size[0])


def evaluate_losses(image: np.ndarray, content: np.ndarray, styles: Sequence[np.ndarray],
                    params: StyleParams = StyleParams(), *, mask: np.ndarray | None = None,
                    precision: str = "fp32"):
    """The losses ``style`` minimises, of ``image``, at full size.

    ``content``, ``styles`` and ``mask`` as given to :func:`style`;
    ``image`` is a picture at the output size (e.g. what it returned).

    Returns
    -------
    StyleLosses
        Weighted content, style and tv losses (``.total``).
    """
    import torch

    from ..neural.device import device_of, to_device, to_tensor
    from ..neural.style_criterion import StyleCriterion

    net, content_layers, style_layers = _load(params)
    device = device_of(net)

    def on_device(image: np.ndarray) -> torch.Tensor:
        return to_device(to_tensor(image), device)

    c = prepare_content(content, params)
    s = prepare_styles(styles, params)
    hard = style_mask(c, params, mask)
    weights = params.style_blend_weights or (1.0,) * len(s)
    crit = StyleCriterion(
        net, on_device(c), [on_device(x) for x in s], blend_weights=weights, content_layers=content_layers,
        style_layers=style_layers, content_weight=params.content_weight, style_weight=params.style_weight,
        tv_weight=params.tv_weight, mask=None if hard is None else to_device(torch.from_numpy(hard)[None, None], device),
        precision=precision)
    with torch.no_grad():
        crit(on_device(_resized_to(image, c.shape[:2])))
    return crit.last
