"""Faces in a photo, found without a download: scikit-image's bundled LBP frontal-face cascade.

The saliency classifier has no "person" class, so people are where it fails;
this detector finds frontal faces so that a face can always count as subject,
and :func:`head_and_shoulders` turns each into the region a portrait keeps.
(scikit-image is already a dependency and its cascade is bundled; OpenCV's Haar
cascades would add profiles and bodies, but OpenCV is only an optional extra here.)
"""

from __future__ import annotations

import numpy as np

from prisma_abu.ops.color import check_rgb, to_grey

__all__ = ["detect_faces", "head_and_shoulders"]

Box = tuple[int, int, int, int]


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area."""
    r0, c0 = max(a[0], b[0]), max(a[1], b[1])
    r1, c1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, r1 - r0) * max(0, c1 - c0)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))


def detect_faces(image: np.ndarray, *, min_size: int = 24, max_share: float = 0.9, min_neighbors: int = 6,
                 min_relative: float = 0.5) -> list[Box]:
    """Frontal faces in an RGB picture (0..255) as ``(row, col, height, width)`` boxes, largest first.

    A face is kept where ``min_neighbors`` detections agree (4 found a face in the
    shelves of scikit-image's motorcycle photo; 6 still finds the astronaut's),
    detections overlapping a larger one are dropped, and so are those smaller
    than ``min_relative`` times the largest's side (the cascade's stray hits
    on a patch or a badge are small beside a real face).
    """
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
                                        min_neighbor_number=min_neighbors, intersection_score_threshold=0.5)
    boxes = sorted(((int(f["r"]), int(f["c"]), int(f["height"]), int(f["width"])) for f in found),
                   key=lambda b: -b[2] * b[3])
    kept: list[Box] = []
    for box in boxes:
        if kept and box[2] < min_relative * kept[0][2]:
            continue
        if all(_overlap(box, other) < 0.3 for other in kept):
            kept.append(box)
    return kept


def _ellipse(shape: tuple[int, int], centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    rows = (np.arange(shape[0], dtype=np.float32)[:, None] - centre[0]) / max(radii[0], 1e-3)
    cols = (np.arange(shape[1], dtype=np.float32)[None, :] - centre[1]) / max(radii[1], 1e-3)
    return rows * rows + cols * cols <= 1.0


def head_and_shoulders(shape: tuple[int, int], boxes: list[Box]) -> np.ndarray:
    """A (M, N) = ``shape`` boolean map of each face box's head (hair and chin included) and shoulders.

    The head is an ellipse 1.5 face-widths wide and 1.6 face-heights tall
    around the face, the shoulders one 3.2 widths wide from the chin down
    1.6 heights (cut by the picture's border): the region a portrait keeps.
    """
    out = np.zeros(shape, bool)
    for r, c, h, w in boxes:
        cy, cx = r + 0.45 * h, c + 0.5 * w
        out |= _ellipse(shape, (cy, cx), (0.8 * h, 0.75 * w))
        out |= _ellipse(shape, (r + 1.9 * h, cx), (0.9 * h, 1.6 * w))
    return out
