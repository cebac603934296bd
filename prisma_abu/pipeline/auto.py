"""``mix``'s ``auto``: the subject found, the mask and blend chosen for this photo.

The Prisma chapter's retrospective says the blend's parameters must adapt to
the picture. This does it by measuring, not by a table of photos:

1. the subject: :func:`subject_mask` (the embedded EfficientNet-Lite0's
   class activation map of its top classes, sharpened by colour contrast and
   cleaned, :mod:`prisma_abu.ops.regions`);
2. for each candidate mask (``saliency``, ``saliency+otsu`` and ``otsu`` on
   either side of the threshold when there is a subject; ``stdmean`` and
   ``otsu`` when there is none), blend windows and thresholds set from the
   mask's own density, so that the photo is kept where at least half of a
   medium window is in the mask;
3. the final keep map of each (what the blend really keeps) scored by:
   little of the picture's border, a sensible share of the picture
   (:data:`KEEP_SHARE`: the guide must show), and with a subject one main
   region and agreement (intersection over union) with it;
4. the best candidate, and the texture (``texture="auto"``) from the
   subject's size: ``fine`` for a small subject or none, ``strokes``
   otherwise.

With ``compose="paint"`` the painting covers the whole photo and the keep map
only says where the photo shows through it: the mask is the subject
(``saliency``, windows from its density) or, without one, ``none`` (the
painting everywhere), and the texture is the painting's own (no dream).

:func:`auto_params` returns the parameters with those choices written in
(``auto`` off), so a picture stores them and replays them exactly;
:func:`describe_choices` says them in one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..params import TEXTURES, MixParams
from .masking import NO_MASK, SALIENCY, SALIENCY_BACKBONE, mix_mask, subject_mask

__all__ = ["subject_mask", "auto_params", "describe_choices", "blend_for_mask", "AutoReport", "auto_report",
           "SALIENCY_BACKBONE", "SUBJECT_SHARE", "KEEP_SHARE", "resolve_params"]

#: a subject is a region covering this share of the picture (below: none found; above: not a subject)
SUBJECT_SHARE = (0.02, 0.75)
#: the share of the picture the photo should keep (the rest shows the guide)
KEEP_SHARE = (0.03, 0.5)
#: below this share of the picture a subject gets the ``fine`` texture
SMALL_SUBJECT = 0.08

def blend_for_mask(mask: np.ndarray, *, fine: bool = False) -> dict[str, Any]:
    """Blend windows and thresholds that keep the photo where ``mask`` is dense.

    ``n1`` ~ 1 %, ``n2`` ~ 3 % of the longer side (``fine``: 1 %, for masks
    of many small regions), ``n3`` a quarter of the shorter; the medium
    threshold keeps a pixel when at least half of its ``n2`` window is in
    the mask (``0.5 / density``, the density being the mask's mean over
    255), the large one draws a rim ``n1`` wide around dense regions
    (``0.6 / density``).
    """
    h, w = mask.shape
    density = float(np.asarray(mask, dtype=np.float64).mean()) / 255.0
    longer, shorter = max(h, w), min(h, w)
    factor = (lambda x: float(min(1000.0, round(x / max(density, 1e-3), 2))))
    return {"n1": max(1, round(longer / 96)), "n2": max(1, round(longer / (96 if fine else 32))),
            "n3": max(1, min(longer, round(shorter / 4))),
            "convd_median_factor": factor(0.5), "convd_big_factor": factor(0.6)}


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def _score(keep: np.ndarray, subject: np.ndarray | None) -> float:
    from ..ops.regions import region_measures

    r = region_measures(keep)
    if r.share == 0:
        return -10.0
    score = -2.0 * max(0.0, r.border - 0.25)
    score -= 4.0 * max(0.0, KEEP_SHARE[0] - r.share) / KEEP_SHARE[0] + 8.0 * max(0.0, r.share - KEEP_SHARE[1])
    if subject is not None:
        score += r.main_share + 2.0 * _iou(keep, subject)
    return score


@dataclass(frozen=True)
class AutoReport:
    """What ``auto`` measured and chose.

    Attributes
    ----------
    params : MixParams
        The parameters with the choices written in (``auto`` off, the texture named).
    subject_share : float
        The subject's share of the picture (0: none found).
    scores : dict
        Candidate mask -> its score (higher is better).
    """

    params: MixParams
    subject_share: float
    scores: dict[str, float]


def _candidates(has_subject: bool) -> list[tuple[str, dict[str, Any]]]:
    if has_subject:
        return [("saliency", {}), ("saliency+otsu", {"dd": True}), ("saliency+otsu", {"dd": False}),
                ("otsu", {"dd": True}), ("otsu", {"dd": False})]
    return [("stdmean", {"std_factor": 1.0}), ("stdmean", {"std_factor": 2.0}), ("otsu", {"dd": True}),
            ("otsu", {"dd": False})]


def auto_report(photo: np.ndarray, src: np.ndarray, params: MixParams) -> AutoReport:
    """Choose the mask, its side, the blend windows and thresholds (and the texture) for ``photo``.

    Parameters
    ----------
    photo : (P, Q, 3) ndarray
        The photo as given (the subject is found on it).
    src : (M, N, 3) ndarray
        The photo as ``mix`` resized it.
    params : MixParams
        The knobs asked for; only :attr:`MixParams.AUTO_KNOBS` (and
        ``texture="auto"``) change.
    """
    from ..ops.blend import convolved_keep
    from ..ops.regions import region_measures

    shape = src.shape[:2]
    subject = subject_mask(photo, shape)
    measures = region_measures(subject)
    has_subject = SUBJECT_SHARE[0] <= measures.share <= SUBJECT_SHARE[1] and measures.border <= 0.35
    inside = subject > 0 if has_subject else None
    base = params.replace(auto=False, cb=False, std_factor=1.0, loop_factor=1.0, dd=True)
    if params.compose == "paint":  # the painting is everywhere: the keep map is the subject, or nothing
        chosen = base.replace(mask=SALIENCY if has_subject else NO_MASK, **blend_for_mask(subject))
        return AutoReport(chosen, measures.share if has_subject else 0.0, {})
    scores: dict[str, float] = {}
    best: tuple[float, MixParams] | None = None
    for spec, knobs in _candidates(has_subject):
        trial = base.replace(mask=spec, **knobs)
        mask = mix_mask(src, trial, photo=photo)
        if not mask.any():
            continue
        for fine in (False, True):
            blend = blend_for_mask(mask, fine=fine)
            keep = convolved_keep(mask, **blend)
            score = round(_score(keep, inside), 4)
            label = spec + ("" if "otsu" not in spec else (" dd on" if trial.dd else " dd off")) + \
                (f" std {trial.std_factor:g}" if spec == "stdmean" else "") + f" n2 {blend['n2']}"
            scores[label] = score
            if best is None or score > best[0] + 0.02:  # a clear gain, else the broader window
                best = (score, trial.replace(**blend))
    chosen = best[1] if best is not None else base.replace(mask="saliency" if has_subject else "otsu",
                                                           **blend_for_mask(subject))
    if params.texture == "auto":
        small = not has_subject or measures.share < SMALL_SUBJECT
        chosen = chosen.replace(texture="fine" if small else "strokes")
    return AutoReport(chosen, measures.share if has_subject else 0.0, scores)


def auto_params(photo: np.ndarray, src: np.ndarray, params: MixParams) -> MixParams:
    """:func:`auto_report`'s parameters (``auto`` off, the choices written in)."""
    return auto_report(photo, src, params).params


def _texture_name(params: MixParams) -> str | None:
    values = {name: getattr(params, name) for name in TEXTURES["strokes"]}
    for name, preset in TEXTURES.items():
        if all(values.get(k) == v for k, v in preset.items()):
            return name
    return None


def describe_choices(params: MixParams) -> str:
    """One line saying what a mix used for its mask, blend and texture (for the CLI to print).

    ``params`` are the resolved parameters (``MixResult.params``, or a
    picture's stored ``params``), e.g. ``auto: mask saliency, n1 5, n2 15,
    n3 80, thresholds 1.48/1.78, texture strokes (vgg16 relu1_2, 6 steps x 2
    octaves at 0.5 size)``.
    """
    parts = [f"mask {params.mask}"]
    if "otsu" in params.mask:
        parts.append(f"dd {'on' if params.dd else 'off'}")
    if "stdmean" in params.mask:
        parts.append(f"std_factor {params.std_factor:g}")
    parts.append(f"n1 {params.n1}, n2 {params.n2}, n3 {params.n3}")
    parts.append(f"thresholds {params.convd_median_factor:g}/{params.convd_big_factor:g}")
    if params.layer is None:
        parts.append("no dream")
    else:
        name = _texture_name(params)
        scale = "" if params.dream_scale == 1 else f" at {params.dream_scale:g} size"
        what = f"{params.backbone} {params.layer}, {params.iter_n} steps x {params.octave_n} octaves{scale}"
        parts.append(f"texture {name} ({what})" if name else f"dream {what}")
    return "auto: " + ", ".join(parts)


def resolve_params(source: np.ndarray, src: np.ndarray, params: MixParams, *,
                   has_guide: bool = True) -> MixParams:
    """``params`` as ``mix`` renders them: ``auto``'s choices and the texture preset written in.

    ``source`` is the photo as given, ``src`` as ``mix`` resized it. Without
    a guide (a plain dream) nothing is masked, so ``auto`` chooses nothing
    (it is only switched off).
    """
    if params.auto:
        if has_guide and not params.all_mask:
            params = auto_params(source, src, params)
        else:
            params = params.replace(auto=False)
    return params.with_texture()
