#!/usr/bin/env python
"""(Re)generate every picture in ``sample/`` and ``prisma_gd/``.

The pictures are committed to the repository; this script documents how they
were made and rebuilds them byte for byte (fixed seeds, no timestamps, no
metadata). Run it from anywhere::

    python tools/make_pictures.py            # writes into the repository
    python tools/make_pictures.py --root DIR # writes DIR/sample, DIR/prisma_gd

Content photos (``sample/``) are scikit-image's bundled public-domain / CC0
photos, resized so that they are at most 640 pixels wide. Guide pictures
(``prisma_gd/``, 480x480) are either scikit-image's grey CC0 textures
coloured with a palette, or painterly pictures generated here:

* :func:`swirl_guide` -- line-integral convolution (LIC) of a field of
  vortices over white noise, coloured like a starry night;
* :func:`stained_glass_guide` -- a warped Voronoi mosaic with dark leading;
* :func:`brush_strokes_guide` -- thousands of brush strokes following a smooth
  flow field, painted over each other, with LIC bristle marks.

Every generator is an importable function taking ``size`` and ``seed`` and
returning an ``(size, size, 3)`` ``uint8`` array, so the tests can check
that the same seed gives the same picture. Only scikit-image data that ships
with the wheel is used (nothing is downloaded).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage
from scipy.spatial import cKDTree

__all__ = [
    "ROOT",
    "GUIDE_SIZE",
    "SAMPLE_MAX_WIDTH",
    "JPEG_QUALITY",
    "SAMPLES",
    "GUIDES",
    "smooth_noise",
    "lic",
    "lic_swirl",
    "apply_palette",
    "swirl_guide",
    "stained_glass_guide",
    "brush_strokes_guide",
    "texture_guide",
    "sample_photo",
    "save_jpeg",
    "main",
]

ROOT = Path(__file__).resolve().parent.parent
GUIDE_SIZE = 480
SAMPLE_MAX_WIDTH = 640
JPEG_QUALITY = 90

FloatImage = NDArray[np.float64]
RGB = NDArray[np.uint8]

# Palettes: lists of "#rrggbb" stops, dark to light.
STARRY_NIGHT = ["#0a1433", "#12307a", "#2a5db0", "#6c9bd2", "#cfe0d8", "#f4d35e", "#f6a623"]
BRICK = ["#2b0f0a", "#6e1f12", "#b2452a", "#d9804a", "#f0c27b", "#fbe7c0"]
GRASS = ["#0b2612", "#1f5a1c", "#4f8f23", "#a3c93a", "#f1e55c", "#fff8c4"]
BRICK_ACCENT = ["#16142e", "#3b2f6b", "#6b5aa6", "#c07fb0", "#f2b8a2", "#fff0d9"]
GRASS_ACCENT = ["#0d1f33", "#134e6f", "#1f8a8a", "#5cc7a0", "#c9f08a", "#ffffff"]
GRAVEL_ACCENT = ["#0b1d3a", "#16528c", "#1fa0b8", "#7fd6a8", "#e9f5a0", "#ffffff"]
GRAVEL = ["#1d1140", "#4b2a86", "#b03a8c", "#ef6f55", "#f7b74a", "#fbeec1"]
JEWELS = ["#9b1b30", "#1f4e9c", "#1d7a4a", "#e0a526", "#6a2c91", "#d4552b", "#2a9db5", "#c2185b"]
WATER_LILIES = ["#0f2a4a", "#1f6f78", "#3f9a52", "#9cc84b", "#f2d544", "#f08a5d", "#d94f8a", "#8a5cc4", "#3a6fd1"]


# --------------------------------------------------------------------------
# building blocks
# --------------------------------------------------------------------------


def _hex_to_rgb(colours: Sequence[str]) -> FloatImage:
    """Convert ``"#rrggbb"`` strings to an ``(n, 3)`` float array in [0, 1]."""
    return np.array(
        [[int(c[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] for c in colours],
        dtype=np.float64,
    )


def _normalise(a: FloatImage, low: float = 1.0, high: float = 99.0) -> FloatImage:
    """Stretch ``a`` so its ``low``..``high`` percentiles map to 0..1 (clipped)."""
    lo, hi = np.percentile(a, [low, high])
    if hi - lo < 1e-12:
        return np.zeros_like(a)
    return np.clip((a - lo) / (hi - lo), 0.0, 1.0)


def _to_uint8(rgb: FloatImage) -> RGB:
    """Clip a float RGB picture to [0, 1] and convert it to ``uint8``."""
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def smooth_noise(size: int, sigma: float, rng: np.random.Generator) -> FloatImage:
    """Gaussian-filtered white noise (periodic), stretched to [0, 1].

    Parameters
    ----------
    size : int
        Side of the square result, in pixels.
    sigma : float
        Standard deviation of the Gaussian, in pixels; larger is smoother.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` float array in [0, 1].
    """
    noise = rng.standard_normal((size, size))
    return _normalise(ndimage.gaussian_filter(noise, sigma, mode="wrap"), 0.5, 99.5)


def apply_palette(t: FloatImage, palette: Sequence[str]) -> FloatImage:
    """Map values in [0, 1] to colours by linear interpolation between stops.

    Parameters
    ----------
    t : numpy.ndarray
        ``(h, w)`` array of values in [0, 1].
    palette : sequence of str
        Colour stops ``"#rrggbb"``, evenly spaced from 0 to 1.

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` float RGB array in [0, 1].
    """
    stops = _hex_to_rgb(palette)
    xs = np.linspace(0.0, 1.0, len(stops))
    t = np.clip(t, 0.0, 1.0)
    return np.stack([np.interp(t, xs, stops[:, c]) for c in range(3)], axis=-1)


def lic(
    vx: FloatImage,
    vy: FloatImage,
    texture: FloatImage,
    length: int = 30,
    step: float = 1.0,
) -> FloatImage:
    """Line-integral convolution of ``texture`` along the field ``(vx, vy)``.

    Every pixel follows the streamline through it forwards and backwards for
    ``length`` steps (midpoint / RK2 integration, all pixels at once) and
    averages ``texture`` along the way with a Hann window. Samples are taken
    with bilinear interpolation (:func:`scipy.ndimage.map_coordinates`); the
    picture wraps around at its borders.

    Parameters
    ----------
    vx, vy : numpy.ndarray
        ``(h, w)`` components of the vector field (x to the right, y down);
        only their direction matters.
    texture : numpy.ndarray
        ``(h, w)`` or ``(h, w, c)`` picture to smear.
    length : int
        Number of steps in each direction.
    step : float
        Step length in pixels.

    Returns
    -------
    numpy.ndarray
        Float array shaped like ``texture``.
    """
    h, w = vx.shape
    mag = np.hypot(vx, vy) + 1e-12
    ux, uy = vx / mag, vy / mag
    channels = texture[..., None] if texture.ndim == 2 else texture
    n_channels = channels.shape[-1]

    def sample(field: FloatImage, y: FloatImage, x: FloatImage) -> FloatImage:
        return ndimage.map_coordinates(field, [y, x], order=1, mode="grid-wrap")

    y0, x0 = np.mgrid[0:h, 0:w].astype(np.float64)
    weights = np.hanning(2 * length + 3)[length + 1 :]  # weights[0] == 1 at the centre
    total = channels * weights[0]
    norm = weights[0]
    for direction in (1.0, -1.0):
        y, x = y0.copy(), x0.copy()
        h_step = direction * step
        for i in range(1, length + 1):
            # midpoint rule: half a step, then a full step with the slope there
            my = y + 0.5 * h_step * sample(uy, y, x)
            mx = x + 0.5 * h_step * sample(ux, y, x)
            dy, dx = sample(uy, my, mx), sample(ux, my, mx)
            n = np.hypot(dy, dx) + 1e-12
            y, x = y + h_step * dy / n, x + h_step * dx / n
            wgt = weights[i]
            for c in range(n_channels):
                total[..., c] += wgt * sample(channels[..., c], y, x)
            norm += wgt
    out = total / norm
    return out[..., 0] if texture.ndim == 2 else out


def _spaced_points(
    size: int, n: int, min_dist: float, rng: np.random.Generator
) -> NDArray[np.float64]:
    """``n`` random points in the square, no two closer than ``min_dist``.

    Dart throwing; the distance shrinks a little whenever a batch of darts
    fails, so the function always returns ``n`` points.
    """
    points: list[NDArray[np.float64]] = []
    while len(points) < n:
        for _ in range(200):
            p = rng.uniform(0, size, 2)
            if all(np.hypot(*(p - q)) >= min_dist for q in points):
                points.append(p)
                break
        else:
            min_dist *= 0.9
    return np.array(points)


def _vortex_field(
    size: int, rng: np.random.Generator, n_vortices: int, wind: float
) -> tuple[FloatImage, FloatImage, FloatImage, FloatImage]:
    """A sum of spiral vortices over a gentle wavy wind.

    Returns ``vx``, ``vy`` and the vortex centres ``cy``, ``cx`` (pixels).
    """
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    vx = np.full((size, size), wind)
    vy = wind * 0.35 * np.sin(2.0 * np.pi * (x / size * 1.5 + rng.random()))
    cy = rng.uniform(0.1, 0.9, n_vortices) * size
    cx = rng.uniform(0.1, 0.9, n_vortices) * size
    radius = rng.uniform(0.07, 0.16, n_vortices) * size
    spin = rng.choice([-1.0, 1.0], n_vortices) * rng.uniform(0.8, 1.4, n_vortices)
    for k in range(n_vortices):
        dy, dx = y - cy[k], x - cx[k]
        r2 = dy * dy + dx * dx
        strength = spin[k] * radius[k] / (r2 + radius[k] ** 2) * np.exp(-r2 / (3.0 * radius[k]) ** 2)
        strength *= size / 8.0
        vx += strength * (-dy - 0.15 * dx)
        vy += strength * (dx - 0.15 * dy)
    return vx, vy, cy, cx


def _swirl_streaks(
    size: int, rng: np.random.Generator, length: int | None
) -> tuple[FloatImage, FloatImage, FloatImage]:
    """LIC of a vortex field over half-resolution white noise, plus the centres."""
    if length is None:
        length = int(np.clip(size // 16, 4, 30))
    vx, vy, cy, cx = _vortex_field(size, rng, n_vortices=5, wind=1.0)
    # noise at half resolution: thicker, paint-like streaks
    half = max(size // 2, 2)
    noise = rng.random((half, half))
    noise = ndimage.zoom(noise, size / half, order=1, mode="grid-wrap", grid_mode=True)
    noise = noise[:size, :size]
    return _normalise(lic(vx, vy, noise, length=length)), cy, cx


def lic_swirl(size: int, seed: int, length: int | None = None) -> FloatImage:
    """Grey LIC of a field of vortices over white noise, in [0, 1].

    This is the grey layer of :func:`swirl_guide`.

    Parameters
    ----------
    size : int
        Side of the square result, in pixels.
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    length : int, optional
        Streamline steps in each direction (default: ``size // 16``, 4 to 30).

    Returns
    -------
    numpy.ndarray
        ``(size, size)`` float array in [0, 1].
    """
    streaks, _, _ = _swirl_streaks(size, np.random.default_rng(seed), length)
    return streaks


# --------------------------------------------------------------------------
# guide pictures
# --------------------------------------------------------------------------


def swirl_guide(size: int = GUIDE_SIZE, seed: int = 1889) -> RGB:
    """Van-Gogh-like swirls: LIC of vortices, blue sky with glowing yellow stars.

    Parameters
    ----------
    size : int
        Side of the square picture, in pixels.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        ``(size, size, 3)`` ``uint8`` RGB picture.
    """
    rng = np.random.default_rng(seed)
    streaks, cy, cx = _swirl_streaks(size, rng, None)
    # glow: yellow halos around a few vortex centres plus some small stars
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    glow = np.zeros((size, size))
    for k in range(len(cy)):
        r = np.hypot(y - cy[k], x - cx[k]) / size
        glow += np.exp(-((r / 0.06) ** 2)) * (1.0 if k < 3 else 0.5)
    for _ in range(8):
        sy, sx = rng.uniform(0, size, 2)
        r = np.hypot(y - sy, x - sx) / size
        glow += 0.7 * np.exp(-((r / 0.025) ** 2))
    base = smooth_noise(size, size / 6.0, rng)
    t = 0.55 * streaks + 0.25 * base + 0.55 * np.clip(glow, 0.0, 1.0)
    return _to_uint8(apply_palette(_normalise(t, 0.5, 99.8), STARRY_NIGHT))


def stained_glass_guide(size: int = GUIDE_SIZE, seed: int = 1248) -> RGB:
    """Stained glass: warped Voronoi cells in jewel tones with dark leading.

    Parameters
    ----------
    size : int
        Side of the square picture, in pixels.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        ``(size, size, 3)`` ``uint8`` RGB picture.
    """
    rng = np.random.default_rng(seed)
    n_cells = 110
    points = _spaced_points(size, n_cells, 0.6 * size / np.sqrt(n_cells), rng)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    # wobble the lookup so the leading is hand-cut, not ruler-straight
    wobble = size / 60.0
    wy = (smooth_noise(size, size / 24.0, rng) - 0.5) * 2.0 * wobble
    wx = (smooth_noise(size, size / 24.0, rng) - 0.5) * 2.0 * wobble
    query = np.stack([(y + wy).ravel(), (x + wx).ravel()], axis=1)
    dist, idx = cKDTree(points).query(query, k=2)
    d1 = dist[:, 0].reshape(size, size)
    cell = idx[:, 0].reshape(size, size)
    # distance to the bisector of the two nearest seeds = to the cell border
    gap = np.linalg.norm(points[idx[:, 0]] - points[idx[:, 1]], axis=1)
    edge = ((dist[:, 1] ** 2 - dist[:, 0] ** 2) / (2.0 * gap + 1e-12)).reshape(size, size)

    jewels = _hex_to_rgb(JEWELS)
    colours = jewels[rng.integers(0, len(jewels), n_cells)]
    colours = np.clip(colours * rng.uniform(0.85, 1.2, (n_cells, 1)), 0.0, 1.0)
    rgb = colours[cell]
    # light falls through the glass: brighter at the cell centre
    light = 1.15 - 0.45 * np.clip(d1 / (size / np.sqrt(n_cells)), 0.0, 1.0)
    grain = 0.92 + 0.16 * smooth_noise(size, 1.5, rng)
    streak = 0.9 + 0.2 * smooth_noise(size, size / 10.0, rng)
    rgb = rgb * (light * grain * streak)[..., None]
    # leading: a dark band along every cell border, softly anti-aliased
    lead_w = max(size / 240.0, 0.75)
    lead = np.clip(edge - lead_w, 0.0, 1.0)
    lead_colour = np.array([0.08, 0.07, 0.06])
    rgb = rgb * lead[..., None] + lead_colour * (1.0 - lead[..., None])
    return _to_uint8(rgb)


def brush_strokes_guide(size: int = GUIDE_SIZE, seed: int = 1872) -> RGB:
    """Impressionist brush strokes laid along a smooth flow field.

    A few thousand strokes start at random points and follow the flow
    (streamlines integrated for all strokes at once); each is stamped as a
    chain of discs into a label image where later strokes cover earlier ones
    (``numpy.maximum.at``). A stroke takes its colour from a smooth field
    mapped through a water-lily palette, with a little jitter, and a fine LIC
    noise along the flow adds the bristle marks.

    Parameters
    ----------
    size : int
        Side of the square picture, in pixels.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        ``(size, size, 3)`` ``uint8`` RGB picture.
    """
    rng = np.random.default_rng(seed)
    scale = size / GUIDE_SIZE
    angle = smooth_noise(size, size / 5.0, rng) * 2.5 * np.pi
    vx, vy = np.cos(angle), np.sin(angle)
    where = smooth_noise(size, size / 7.0, rng)
    background = apply_palette(ndimage.gaussian_filter(where, 3.0, mode="wrap"), WATER_LILIES)

    n_strokes = max(int(3200 * scale * scale), 16)
    n_steps = max(int(round(16 * scale)), 2)
    step = 1.5
    y = rng.uniform(0, size, n_strokes)
    x = rng.uniform(0, size, n_strokes)
    radius = rng.choice([2, 3, 4, 5], n_strokes, p=[0.2, 0.35, 0.3, 0.15])
    radius = np.maximum(np.round(radius * scale), 1).astype(int)
    pick = where[y.astype(int) % size, x.astype(int) % size]
    pick = np.clip(pick + rng.normal(0.0, 0.07, n_strokes), 0.0, 1.0)
    colours = apply_palette(pick[None, :], WATER_LILIES)[0]
    colours = np.clip(colours * rng.uniform(0.8, 1.2, (n_strokes, 1)), 0.0, 1.0)

    def sample(field: FloatImage, yy: FloatImage, xx: FloatImage) -> FloatImage:
        return ndimage.map_coordinates(field, [yy, xx], order=1, mode="grid-wrap")

    path_y, path_x = [y], [x]
    for _ in range(n_steps):
        dy, dx = sample(vy, y, x), sample(vx, y, x)
        y, x = y + step * dy, x + step * dx
        path_y.append(y)
        path_x.append(x)
    py = np.stack(path_y, axis=1)  # (n_strokes, n_steps + 1)
    px = np.stack(path_x, axis=1)

    label = np.full((size, size), -1, dtype=np.int64)
    ids = np.broadcast_to(np.arange(n_strokes)[:, None], py.shape)
    for r in np.unique(radius):
        oy, ox = np.mgrid[-r : r + 1, -r : r + 1]
        disc = oy * oy + ox * ox <= r * r + r * 0.5
        oy, ox = oy[disc], ox[disc]
        mine = radius == r
        sy = (np.round(py[mine]).astype(int)[..., None] + oy) % size
        sx = (np.round(px[mine]).astype(int)[..., None] + ox) % size
        sid = np.broadcast_to(ids[mine][..., None], sy.shape)
        np.maximum.at(label, (sy.ravel(), sx.ravel()), sid.ravel())

    painted = label >= 0
    rgb = background.copy()
    rgb[painted] = colours[label[painted]]
    bristle = _normalise(lic(vx, vy, rng.random((size, size)), length=max(int(8 * scale), 2)))
    # the edges of strokes are a touch darker: there the label changes
    edges = np.zeros((size, size), dtype=bool)
    edges[:, 1:] |= label[:, 1:] != label[:, :-1]
    edges[1:, :] |= label[1:, :] != label[:-1, :]
    shade = 1.0 - 0.18 * ndimage.gaussian_filter(edges.astype(np.float64), 0.8, mode="wrap")
    rgb = rgb * ((0.78 + 0.38 * bristle) * shade)[..., None]
    return _to_uint8(rgb)


def texture_guide(
    name: str,
    palette: Sequence[str],
    accent: Sequence[str],
    size: int = GUIDE_SIZE,
    seed: int = 0,
    soften: float = 0.0,
) -> RGB:
    """A grey scikit-image texture, contrast-equalised and coloured.

    The grey levels are mapped through two palettes, ``palette`` and
    ``accent``, mixed by a smooth random field so that the colour drifts
    across the picture like paint would.

    Parameters
    ----------
    name : str
        Name of a function of :mod:`skimage.data` returning a grey picture
        (``"brick"``, ``"grass"``, ``"gravel"``).
    palette, accent : sequence of str
        Colour stops ``"#rrggbb"``, dark to light.
    size : int
        Side of the square result, in pixels.
    seed : int
        Seed of :func:`numpy.random.default_rng` (the mixing field).
    soften : float
        Standard deviation of a Gaussian blur of the grey levels, in pixels
        (0: none); tames pixel-level detail (and the JPEG size).

    Returns
    -------
    numpy.ndarray
        ``(size, size, 3)`` ``uint8`` RGB picture.
    """
    import skimage.data
    from skimage import exposure

    rng = np.random.default_rng(seed)
    grey = getattr(skimage.data, name)()
    grey = np.asarray(Image.fromarray(grey).resize((size, size), Image.Resampling.LANCZOS))
    t = exposure.equalize_adapthist(grey, clip_limit=0.02)
    if soften > 0.0:
        t = ndimage.gaussian_filter(t, soften)
    mix = smooth_noise(size, size / 8.0, rng)
    mix = np.clip((mix - 0.35) / 0.3, 0.0, 1.0)[..., None]
    rgb = apply_palette(t, palette) * (1.0 - mix) + apply_palette(t, accent) * mix
    return _to_uint8(rgb)


def sample_photo(name: str, max_width: int = SAMPLE_MAX_WIDTH) -> RGB:
    """One of scikit-image's bundled colour photos, at most ``max_width`` wide.

    Parameters
    ----------
    name : str
        Name of a function of :mod:`skimage.data` returning an RGB picture.
    max_width : int
        Wider pictures are shrunk (Lanczos) to this width, keeping the aspect.

    Returns
    -------
    numpy.ndarray
        ``(h, w, 3)`` ``uint8`` RGB picture.
    """
    import skimage.data

    rgb = np.asarray(getattr(skimage.data, name)())[..., :3]
    h, w = rgb.shape[:2]
    if w <= max_width:
        return np.ascontiguousarray(rgb)
    new_h = int(round(h * max_width / w))
    img = Image.fromarray(rgb).resize((max_width, new_h), Image.Resampling.LANCZOS)
    return np.asarray(img)


def save_jpeg(rgb: RGB, path: Path, quality: int = JPEG_QUALITY) -> None:
    """Write ``rgb`` as a baseline JPEG with no metadata (reproducible bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).convert("RGB").save(
        path, format="JPEG", quality=quality, subsampling=2, optimize=False, progressive=False
    )


# content photos: output stem -> skimage.data function name
SAMPLES: dict[str, str] = {
    "astronaut": "astronaut",
    "chelsea": "chelsea",
    "coffee": "coffee",
    "rocket": "rocket",
    "hubble": "hubble_deep_field",
}

# guide pictures: output stem -> zero-argument maker
GUIDES: dict[str, Callable[[], RGB]] = {
    "brick": lambda: texture_guide("brick", BRICK, BRICK_ACCENT, GUIDE_SIZE, seed=7),
    "grass": lambda: texture_guide("grass", GRASS, GRASS_ACCENT, GUIDE_SIZE, seed=11, soften=0.7),
    "gravel": lambda: texture_guide("gravel", GRAVEL, GRAVEL_ACCENT, GUIDE_SIZE, seed=13, soften=0.6),
    "swirl": lambda: swirl_guide(GUIDE_SIZE, seed=1889),
    "stained_glass": lambda: stained_glass_guide(GUIDE_SIZE, seed=1248),
    "strokes": lambda: brush_strokes_guide(GUIDE_SIZE, seed=1872),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Write every sample and guide picture; print one line per file.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status (0).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="folder that receives sample/ and prisma_gd/"
    )
    parser.add_argument(
        "--only", nargs="*", default=None, help="stems to (re)generate (default: all)"
    )
    args = parser.parse_args(argv)
    wanted = set(args.only) if args.only else None
    if wanted is not None and not wanted <= set(SAMPLES) | set(GUIDES):
        unknown = ", ".join(sorted(wanted - set(SAMPLES) - set(GUIDES)))
        parser.error(f"unknown stem(s) {unknown}; expected: {', '.join([*SAMPLES, *GUIDES])}")
    for stem, fname in SAMPLES.items():
        if wanted is None or stem in wanted:
            path = args.root / "sample" / f"{stem}.jpg"
            save_jpeg(sample_photo(fname), path)
            print(f"{path}  {path.stat().st_size // 1024} KB")
    for stem, make in GUIDES.items():
        if wanted is None or stem in wanted:
            path = args.root / "prisma_gd" / f"{stem}.jpg"
            save_jpeg(make(), path)
            print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
