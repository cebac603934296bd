"""Faces in a photo, found without a download: scikit-image's bundled LBP frontal-face cascade.

The saliency classifier has no "person" class, so people are where it fails;
this detector finds frontal faces so that a face can always count as subject.
(scikit-image is already a dependency; OpenCV's Haar cascades would add profiles
and bodies but a new dependency.)
"""

from __future__ import annotations

import numpy as np

from prisma_abu.ops.color import check_rgb, to_grey

__all__ = ["detect_faces"]


def detect_faces(image: np.ndarray, *, min_size: int = 24, max_share: float = 0.9) -> list[tuple[int, int, int, int]]:
    """Frontal faces in an RGB picture (0..255) as ``(row, col, height, width)`` boxes,
    overlapping detections merged, largest first."""
    from skimage.data import lbp_frontal_face_cascade_filename
    from skimage.feature import Cascade

    grey = to_grey(check_rgb(image))
    h, w = grey.shape
    side = min(h, w)
    if side < min_size:
        return []
    detector = Cascade(lbp_frontal_face_cascade_filename())
    found = detector.detect_multi_scale(img=grey, scale_factor=1.2, step_ratio=1,
                                        min_size=(min_size, min_size),
                                        max_size=(int(side * max_share), int(side * max_share)),
                                        min_neighbor_number=4, intersection_score_threshold=0.5)
    boxes = sorted(((int(f["r"]), int(f["c"]), int(f["height"]), int(f["width"])) for f in found),
                   key=lambda b: -b[2] * b[3])
    return boxes
