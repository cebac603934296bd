"""abu's Prisma as a pipeline: the photo painted in the guide's manner with the photo blended back
through a soft keep map (``compose="paint"``, the default), or the book's mask and convolution-weighted
paste of the raw guide (``compose="paste"``); then an enhance preset and a short dream on a shallow
layer. Arrays and :class:`MixParams` in, arrays out; nothing here reads or writes files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InvalidParameterError
from ..params import MixParams
from .auto import resolve_params
from .dream import as_uint8, check_pixels, check_rgb, dream
from .masking import SALIENCY, check_mask_spec, mix_mask, uses_saliency

__all__ = ["mix", "check_enhance", "check_mask_spec", "mix_mask", "mask_picture", "feature_picture", "prepare_mix",
           "MixResult", "PRISMA_LAYERS", "prisma_layer", "enhance_presets", "mask_combinations", "resolve_params",
           "uses_saliency", "texture_names", "SALIENCY", "painted_guide", "painting",
           "keep_weight", "keep_weights", "paint_blend", "FACE_KEEP", "PAINT_CHROMA"]

#: the shallow layer each backbone amplifies in ``mix`` when ``layer="auto"``
#: (the original used GoogLeNet's ``conv2/3x3_reduce``: stride 4, two convs deep).
PRISMA_LAYERS = {
    "bvlc_googlenet": "conv2/3x3_reduce",
    "googlenet": "conv2/3x3_reduce",
    "efficientnet_lite0": "blocks.1",
    "vgg16": "relu2_1",
    "vgg19": "relu2_1",
}

Callback = Callable[[int, int, float], None]


def prisma_layer(backbone: str) -> str:
    """The shallow layer ``mix`` dreams on by default for ``backbone``."""
    from ..neural.backbones import layer_names

    name = PRISMA_LAYERS.get(backbone)
    return name if name is not None else layer_names(backbone)[min(2, len(layer_names(backbone)) - 1)]


@dataclass(frozen=True)
class MixResult:
    """What ``mix`` made, with the pictures it made it from (all uint8, same size).

    ``keep`` is the blend's final decision (True: the photo's pixel, before
    the ``rb_rate`` draws; None for a plain dream), ``params`` the
    parameters as used: ``auto``'s choices and the texture preset written in,
    and ``weight`` with ``compose="paint"`` the soft keep map (float 0..1: how
    much photo each pixel keeps over its painting; None otherwise).
    """

    image: np.ndarray
    mask: np.ndarray
    source: np.ndarray
    guide: np.ndarray | None
    blended: np.ndarray
    keep: np.ndarray | None = None
    params: MixParams | None = None
    weight: np.ndarray | None = None


def prepare_mix(source: np.ndarray, guide: np.ndarray | None, params: MixParams):
    """The source (and guide) at ``params.size``, as ``mix`` uses them: ``(src, gd)`` float32.

    The photo keeps its aspect, its longer side ``size``, and the guide is
    scaled to cover it and centre-cropped; with ``square`` both are
    stretched as the book did (``size`` x ``size``, or with ``keep_size``
    the photo at width ``size`` and the guide stretched to it).
    """
    from ..ops.resize import longer_side_size, resize_cover, resize_image, resize_longer_side, target_size

    if not params.square:
        width, height = longer_side_size(source.shape, params.size)
        check_pixels(height, width)
        src = resize_longer_side(source, params.size)
        gd = None if guide is None else resize_cover(guide, (src.shape[1], src.shape[0]))
        return src, gd
    width, height = target_size(source.shape, base_width=params.size, keep_size=params.keep_size)
    check_pixels(height, width)
    src = resize_image(source, base_width=params.size, keep_size=params.keep_size)
    gd = None
    if guide is not None:
        gd = resize_image(guide, base_width=params.size, keep_size=params.keep_size,
                          height=src.shape[0] if params.keep_size else None)
    return src, gd


def _check_windows(params: MixParams, shape: tuple[int, int]) -> None:
    if params.all_mask and params.rb_rate == 1:
        return
    largest = max(shape)
    for name in ("n1", "n2", "n3"):
        n = getattr(params, name)
        if n > largest:
            raise InvalidParameterError(
                f"{name}: expected a window between 1 and {largest} (the picture's size), got {n}")


def _keep(mask: np.ndarray, params: MixParams) -> np.ndarray:
    """Where the blend keeps the photo (before the rb_rate draws)."""
    from ..ops.blend import convolved_keep

    n1, n2, n3 = params.n1, params.n2, params.n3
    if params.all_mask and params.rb_rate == 1:
        n1 = n2 = n3 = 1
    return convolved_keep(mask, n1=n1, n2=n2, n3=n3, convd_median_factor=params.convd_median_factor,
                          convd_big_factor=params.convd_big_factor)


def _blend(src: np.ndarray, gd: np.ndarray | None, mask: np.ndarray, params: MixParams,
           rng: np.random.Generator) -> np.ndarray:
    from ..ops.blend import blend_convolved

    n1, n2, n3, rb_rate = params.n1, params.n2, params.n3, params.rb_rate
    if params.all_mask and rb_rate == 1:
        rb_rate, n1, n2, n3 = params.all_mask_rb_rate, 1, 1, 1
    return blend_convolved(src, gd, mask, n1=n1, n2=n2, n3=n3, rb_rate=rb_rate,
                           convd_median_factor=params.convd_median_factor,
                           convd_big_factor=params.convd_big_factor, rng=rng)


def _amplify(image: np.ndarray, params: MixParams, iter_n: int, callback: Callback | None) -> np.ndarray:
    from ..ops.enhance import enhance_image

    enhanced = enhance_image(image, params.enhance, factor=params.enhance_p)
    if params.layer is None:
        return as_uint8(enhanced)
    layer = prisma_layer(params.backbone) if params.layer == "auto" else params.layer
    dp = params.dream_params(iter_n=iter_n).replace(layers=(layer,))
    if params.dream_scale == 1:
        return dream(enhanced, dp, callback=callback)
    return _dream_scaled(enhanced, dp, params.dream_scale, callback)


def _dream_scaled(image: np.ndarray, dp, scale: float, callback: Callback | None) -> np.ndarray:
    """Dream a copy ``scale`` times the size; add its detail, zoomed back, to ``image``."""
    from ..ops.resize import resize_image, zoom_detail

    h, w = image.shape[:2]
    small = resize_image(image, base_width=max(1, round(w * scale)), height=max(1, round(h * scale)))
    detail = dream(small, dp.replace(jitter=max(0, round(dp.jitter * scale))), callback=callback)
    detail = detail.astype(np.float32) - small
    return as_uint8(np.asarray(image, np.float32) + zoom_detail(detail, (h, w)))


def enhance_presets() -> tuple[str | None, ...]:
    """The enhance presets ``mix`` knows (None: no preset), in the original's order."""
    from ..ops.enhance import ENHANCE_PRESETS

    return tuple(ENHANCE_PRESETS)


def texture_names() -> tuple[str, ...]:
    """The named textures (``fine``, ``strokes``, ``bold``), for the shells' lists."""
    from ..params.mix import TEXTURES

    return tuple(TEXTURES)


def mask_combinations() -> tuple[str, ...]:
    """The seven mask combinations the original offered, as ``mix`` spells them (``otsu+stdmean``...)."""
    from ..ops.masks import MASK_COMBINATIONS

    return tuple("+".join(names) for names in MASK_COMBINATIONS)


def painted_guide(src: np.ndarray, params: MixParams, *, model_file: str | None = None) -> np.ndarray:
    """The guide ``guide_model`` makes: the (resized) photo painted by a feed-forward style network."""
    from ..modelspec import file_label
    from ..params import StylizeParams
    from .stylize import stylize

    stylized = StylizeParams(model=params.guide_model if model_file is None else file_label(model_file),
                             device=params.device)
    return stylize(src, stylized, model_file=model_file).astype(np.float32)


#: how much photo a detected face's head, and its shoulders, keep with ``compose = "paint"`` (a lighter
#: painting; the shoulders' ellipse also covers what is beside them: at 0.8 a pale halo of the photo's
#: background showed around the cameraman, docs/look.png)
FACE_KEEP, SHOULDERS_KEEP = 0.8, 0.5
#: the shorter side below which ``painting`` enlarges the picture for the network
PAINT_MIN_SIDE = 64
#: how much of the photo's fine detail ``paint_blend`` adds to the painting, and the detail's scale
#: (measured with bench/look.py: +0.09 structure on the astronaut with the brick guide, -0.02 colour)
PAINT_DETAIL, DETAIL_SIGMA = 1.0, 1.5
#: how much of the photo's colour the subject keeps, a fraction of its keep weight (its light and shade keep
#: all of it; faces keep their colour): the painting's palette reaches the subject, which stays recognisable
#: by its shading (bench/look.py, 480 px: colour +0.02..+0.07 for every photo and guide, structure unchanged;
#: on faces the guide's hues blotched the skin, docs/look.png)
PAINT_CHROMA = 0.5


def painting(src: np.ndarray, guide: np.ndarray, params: MixParams) -> np.ndarray:
    """``compose = "paint"``'s painting: ``src`` painted by the ``arbitrary`` network, ``guide`` its style.

    At the picture's own size; a picture with a side under :data:`PAINT_MIN_SIDE` is painted
    enlarged to it and shrunk back (the network needs room for its strides).
    """
    from ..ops.resize import resize_image
    from ..params import StylizeParams
    from .stylize import stylize

    h, w = src.shape[:2]
    scale = max(1.0, PAINT_MIN_SIDE / min(h, w))
    work = src if scale == 1 else resize_image(src, base_width=round(w * scale), height=round(h * scale))
    style = np.array(guide, np.float32)  # a copy: a read-only guide (the window's cache) is fine
    painted = stylize(work, StylizeParams(model="arbitrary", device=params.device), style_image=style)
    return (painted if scale == 1 else resize_image(painted, base_width=w, height=h)).astype(np.float32)


#: the keep map is feathered on a copy of at most this longer side, then zoomed back (a Gaussian's cost grows
#: with its width: at 1920 px the full-size blurs took 7.7 of 12 s; bench/mix.py --growth)
FEATHER_SIDE = 480


def _feathered(parts: np.ndarray, sigma: float) -> np.ndarray:
    """Each channel of (M, N, C) ``parts`` blurred by a Gaussian of ``sigma`` px, on a copy of at most
    :data:`FEATHER_SIDE` px zoomed back (bilinear) when the picture is larger."""
    from scipy.ndimage import gaussian_filter

    from ..ops.resize import zoom_detail

    shape = parts.shape[:2]
    scale = max(shape) / FEATHER_SIDE
    work = parts if scale <= 1 else zoom_detail(parts, (max(1, round(shape[0] / scale)),
                                                       max(1, round(shape[1] / scale))))
    step = max(1.0, scale)
    out = np.stack([gaussian_filter(work[..., c], sigma / step) if work[..., c].any() else work[..., c]
                    for c in range(work.shape[2])], axis=-1)
    return out if scale <= 1 else zoom_detail(out, shape)


def keep_weights(src: np.ndarray, keep: np.ndarray, params: MixParams, *, photo: np.ndarray | None = None,
                 subject_shares: tuple[float, ...] = (1.0,)) -> list[np.ndarray]:
    """How much of the photo each pixel keeps with ``compose = "paint"``: one (M, N) float32 0..1 map
    per ``subject_shares`` entry.

    ``params.keep`` on the blend's keep map, ``FACE_KEEP`` on every detected face's head and
    ``SHOULDERS_KEEP`` on its shoulders (found on ``photo``, the photo as given; default ``src``), all
    feathered by a Gaussian of ``params.softness`` times the longer side (:func:`_feathered`), then
    refined by a guided filter of that radius (:func:`~prisma_abu.ops.guided.guided_filter`: the soft
    edge follows the photo's edges); 0 (the painting) elsewhere. A subject share scales the subject's
    and the shoulders' part, not the heads' (:data:`PAINT_CHROMA` gives the colour's weight: a face
    keeps its skin's colour).
    """
    from ..ops.guided import guided_filter
    from ..ops.color import to_grey
    from ..ops.faces import head_and_shoulders
    from .masking import face_boxes

    shape = src.shape[:2]
    sigma = params.softness * max(shape)
    soft = np.asarray(keep, np.float32)
    soft = soft / 255.0 if soft.max() > 1 else soft
    boxes = face_boxes(src if photo is None else photo, shape)
    parts = np.stack([soft, head_and_shoulders(shape, boxes, shoulders=False),
                      head_and_shoulders(shape, boxes, head=False)], axis=-1).astype(np.float32)
    if sigma > 0:
        parts = _feathered(parts, sigma)
    soft, heads, shoulders = (np.clip(parts[..., c], 0, 1) for c in range(3))
    grey = to_grey(src)
    out = []
    for share in subject_shares:
        weight = np.maximum.reduce([share * params.keep * soft, FACE_KEEP * heads,
                                    share * SHOULDERS_KEEP * shoulders]).astype(np.float32)
        if sigma >= 1 and weight.any():
            weight = guided_filter(grey, weight, round(sigma))
        out.append(weight)
    return out


def keep_weight(src: np.ndarray, keep: np.ndarray, params: MixParams, *,
                photo: np.ndarray | None = None, subject_share: float = 1.0) -> np.ndarray:
    """:func:`keep_weights`' map for one subject share."""
    return keep_weights(src, keep, params, photo=photo, subject_shares=(subject_share,))[0]


def paint_blend(src: np.ndarray, painted: np.ndarray, weight: np.ndarray,
                colour_weight: np.ndarray | None = None) -> np.ndarray:
    """The photo blended back into its painting, ``weight * src + (1 - weight) * painted``, and the
    photo's fine luminance detail (:data:`PAINT_DETAIL` times the photo's grey minus its Gaussian blur
    of :data:`DETAIL_SIGMA` px at 480 px) added over the whole, where the painting lost it, so the
    photo's edges survive everywhere without its colours.

    With ``colour_weight``, ``weight`` blends the luma (Rec. 601) and ``colour_weight`` the colour
    around it: ``painted + cw * (src - painted) + (weight - cw) * (luma(src) - luma(painted))``.
    """
    from scipy.ndimage import gaussian_filter

    w = weight[:, :, None]
    out = w * src + (1 - w) * painted
    if colour_weight is not None:
        cw = colour_weight[:, :, None]
        luma = (src - painted) @ np.array([0.299, 0.587, 0.114], np.float32)
        out = painted + cw * (src - painted) + (w - cw) * luma[:, :, None]
    if PAINT_DETAIL:
        grey = src.mean(axis=2, dtype=np.float32)
        detail = grey - gaussian_filter(grey, DETAIL_SIGMA * max(grey.shape) / 480)
        out += PAINT_DETAIL * (1 - w) * detail[:, :, None]
    return np.clip(out, 0, 255).astype(np.float32)


def mask_picture(source: np.ndarray, params: MixParams) -> np.ndarray:
    """The mask ``mix`` would use for ``source`` (resized as ``mix`` does), as an (M, N, 3) uint8 picture.

    With ``auto``, the mask ``auto`` chooses.
    """
    source = check_rgb(source, "source")
    src, _ = prepare_mix(source, None, params)
    params = resolve_params(source, src, params)
    return np.repeat(mix_mask(src, params, photo=source)[:, :, None], 3, axis=2)


def feature_picture(source: np.ndarray, params: MixParams) -> np.ndarray:
    """``source`` (resized as ``mix`` does) with its Harris corners (blue) and sub-pixel refinements (red +)."""
    from ..ops.color import to_grey
    from ..ops.draw import draw_features
    from ..ops.features import find_corners

    src, _ = prepare_mix(check_rgb(source, "source"), None, params)
    coords, subpix = find_corners(to_grey(src))
    return draw_features(src, coords, subpix)


def check_enhance(enhance: str | None) -> None:
    """Refuse an unknown enhance preset before any work, listing the valid ones."""
    from ..ops.enhance import ENHANCE_PRESETS

    if enhance not in ENHANCE_PRESETS and enhance != "None":
        raise InvalidParameterError(
            f"enhance: expected one of {', '.join(map(str, ENHANCE_PRESETS))}, got {enhance!r}")


def mix(source: np.ndarray, guide: np.ndarray | None = None, params: MixParams = MixParams(), *,
        mask: np.ndarray | None = None, plain_dream_without_guide: bool = True,
        guide_model_file: str | None = None,
        callback: Callback | None = None) -> MixResult:
    """abu's Prisma: the photo painted in the guide's manner, the photo kept where the mask (and a
    face) says — softly with ``compose="paint"``, the raw guide pasted elsewhere with ``"paste"`` — then dream.

    Parameters
    ----------
    source : (M, N, 3) ndarray
        The photo, RGB 0..255 (resized here to ``params.size``).
    guide : (P, Q, 3) ndarray, optional
        The guide picture. Without one, and with a layer, the result is a plain
        dream with ``iter_n = int(10 / rb_rate)`` (as the original's batches);
        with ``plain_dream_without_guide=False`` (the original PrismaWorker) or
        without a layer, the guide is black.
    params : MixParams
    mask : (M', N') ndarray, optional
        A ready mask for the resized source (replaces ``params.mask``).
    callback : callable, optional
        Dream progress, ``callback(octave, step, objective_value)``.

    Returns
    -------
    MixResult
    """
    check_enhance(params.enhance)
    check_mask_spec(params.mask)  # the mask asked for is checked even when auto chooses another
    source = check_rgb(source, "source")
    guide = None if guide is None else check_rgb(guide, "guide")
    src, gd = prepare_mix(source, guide, params)
    if params.guide_model is not None:
        if guide is not None:
            raise InvalidParameterError("guide_model: the guide is the photo painted by a style network; expected "
                                        "no guide picture with it")
        gd = painted_guide(src, params, model_file=guide_model_file)
    plain = gd is None and params.layer is not None and plain_dream_without_guide
    params = resolve_params(source, src, params, has_guide=not plain and mask is None)
    mask = mix_mask(src, params, mask=mask, photo=source)
    if plain:
        image = _amplify(src, params, int(10 / params.rb_rate), callback)
        return MixResult(image, mask, as_uint8(src), None, as_uint8(src), None, params)
    _check_windows(params, src.shape[:2])
    rng = np.random.default_rng(params.seed)
    keep = _keep(mask, params)
    weight = None
    if params.compose == "paint" and gd is not None:  # (no guide: the book's black guide, pasted)
        painted = gd if params.guide_model is not None else painting(src, guide, params)
        weight, colour = keep_weights(src, keep, params, photo=source, subject_shares=(1.0, PAINT_CHROMA))
        blended = paint_blend(src, painted, weight, colour)
    else:
        blended = _blend(src, gd, mask, params, rng)
    image = _amplify(blended.astype(np.float32), params, params.iter_n, callback)
    return MixResult(image, mask, as_uint8(src), None if gd is None else as_uint8(gd), blended, keep, params,
                     weight)
