"""He, Sun and Tang's guided filter (2010): a soft map's edges snapped to a photo's.

(OpenCV has one only in its contrib build, ``cv2.ximgproc``; the filter is four box means, written here
with :func:`scipy.ndimage.uniform_filter`.)
"""

from __future__ import annotations

import numpy as np

from prisma_abu.errors import InvalidParameterError

__all__ = ["guided_filter"]


def guided_filter(guide: np.ndarray, p: np.ndarray, radius: int, eps: float = 1e-3) -> np.ndarray:
    """He, Sun and Tang's guided filter: ``p`` smoothed so that its edges follow ``guide``'s.

    Parameters
    ----------
    guide : (M, N) ndarray
        Grey picture in [0, 1] (the photo).
    p : (M, N) ndarray
        The map to refine (a soft keep map, 0..1).
    radius : int
        The window's half side in pixels (>= 1).
    eps : float
        Regularisation: below the guide's local variance an edge is followed.

    Returns
    -------
    (M, N) ndarray of float32, clipped to 0..1
    """
    from scipy.ndimage import uniform_filter

    guide = np.asarray(guide, np.float32)
    p = np.asarray(p, np.float32)
    if guide.shape != p.shape or guide.ndim != 2:
        raise InvalidParameterError(f"guided_filter: expected two (M, N) maps of one size, got {guide.shape} "
                                    f"and {p.shape}")
    size = 2 * max(1, int(radius)) + 1

    def box(x: np.ndarray) -> np.ndarray:
        return uniform_filter(x, size, mode="reflect")

    mean_i, mean_p = box(guide), box(p)
    a = (box(guide * p) - mean_i * mean_p) / (box(guide * guide) - mean_i * mean_i + eps)
    b = mean_p - a * mean_i
    return np.clip(box(a) * guide + box(b), 0.0, 1.0).astype(np.float32)
