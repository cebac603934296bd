"""How a painting keeps its photo: structure, faces and colour, measured (issue 19).

- ``edge_correlation``: Pearson correlation of two pictures' Sobel edge maps.
- ``structure_everywhere``: that correlation in each cell of a grid over the
  picture, summarised by a low percentile (the worst cells: where the photo is lost).
- ``colour_moved``: how far the output's colours moved from the photo's toward the
  guide's, ``1 - d(out, guide) / d(photo, guide)`` with ``d`` the sliced Wasserstein
  distance between the pictures' Lab colours (1: the guide's colours, 0: the photo's).
"""

from __future__ import annotations

import numpy as np
from skimage.color import rgb2lab
from skimage.filters import sobel
from skimage.transform import resize

from prisma_abu.ops.color import check_rgb, to_grey

__all__ = ["edge_correlation", "structure_everywhere", "colour_moved", "sliced_wasserstein_lab"]


def _edges(image: np.ndarray) -> np.ndarray:
    return sobel(to_grey(check_rgb(image))).astype(np.float64)


def _same_size(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.shape[:2] == b.shape[:2]:
        return b
    return resize(b, a.shape[:2], order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a = a.ravel() - a.mean()
    b = b.ravel() - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return 0.0 if den == 0.0 else float((a * b).sum() / den)


def edge_correlation(photo: np.ndarray, output: np.ndarray, box: tuple[int, int, int, int] | None = None) -> float:
    """Correlation of the Sobel edge maps of ``photo`` and ``output`` (resized to the photo),
    within ``box = (row, col, height, width)`` when given; 0 where either is flat."""
    output = _same_size(photo, output)
    ea, eb = _edges(photo), _edges(output)
    if box is not None:
        r, c, h, w = box
        ea, eb = ea[r:r + h, c:c + w], eb[r:r + h, c:c + w]
    return _corr(ea, eb)


def structure_everywhere(photo: np.ndarray, output: np.ndarray, *, grid: int = 6, percentile: float = 20.0,
                         size: int = 160, min_edges: float = 0.0) -> float:
    """The ``percentile`` of the edge correlation over a ``grid`` x ``grid`` of cells, both
    pictures first scaled to a longer side of ``size`` px (the photo's aspect).

    With ``min_edges`` > 0 only the cells where the photo has structure count: those whose mean
    edge strength is at least ``min_edges`` times the median cell's (a clear sky's cells have
    nothing to keep: any painting of it correlates ~0 with its noise).
    """
    h, w = photo.shape[:2]
    scale = size / max(h, w)
    shape = (max(grid, round(h * scale)), max(grid, round(w * scale)))
    ea = _edges(resize(photo, shape, order=1, anti_aliasing=True, preserve_range=True).astype(np.float32))
    eb = _edges(resize(output, shape, order=1, anti_aliasing=True, preserve_range=True).astype(np.float32))
    rows = np.linspace(0, shape[0], grid + 1).astype(int)
    cols = np.linspace(0, shape[1], grid + 1).astype(int)
    boxes = [(slice(rows[i], rows[i + 1]), slice(cols[j], cols[j + 1])) for i in range(grid) for j in range(grid)]
    if min_edges > 0:
        strength = np.array([ea[box].mean() for box in boxes])
        boxes = [box for box, s in zip(boxes, strength) if s >= min_edges * np.median(strength)] or boxes
    return float(np.percentile([_corr(ea[box], eb[box]) for box in boxes], percentile))


def sliced_wasserstein_lab(a: np.ndarray, b: np.ndarray, *, projections: int = 64, samples: int = 4096,
                           seed: int = 0) -> float:
    """Sliced Wasserstein distance between the Lab colours of two RGB pictures (0..255)."""
    rng = np.random.default_rng(seed)

    def lab(x: np.ndarray) -> np.ndarray:
        px = rgb2lab(np.clip(check_rgb(x) / 255.0, 0, 1)).reshape(-1, 3)
        return px[rng.choice(len(px), samples)] if len(px) > samples else px

    pa, pb = lab(a), lab(b)
    dirs = rng.normal(size=(projections, 3))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    q = np.linspace(0, 1, 101)
    qa = np.quantile(pa @ dirs.T, q, axis=0)
    qb = np.quantile(pb @ dirs.T, q, axis=0)
    return float(np.mean(np.abs(qa - qb)))


def colour_moved(photo: np.ndarray, output: np.ndarray, guide: np.ndarray) -> float:
    """``1 - d(output, guide) / d(photo, guide)``, d = ``sliced_wasserstein_lab``: 1 when the
    output has the guide's colours, 0 when it has the photo's (negative: further away)."""
    base = sliced_wasserstein_lab(photo, guide)
    return 0.0 if base == 0.0 else 1.0 - sliced_wasserstein_lab(output, guide) / base
