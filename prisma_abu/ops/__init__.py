"""Classical picture operations: numpy, scipy, scikit-image and Pillow only (no torch).

Images are ``(M, N, 3)`` float32 RGB in 0..255, grey pictures ``(M, N)``
float32 in [0, 1] and masks ``(M, N)`` uint8 in 0..255, unless stated.
Functions take arrays, return new arrays and never write to their inputs.

The names below load their module on first use (``lazy_loader``, as
scikit-image does): a command that only checks a colour array does not pay
for importing scipy.ndimage and scipy.stats (0.6 s).
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submod_attrs={
        "blend": ["blend_convolved", "box_sum", "convolved_keep", "keep_rates"],
        "blend_reference": ["blend_convolved_reference"],
        "color": ["as_uint8", "check_grey", "check_mask", "check_number", "check_rgb", "to_grey"],
        "draw": ["draw_features"],
        "enhance": ["ENHANCE_FACTORS", "ENHANCE_PRESETS", "enhance_image"],
        "guided": ["guided_filter"],
        "features": ["dilation_count", "feature_region", "find_corners", "mask_features"],
        "masks": ["MASK_COMBINATIONS", "MASK_NAMES", "MASKS", "make_mask", "mask_otsu", "mask_stdmean",
                  "parse_mask_spec"],
        "spots": ["apply_spots"],
        "resize": ["resize_image", "target_size"],
    },
)
