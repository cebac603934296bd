"""Faces in a photo, found without a download: OpenCV's bundled Haar cascades, frontal and profile.

The saliency classifier has no "person" class, so people are where it fails;
this detector finds faces so that a face can always count as subject, and
:func:`head_and_shoulders` turns each into the region a portrait keeps.

Why OpenCV's cascades (opencv-python-headless ships them in ``cv2.data``):
besides frontal faces they find profiles, which scikit-image's one LBP
frontal cascade misses — scikit-image's cameraman looks through his camera
in profile and was lost. A profile cascade sees faces turned one way, so the
mirrored picture is searched too. On every scikit-image and bundled photo
without a person they find nothing (tests/ops/test_faces.py).
"""

from __future__ import annotations

import numpy as np

from prisma_abu.ops.color import check_rgb, to_grey

__all__ = ["detect_faces", "head_and_shoulders", "CASCADES", "FACE_SIDE"]

Box = tuple[int, int, int, int]

#: the cascades asked (file names in ``cv2.data.haarcascades``), each with the detections that must agree
#: and whether the mirrored picture is searched too (a profile cascade sees faces turned one way).
#: Chosen on scikit-image's and the bundled photos, each at four sizes: ``frontalface_default`` finds a
#: second "face" on the astronaut's suit and faces in the coins at any agreement that keeps her face;
#: ``frontalface_alt`` with 5 and ``profileface`` with 4 find only the astronaut's and the cameraman's.
CASCADES = (("haarcascade_frontalface_alt.xml", 5, False), ("haarcascade_profileface.xml", 4, True))
#: faces are looked for on the picture resized to this longer side (the cascades' hits depend on the
#: scale: at 400-480 px they find "faces" in coins and on the moon, at 320 px only the real ones; ~0.1 s)
FACE_SIDE = 320
_LOADED: dict[str, object] = {}


def _overlap(a: Box, b: Box) -> float:
    """Intersection over the smaller box's area."""
    r0, c0 = max(a[0], b[0]), max(a[1], b[1])
    r1, c1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, r1 - r0) * max(0, c1 - c0)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))


def _cascade(name: str):
    import cv2

    if name not in _LOADED:
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
        if cascade.empty():  # pragma: no cover - a broken OpenCV install
            raise RuntimeError(f"OpenCV's {name} did not load from {cv2.data.haarcascades}")
        _LOADED[name] = cascade
    return _LOADED[name]


def detect_faces(image: np.ndarray, *, side: int = FACE_SIDE, min_share: float = 1 / 12, max_share: float = 0.9,
                 min_relative: float = 0.5) -> list[Box]:
    """Frontal and profile faces in an RGB picture (0..255) as ``(row, col, height, width)`` boxes in
    its own pixels, largest first.

    The picture is resized to a longer side of ``side`` (:data:`FACE_SIDE`; a smaller picture is
    used as it is), its grey histogram-equalised, and each of :data:`CASCADES` looks for faces from
    ``min_share`` to ``max_share`` of the shorter side (profiles both ways), where enough of its
    detections agree. Detections overlapping a larger one are dropped, and so are those smaller than
    ``min_relative`` times the largest's side (stray hits on a patch or a badge are small beside a
    real face).
    """
    import cv2

    from prisma_abu.ops.resize import resize_longer_side

    image = check_rgb(image)
    full_h, full_w = image.shape[:2]
    work = resize_longer_side(image, side) if max(full_h, full_w) > side else image
    grey = to_grey(work)
    h, w = grey.shape
    shorter = min(h, w)
    min_size = max(16, round(shorter * min_share))
    if shorter < min_size:
        return []
    grey = cv2.equalizeHist(np.ascontiguousarray(np.round(grey * 255).astype(np.uint8)))
    mirrored = np.ascontiguousarray(grey[:, ::-1])
    largest = (int(shorter * max_share),) * 2
    found: list[Box] = []
    for name, agree, both_ways in CASCADES:
        views = ((grey, False), (mirrored, True)) if both_ways else ((grey, False),)
        for view, flipped in views:
            hits = _cascade(name).detectMultiScale(view, scaleFactor=1.1, minNeighbors=agree,
                                                   minSize=(min_size, min_size), maxSize=largest)
            for x, y, bw, bh in (tuple(int(v) for v in hit) for hit in hits):
                found.append((y, w - x - bw if flipped else x, bh, bw))
    kept: list[Box] = []
    for box in sorted(found, key=lambda b: (-b[2] * b[3], b)):
        if kept and box[2] < min_relative * kept[0][2]:
            continue
        if all(_overlap(box, other) < 0.3 for other in kept):
            kept.append(box)
    sr, sc = full_h / h, full_w / w
    return [(round(r * sr), round(c * sc), max(1, round(bh * sr)), max(1, round(bw * sc))) for r, c, bh, bw in kept]


def _ellipse(shape: tuple[int, int], centre: tuple[float, float], radii: tuple[float, float]) -> np.ndarray:
    rows = (np.arange(shape[0], dtype=np.float32)[:, None] - centre[0]) / max(radii[0], 1e-3)
    cols = (np.arange(shape[1], dtype=np.float32)[None, :] - centre[1]) / max(radii[1], 1e-3)
    return rows * rows + cols * cols <= 1.0


def head_and_shoulders(shape: tuple[int, int], boxes: list[Box], *, head: bool = True,
                       shoulders: bool = True) -> np.ndarray:
    """A (M, N) = ``shape`` boolean map of each face box's head (hair and chin included) and shoulders.

    The head is an ellipse 1.5 face-widths wide and 1.6 face-heights tall
    around the face, the shoulders one 3.2 widths wide from the chin down
    1.6 heights (cut by the picture's border): the region a portrait keeps.
    ``head=False`` or ``shoulders=False`` leaves that part out.
    """
    out = np.zeros(shape, bool)
    for r, c, h, w in boxes:
        cy, cx = r + 0.45 * h, c + 0.5 * w
        if head:
            out |= _ellipse(shape, (cy, cx), (0.8 * h, 0.75 * w))
        if shoulders:
            out |= _ellipse(shape, (r + 1.9 * h, cx), (0.9 * h, 1.6 * w))
    return out
