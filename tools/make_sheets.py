"""Write the docs/ sheets of the Prisma look (issue 12).

    python tools/make_sheets.py textures [OUT.png]   # docs/textures.png: every embedded backbone's
                                                     # shallow layers, and the presets, on every photo
    python tools/make_sheets.py look [OUT.png]       # docs/look.png: every photo, its keep map, its
                                                     # default mix and its stylize with the swirl guide

textures: each photo's default blend (auto's mask, the swirl guide, no dream) at 320 px, then dreamed
on one shallow layer with the 0.1.0 dream (10 steps x 4 octaves, step 1.5), or with a texture preset;
each cell a 1:1 crop from the middle, so the grain is as it is in the picture. The seconds are those of
the dream on that photo, in this process (one torch thread).
look: per bundled photo and two scikit-image photos the defaults were not tuned on (the cameraman, in
profile, and the motorcycle), the photo at 480 px, the default mix's keep map (how much photo shows through
the painting), ``prisma-abu mix PHOTO --guide prisma_gd/swirl.jpg`` (every default) and
``prisma-abu stylize PHOTO --model arbitrary --style-image prisma_gd/swirl.jpg`` at the same size.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "hubble")
LAYERS = (("efficientnet_lite0", "stem"), ("efficientnet_lite0", "blocks.0"), ("efficientnet_lite0", "blocks.1"),
          ("efficientnet_lite0", "blocks.2"), ("efficientnet_lite0", "blocks.3"), ("vgg16", "relu1_1"),
          ("vgg16", "relu1_2"), ("vgg16", "relu2_1"), ("vgg16", "relu2_2"), ("vgg16", "relu3_1"))
CELL = (200, 130)
LABEL_W = 250


def _crop(image: np.ndarray, size=CELL) -> Image.Image:
    h, w = image.shape[:2]
    cw, ch = min(size[0], w), min(size[1], h)
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return Image.fromarray(np.uint8(image[y0:y0 + ch, x0:x0 + cw]))


def _save(sheet: Image.Image, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out, optimize=True)
    if out.stat().st_size > 1_400_000:  # the docs' limit: 256 colours, the same look
        sheet.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                      dither=Image.Dither.FLOYDSTEINBERG).save(out, optimize=True)
    return out


def textures(out: Path) -> Path:
    import torch

    from prisma_abu import pipeline
    from prisma_abu.io import read_image
    from prisma_abu.params import TEXTURES, DreamParams, MixParams

    torch.set_num_threads(1)
    guide = read_image(ROOT / "prisma_gd" / "swirl.jpg")
    blends = {}
    for name in PHOTOS:
        result = pipeline.mix(read_image(ROOT / "sample" / f"{name}.jpg"), guide, MixParams(size=320, layer=None))
        blends[name] = (result.blended, result.params)
    rows: list[tuple[str, list[np.ndarray], list[float]]] = [("the blend (no dream)", [b for b, _ in blends.values()],
                                                              [0.0] * len(PHOTOS))]
    for backbone, layer in LAYERS:
        dp = DreamParams(backbone=backbone, layers=(layer,), iter_n=10, octave_n=4, step_size=1.5)
        pipeline.dream(blends["chelsea"][0][:48, :48], dp.replace(iter_n=1, octave_n=1))  # load, warm up
        cells, seconds = [], []
        for name in PHOTOS:
            start = time.perf_counter()
            cells.append(pipeline.dream(blends[name][0], dp))
            seconds.append(time.perf_counter() - start)
        old = " (0.1.0 default)" if (backbone, layer) == ("efficientnet_lite0", "blocks.1") else ""
        rows.append((f"{backbone} {layer}{old}\n10 steps x 4 octaves", cells, seconds))
        print(f"{backbone} {layer}: {np.median(seconds):.2f} s", flush=True)
    for texture, preset in TEXTURES.items():
        cells, seconds = [], []
        for name in PHOTOS:
            blend, params = blends[name]
            params = params.replace(layer="auto", texture=texture).with_texture()
            start = time.perf_counter()
            cells.append(_mix_module()._amplify(blend.astype(np.float32), params, params.iter_n, None))
            seconds.append(time.perf_counter() - start)
        scale = "" if preset["dream_scale"] == 1 else f" at {preset['dream_scale']:g} size"
        rows.append((f"texture {texture}: {preset['backbone']} {preset['layer']}\n{preset['iter_n']} steps x "
                     f"{preset['octave_n']} octaves{scale}", cells, seconds))
        print(f"texture {texture}: {np.median(seconds):.2f} s", flush=True)
    width = LABEL_W + len(PHOTOS) * (CELL[0] + 4)
    sheet = Image.new("RGB", (width, 24 + len(rows) * (CELL[1] + 4)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    for i, name in enumerate(PHOTOS):
        draw.text((LABEL_W + i * (CELL[0] + 4) + 4, 4), name, fill=(0, 0, 0))
    for r, (label, cells, seconds) in enumerate(rows):
        y = 24 + r * (CELL[1] + 4)
        timing = f"\n{np.median(seconds):.2f} s a picture (median)" if any(seconds) else ""
        draw.multiline_text((6, y + 8), label + timing, fill=(0, 0, 0), spacing=4)
        for i, cell in enumerate(cells):
            sheet.paste(_crop(cell), (LABEL_W + i * (CELL[0] + 4), y))
    return _save(sheet, out)


def _mix_module():
    import importlib

    return importlib.import_module("prisma_abu.pipeline.mix")


def look(out: Path) -> Path:
    from prisma_abu import pipeline
    from prisma_abu.io import read_image
    from prisma_abu.params import MixParams, StylizeParams

    guide = read_image(ROOT / "prisma_gd" / "swirl.jpg")
    titles = ("photo", "keep map (white: the photo)", "mix PHOTO --guide swirl.jpg",
              "stylize --model arbitrary")
    tile = 240
    from skimage import data

    unseen = {"camera (unseen)": np.repeat(data.camera()[:, :, None], 3, axis=2),
              "motorcycle (unseen)": data.stereo_motorcycle()[0]}
    rows = []
    for name in PHOTOS + tuple(unseen):
        photo = unseen[name] if name in unseen else read_image(ROOT / "sample" / f"{name}.jpg")
        result = pipeline.mix(photo.astype(np.float32), guide, MixParams())
        keep = np.repeat(np.uint8(np.round(result.weight * 255))[:, :, None], 3, axis=2)
        painted = pipeline.stylize(result.source, StylizeParams(model="arbitrary"), style_image=guide)
        rows.append((name, [result.source, keep, result.image, painted], pipeline.describe_choices(result.params)))
        print(name, rows[-1][2], flush=True)
    heights = [int(tile * cells[0].shape[0] / cells[0].shape[1]) for _, cells, _ in rows]
    sheet = Image.new("RGB", (4 * (tile + 6) + 6, 26 + sum(h + 22 for h in heights)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    for i, title in enumerate(titles):
        draw.text((6 + i * (tile + 6), 6), title[:40], fill=(0, 0, 0))
    y = 26
    for (name, cells, note), h in zip(rows, heights):
        for i, cell in enumerate(cells):
            picture = Image.fromarray(np.uint8(cell)).resize((tile, h), Image.Resampling.LANCZOS)
            sheet.paste(picture, (6 + i * (tile + 6), y))
        draw.text((6, y + h + 4), f"{name}: {note}"[:160], fill=(60, 60, 60))
        y += h + 22
    return _save(sheet, out)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("textures", "look"):
        print(__doc__, file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT))
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / f"{argv[0]}.png"
    print((textures if argv[0] == "textures" else look)(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
