"""Classical picture operations: numpy, scipy, scikit-image and Pillow only (no torch).

Images are ``(M, N, 3)`` float32 RGB in 0..255, grey pictures ``(M, N)``
float32 in [0, 1] and masks ``(M, N)`` uint8 in 0..255, unless stated.
Functions take arrays, return new arrays and never write to their inputs.
"""

from prisma_abu.ops.blend import (
    blend_convolved,
    blend_convolved_reference,
    box_sum,
    convolved_keep,
    keep_rates,
)
from prisma_abu.ops.color import (
    as_uint8,
    check_grey,
    check_mask,
    check_number,
    check_rgb,
    to_grey,
)
from prisma_abu.ops.draw import draw_features
from prisma_abu.ops.enhance import ENHANCE_FACTORS, ENHANCE_PRESETS, enhance_image
from prisma_abu.ops.masks import (
    MASK_COMBINATIONS,
    MASK_NAMES,
    MASKS,
    apply_spots,
    dilation_count,
    feature_region,
    find_corners,
    make_mask,
    mask_features,
    mask_otsu,
    mask_stdmean,
    parse_mask_spec,
)
from prisma_abu.ops.resize import resize_image, target_size

__all__ = [
    "ENHANCE_FACTORS",
    "ENHANCE_PRESETS",
    "MASKS",
    "MASK_COMBINATIONS",
    "MASK_NAMES",
    "apply_spots",
    "as_uint8",
    "blend_convolved",
    "blend_convolved_reference",
    "box_sum",
    "check_grey",
    "check_mask",
    "check_number",
    "check_rgb",
    "convolved_keep",
    "dilation_count",
    "draw_features",
    "enhance_image",
    "feature_region",
    "find_corners",
    "keep_rates",
    "make_mask",
    "mask_features",
    "mask_otsu",
    "mask_stdmean",
    "parse_mask_spec",
    "resize_image",
    "target_size",
    "to_grey",
]
