"""Gatys neural style transfer: the engine.

The picture is optimised so that its activations at the content layers match
the content image's and its Gram matrices at the style layers match the
style images' (a weighted blend of them), with a total-variation smoother;
neural-style's options and defaults throughout.

Coarse to fine: the picture is first optimised at a fraction of its size,
then upsampled and refined at the next scale, up to the full size. The
coarse scales cost little and settle the large structures, so the full size
needs few iterations. ``iterations=(n,)`` is the plain single-scale method.
With ``tolerance`` the counts are ceilings: a scale ends as soon as its loss
stops falling (see :func:`plateaued`) and hands its unused iterations on.

An optional soft mask confines the style: the style loss compares the Gram
matrices of the masked region only (each position weighted by the mask), and
the picture the network sees is the composite ``content + m·(x − content)``,
so outside the mask the content is held exactly.

The engine takes and returns numpy arrays (M, N, 3) float 0..255; tensors
live only inside. It never prints: progress goes to callbacks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from ..errors import InvalidImageError, InvalidParameterError
from ..images import check_rgb
from .device import device_of, resize_tensor, to_array, to_device, to_tensor
from .optim import image_optimization
from .style_criterion import StyleCriterion, StyleLosses

__all__ = [
    "CONTENT_LAYERS",
    "STYLE_LAYERS",
    "StyleLosses",
    "StyleProgress",
    "StyleCriterion",
    "scale_sizes",
    "plateaued",
    "style_transfer",
]

#: neural-style's layers (on VGG): content relu4_2, style relu1_1 ... relu5_1.
CONTENT_LAYERS = ("relu4_2",)
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: smallest side (px) of a coarse scale; coarser scales are dropped.
MIN_SCALE_SIDE = 64
#: smallest side (px) a style image is shrunk to at a coarse scale.
MIN_STYLE_SIDE = 32
#: standard deviation (0..255 px) of the noise of ``init='random'``.
RANDOM_INIT_STD = 1.0
#: L-BFGS's first trial step moves the largest pixel by this much (0..255): a
#: picture-sized step, so the line search does not spend evaluations growing
#: torch's ``min(1, 1/|g|_1)`` step at each scale (measured on the masked
#: 64x80 test: 30 evaluations reach 0.07x the loss, not 0.09x; 8, 16, 32 or
#: 64 do equally well).
FIRST_STEP = 16.0
#: iterations over which :func:`plateaued` judges a scale's progress.
PLATEAU_WINDOW = 20


@dataclass(frozen=True)
class StyleProgress:
    """What :func:`style_transfer` reports after every iteration.

    ``iteration`` counts from 1 over all scales up to ``num_iterations``;
    ``scale`` counts from 0 (the coarsest) to ``num_scales - 1`` (full size,
    ``size`` = (height, width) of the current scale).
    """

    iteration: int
    num_iterations: int
    scale: int
    num_scales: int
    size: tuple[int, int]
    losses: StyleLosses


ProgressCallback = Callable[[StyleProgress], None]
#: ``checkpoint(iteration, image)``: the best picture so far at the current scale.
CheckpointCallback = Callable[[int, np.ndarray], None]


def scale_sizes(size: tuple[int, int], num_scales: int, scale_factor: float = 2.0) -> list[tuple[int, int]]:
    """Sizes of the scales, coarsest first, ending at ``size``.

    Each scale is ``scale_factor`` times smaller than the next; scales whose
    smaller side would fall below ``MIN_SCALE_SIDE`` px are dropped.

    Examples
    --------
    >>> scale_sizes((340, 512), 3)
    [(85, 128), (170, 256), (340, 512)]
    """
    h, w = size
    sizes = []
    for k in range(num_scales - 1, 0, -1):
        f = scale_factor ** -k
        s = (max(1, round(h * f)), max(1, round(w * f)))
        if min(s) >= MIN_SCALE_SIDE:
            sizes.append(s)
    return sizes + [(h, w)]


def plateaued(best: Sequence[float], tolerance: float, window: int = PLATEAU_WINDOW) -> bool:
    """Has the loss stopped falling?

    True when the best loss so far fell by less than ``tolerance`` (a
    fraction) per iteration, on average over the last ``window`` iterations:
    ``best[-1 - window] - best[-1] < tolerance * window * best[-1 - window]``.
    Judged on the best so far, a jump up of the loss (L-BFGS without line
    search, a rejected trial step) neither ends a scale nor delays its end.

    Parameters
    ----------
    best : sequence of float
        The best loss after each iteration of the scale (non-increasing).
    tolerance : float
        0 never plateaus.

    Examples
    --------
    >>> plateaued([100.0] + [50.0] * 20, 1e-3), plateaued([100.0] * 21, 1e-3)
    (False, True)
    """
    if tolerance <= 0 or len(best) <= window:
        return False
    then, now = best[-1 - window], best[-1]
    return then - now < tolerance * window * abs(then)


def _check_inputs(content: np.ndarray, styles: Sequence[np.ndarray], blend_weights, mask) -> list[float]:
    shape = check_rgb(content, "content").shape[:2]
    for i, style in enumerate(styles):
        check_rgb(style, f"style {i}")
    if not styles:
        raise InvalidParameterError("styles: expected at least one style image, got none")
    weights = [1.0] * len(styles) if blend_weights is None or len(blend_weights) == 0 else list(blend_weights)
    if len(weights) != len(styles):
        raise InvalidParameterError(
            f"blend_weights: expected one weight per style ({len(styles)}), got {len(weights)}")
    if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise InvalidParameterError(
            f"blend_weights: expected weights >= 0 with a positive sum, got {weights}")
    if mask is not None and np.shape(mask) != shape:
        raise InvalidImageError(f"mask: expected shape {shape} (the content's), got {np.shape(mask)}")
    return weights


def _initial(init: str | np.ndarray, content: torch.Tensor, size: tuple[int, int], seed: int,
             device: torch.device) -> torch.Tensor:
    if isinstance(init, np.ndarray):
        expected = tuple(content.shape[-2:]) + (3,)
        if init.shape != expected:
            raise InvalidImageError(f"init image: expected shape {expected} (the content's), got {init.shape}")
        return resize_tensor(to_device(to_tensor(init), device), size)
    if init == "image":
        return resize_tensor(content, size)
    if init == "random":
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn((1, 3) + tuple(size), generator=gen) * RANDOM_INIT_STD  # the same on every device
        return content.mean(dim=(2, 3), keepdim=True) + to_device(noise, device)
    raise InvalidParameterError(f"init: expected 'random', 'image' or an array, got {init!r}")


def style_transfer(backbone, content: np.ndarray, styles: Sequence[np.ndarray], *,
                   blend_weights: Sequence[float] | None = None,
                   content_layers: Sequence[str] = CONTENT_LAYERS, style_layers: Sequence[str] = STYLE_LAYERS,
                   content_weight: float = 5.0, style_weight: float = 100.0, tv_weight: float = 1e-3,
                   init: str | np.ndarray = "random", seed: int = 0,
                   optimizer: str = "lbfgs", learning_rate: float | None = None,
                   iterations: Sequence[int] = (1000,), tolerance: float | Sequence[float] = 0.0,
                   scale_factor: float = 2.0,
                   normalize_gradients: bool = False, precision: str | Sequence[str] = "fp32",
                   mask: np.ndarray | None = None, clamp: bool = True, save_iter: int = 0,
                   callback: ProgressCallback | None = None,
                   checkpoint: CheckpointCallback | None = None) -> np.ndarray:
    """Paint ``content`` in the style of ``styles``.

    Parameters
    ----------
    backbone : Backbone
        Already loaded (e.g. ``load_backbone("vgg16", pooling="max")``).
    content : (M, N, 3) ndarray
        RGB 0..255, at the output size.
    styles : sequence of (P, Q, 3) ndarrays
        RGB 0..255, each at the size its style is taken at full scale (coarse
        scales shrink them by the same factor as the content).
    blend_weights : sequence of float, optional
        One weight per style (default: equal).
    content_layers, style_layers : sequence of str
        Canonical layer names of ``backbone``.
    content_weight, style_weight, tv_weight : float
    init : {'random', 'image'} or (M, N, 3) ndarray
        Start from noise around the content's mean colour, from the content,
        or from this picture (at the coarsest scale).
    seed : int
        Seeds the noise of ``init='random'``.
    optimizer : {'lbfgs', 'lbfgs-neural-style', 'adam'}
    learning_rate : float, optional
        See :func:`~prisma_abu.neural.optim.image_optimization` (an
        iteration is one evaluation of the losses, line-search trials
        included).
    iterations : sequence of int
        Iterations at each scale, coarsest first; its length is the number
        of scales (fewer when the coarsest would be under ``MIN_SCALE_SIDE``).
    tolerance : float or sequence of float, one per scale
        A scale whose tolerance is > 0 ends early once :func:`plateaued`
        (its loss falls by less than this fraction per iteration over the
        last ``PLATEAU_WINDOW`` iterations), and its unused iterations go to
        the next scale; at the full size it stops the run. 0 (default):
        every scale runs exactly its count.
    scale_factor : float
        Size ratio of consecutive scales.
    normalize_gradients : bool
        neural-style's: each term's gradient scaled to its weight. The
        gradient is then not the loss's, so no line search can judge a step:
        ``optimizer='lbfgs'`` runs as ``'lbfgs-neural-style'`` (as in neural-style).
    precision : {'fp32', 'bf16'} or a sequence of them, one per scale
    mask : (M, N) ndarray, optional
        0..1: the style only where the mask is on, the content held elsewhere.
    clamp : bool
        Keep the pixels in 0..255 while optimising (clamped before every
        evaluation), so the losses reported are those of the picture returned.
    save_iter : int
        Call ``checkpoint(iteration, best_image_so_far)`` every ``save_iter``
        iterations (0: never; not at the last iteration).
    callback : callable, optional
        ``callback(StyleProgress)`` after every iteration.

    Returns
    -------
    image : (M, N, 3) ndarray of float32
        The lowest-loss picture of the full-size scale, clipped to 0..255.
    """
    weights = _check_inputs(content, styles, blend_weights, mask)
    device = device_of(backbone)  # every tensor goes where the network's weights are
    c_full = to_device(to_tensor(content), device)
    s_full = [to_device(to_tensor(s), device) for s in styles]
    m_full = None if mask is None else to_device(torch.from_numpy(np.asarray(mask, np.float32))[None, None], device)
    if not iterations:
        raise InvalidParameterError("iterations: expected one count per scale, got none")
    sizes = scale_sizes(tuple(content.shape[:2]), len(iterations), scale_factor)
    iterations = list(iterations)[len(iterations) - len(sizes):]
    precisions = _precisions(precision, len(sizes))
    tolerances = _tolerances(tolerance, len(sizes))
    if normalize_gradients and optimizer == "lbfgs":
        optimizer = "lbfgs-neural-style"
    run = _Run(sum(iterations), len(sizes), save_iter, callback, checkpoint)
    x = None
    spare = 0
    for index, (size, n_iter, prec, tol) in enumerate(zip(sizes, iterations, precisions, tolerances)):
        factor = size[0] / content.shape[0]
        criterion = StyleCriterion(
            backbone, resize_tensor(c_full, size), [_shrunk_style(s, factor) for s in s_full],
            blend_weights=weights, content_layers=content_layers, style_layers=style_layers,
            content_weight=content_weight, style_weight=style_weight, tv_weight=tv_weight,
            mask=None if m_full is None else resize_tensor(m_full, size).clamp(0, 1),
            normalize_gradients=normalize_gradients, precision=prec)
        x = _initial(init, c_full, size, seed, device) if x is None else resize_tensor(x, size)
        budget = n_iter + spare
        x, used = run.scale(index, size, criterion, x, budget, tol, optimizer=optimizer,
                            learning_rate=learning_rate, bounds=(0.0, 255.0) if clamp else None)
        spare = budget - used if tol > 0 else 0
    return np.clip(to_array(x), 0, 255)


def _precisions(precision: str | Sequence[str], n: int) -> list[str]:
    chosen = [precision] * n if isinstance(precision, str) else list(precision)[-n:]
    for p in chosen:
        if p not in ("fp32", "bf16"):
            raise InvalidParameterError(f"precision: expected fp32 or bf16, got {p!r}")
    if len(chosen) != n:
        raise InvalidParameterError(f"precision: expected one per scale ({n}), got {len(chosen)}")
    return chosen


def _tolerances(tolerance: float | Sequence[float], n: int) -> list[float]:
    chosen = [tolerance] * n if isinstance(tolerance, (int, float)) else list(tolerance)[-n:]
    if len(chosen) != n:
        raise InvalidParameterError(f"tolerance: expected one per scale ({n}), got {len(chosen)}")
    for t in chosen:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t < 1:
            raise InvalidParameterError(f"tolerance: expected numbers in [0, 1), got {t!r}")
    return [float(t) for t in chosen]


def _shrunk_style(style: torch.Tensor, factor: float) -> torch.Tensor:
    if factor >= 1:
        return style
    h, w = style.shape[-2:]
    f = max(factor, MIN_STYLE_SIDE / min(h, w))
    return resize_tensor(style, (max(1, round(h * f)), max(1, round(w * f)))) if f < 1 else style


class _Run:
    """Iteration counting, best-so-far tracking, progress and checkpoints over the scales."""

    def __init__(self, total: int, num_scales: int, save_iter: int,
                 callback: ProgressCallback | None, checkpoint: CheckpointCallback | None) -> None:
        self.total, self.num_scales, self.save_iter = total, num_scales, save_iter
        self.callback, self.checkpoint = callback, checkpoint
        self.done = 0

    def scale(self, index: int, size: tuple[int, int], criterion: StyleCriterion, x: torch.Tensor,
              n_iter: int, tolerance: float, *, optimizer: str, learning_rate: float | None,
              bounds: tuple[float, float] | None) -> tuple[torch.Tensor, int]:
        """Optimise one scale: (its best picture, iterations used)."""
        best = {"loss": math.inf, "x": x.detach().clone()}
        history: list[float] = []

        def on_step(step: int, loss: float, image: torch.Tensor) -> bool:
            if loss < best["loss"]:
                best["loss"], best["x"] = loss, image.clone()
            history.append(best["loss"])
            self.done += 1
            if self.callback is not None:
                progress = StyleProgress(self.done, self.total, index, self.num_scales, size, criterion.last)
                self.callback(progress)
            if self.checkpoint is not None and self.save_iter and self.done % self.save_iter == 0 \
                    and self.done < self.total:
                self.checkpoint(self.done, _output(criterion, best["x"]))
            return plateaued(history, tolerance, PLATEAU_WINDOW)

        image_optimization(x, criterion, optimizer=optimizer, num_steps=n_iter, learning_rate=learning_rate,
                           bounds=bounds, first_step=FIRST_STEP if optimizer == "lbfgs" else None,
                           callback=on_step)
        return _picture(criterion, best["x"]), len(history)


def _picture(criterion: StyleCriterion, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return criterion.composite(x).detach()


def _output(criterion: StyleCriterion, x: torch.Tensor) -> np.ndarray:
    return np.clip(to_array(_picture(criterion, x)), 0, 255)
