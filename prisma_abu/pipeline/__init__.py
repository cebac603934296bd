"""Where the classical ops and the networks meet: arrays and params in, arrays out.

``dream`` runs a DeepDream (:mod:`.dream`); ``mix`` is abu's Prisma (:mod:`.mix`);
``style`` is Gatys style transfer with neural-style's options (:mod:`.style`);
``stylize`` the fast feed-forward networks (:mod:`.stylize`).
Nothing here reads or writes files. The verbs are re-exported here, so
``from prisma_abu.pipeline import mix`` keeps working; the modules are
``prisma_abu.pipeline.dream`` etc. (``from prisma_abu.pipeline.mix import MixResult``).
"""

from __future__ import annotations

from .auto import AutoReport, auto_report, describe_choices, resolve_params
from .dream import as_uint8, check_rgb, dream, resolve_layers
from .masking import SALIENCY, check_mask_spec, mix_mask, subject_mask, uses_saliency
from .mix import (PRISMA_LAYERS, MixResult, check_enhance, enhance_presets, feature_picture, mask_combinations,
                  mask_picture, mix, prepare_mix, prisma_layer, texture_names)
from .style import StyleMonitor, style
from .stylize import stylize, stylize_frames

__all__ = ["dream", "mix", "style", "stylize", "stylize_frames", "MixResult", "StyleMonitor", "check_enhance",
           "check_mask_spec", "mix_mask", "mask_picture", "feature_picture", "prepare_mix", "enhance_presets",
           "mask_combinations", "PRISMA_LAYERS", "prisma_layer", "resolve_layers", "as_uint8", "check_rgb",
           "describe_choices", "auto_report", "AutoReport", "subject_mask", "resolve_params", "texture_names",
           "uses_saliency", "SALIENCY"]
