"""The look of mix, measured (issue 19): per unseen photo and guide, the book's (--compose paste) and
the default (--compose paint).

structure: 20th percentile over a 6x6 grid of the photo's and the output's Sobel edge correlation
(ops.measure.structure_everywhere, at 160 px; goal >= 0.30); structured: the same over the cells
where the photo has structure (edges at least 1/4 of the median cell's: a clear sky has none); face: the same correlation inside the
largest detected face (ops.faces; goal >= 0.60); colour: 1 - d(out, guide) / d(photo, guide) with
d the sliced Wasserstein distance in Lab (goal >= 0.50); seconds: the mix call.

    .venv/bin/python bench/look.py [--size 480] [--photos astronaut,camera] [--guides swirl,...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from prisma_abu.ops.faces import detect_faces
from prisma_abu.ops.measure import colour_moved, edge_correlation, structure_everywhere
from prisma_abu.params import MixParams
from prisma_abu.pipeline.mix import mix

ROOT = Path(__file__).resolve().parents[1]


def photo(name: str) -> np.ndarray:
    im = data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(data, name)()
    return (np.repeat(im[:, :, None], 3, axis=2) if im.ndim == 2 else im[:, :, :3]).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=480)
    ap.add_argument("--photos", default="astronaut,camera,coins,immunohistochemistry,motorcycle")
    ap.add_argument("--guides", default=",".join(p.stem for p in sorted((ROOT / "prisma_gd").glob("*.jpg"))))
    args = ap.parse_args()
    print("| photo | guide | compose | structure | structured | face | colour | seconds |\n"
          "|---|---|---|---|---|---|---|---|")
    for pname in args.photos.split(","):
        ph = photo(pname)
        for gname in args.guides.split(","):
            gd = np.asarray(Image.open(ROOT / "prisma_gd" / f"{gname}.jpg").convert("RGB"), np.float32)
            for compose in ("paste", "paint"):
                t = time.perf_counter()
                r = mix(ph, gd, MixParams(size=args.size, compose=compose))
                sec = time.perf_counter() - t
                src, out = r.source.astype(np.float32), r.image.astype(np.float32)
                faces = detect_faces(src)
                face = f"{edge_correlation(src, out, faces[0]):.2f}" if faces else "-"
                print(f"| {pname} | {gname} | {compose} | {structure_everywhere(src, out):.2f} | "
                      f"{structure_everywhere(src, out, min_edges=0.25):.2f} | {face} | "
                      f"{colour_moved(src, out, r.guide.astype(np.float32)):.2f} | {sec:.2f} |", flush=True)


if __name__ == "__main__":
    main()
