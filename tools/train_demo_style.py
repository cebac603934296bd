"""Train a small style network on the bundled photos and picture the result (docs/train_style_example.png).

The demo behind the docs picture: a width-0.25 TransformerNet (8/16/32
channels, 108,771 weights) trained on a 2-core CPU for about 20 minutes
(1,200 steps of two 96 px crops, one thread) on four of the bundled photos
(``sample/``) in the style of ``prisma_gd/swirl.jpg``; the fifth photo
(chelsea, never seen in training) is painted for the picture: photo | style |
result.  The docs run was 800 steps, then ``--steps 1200 --resume``, which
gives the same network as 1,200 steps in one go (resume is bit for bit).

Content weight 16 rather than Johnson's 1: with so few steps the style term
wins outright at 1 and the photo disappears into the texture (seen here with
1,000 steps at weight 1); Johnson's runs are 40,000 steps of four 256 px crops.

Usage::

    nice python tools/train_demo_style.py                 # the docs run (defaults)
    python tools/train_demo_style.py --steps 50 --out /tmp/demo   # a quick look

Progress is printed every ``--print-every`` steps; a checkpoint is kept in
the output folder, and ``--resume`` continues from it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from prisma_abu.data import guide_path, sample_path
from prisma_abu.neural.stylenets.train import train_style
from prisma_abu.neural.stylenets.transformer_net import save_model
from prisma_abu.params import TrainStyleParams

TRAIN = ("astronaut", "coffee", "rocket", "hubble")
SHOWN = "chelsea"
ROOT = Path(__file__).resolve().parent.parent


def _read(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)


def _fit(image: np.ndarray, height: int) -> Image.Image:
    pil = Image.fromarray(np.clip(image, 0, 255).round().astype(np.uint8))
    return pil.resize((round(pil.width * height / pil.height), height), Image.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--style", default=str(guide_path("swirl")))
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--image-size", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--learning-rate", type=float, default=2e-3)
    ap.add_argument("--content-weight", type=float, default=16.0,
                    help="16 (Johnson's default is 1): a short run keeps the photo only with more content weight")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: steadier on a shared 2-core machine)")
    ap.add_argument("--out", default=str(ROOT.parent / "i14b_out"),
                    help="folder for the checkpoint and the model (default: outside the repository)")
    ap.add_argument("--model", default=str(ROOT / "docs" / "models" / "swirl_small.pth"))
    ap.add_argument("--picture", default=str(ROOT / "docs" / "train_style_example.png"))
    ap.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    ap.add_argument("--print-every", type=int, default=25)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    style = _read(Path(args.style))
    photos = [_read(sample_path(name)) for name in TRAIN]
    params = TrainStyleParams(image_size=args.image_size, batch_size=args.batch_size, steps=args.steps,
                              width=args.width, learning_rate=args.learning_rate, seed=args.seed,
                              content_weight=args.content_weight,
                              precision="fp32", checkpoint_every=50)
    checkpoint = out / "train_demo.ckpt"
    start = time.perf_counter()

    def progress(step: int, losses: dict[str, float]) -> None:
        if step % args.print_every == 0 or step == params.steps:
            print(f"step {step}/{params.steps}  content {losses['content']:.4g}  style {losses['style']:.4g}  "
                  f"tv {losses['tv']:.4g}  ({time.perf_counter() - start:.0f} s)", flush=True)

    net = train_style(style, photos, params, callback=progress, checkpoint=checkpoint,
                      resume=checkpoint if args.resume else None, name=Path(args.model).stem)
    minutes = (time.perf_counter() - start) / 60
    model = Path(args.model)
    model.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, net, params)
    size = model.stat().st_size
    print(f"trained {params.steps} steps in {minutes:.1f} min; model {model} ({size / 1e6:.2f} MB)")
    if size > 2e6:
        kept = out / model.name
        model.replace(kept)
        print(f"model over 2 MB: moved to {kept}")

    photo = _read(sample_path(SHOWN))
    with torch.no_grad():
        result = net(torch.from_numpy(photo).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    height = photo.shape[0]
    tiles = [_fit(photo, height), _fit(style, height), _fit(result, height)]
    sheet = Image.new("RGB", (sum(t.width for t in tiles) + 16, height), "white")
    x = 0
    for tile in tiles:
        sheet.paste(tile, (x, 0))
        x += tile.width + 8
    Path(args.picture).parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.picture, optimize=True)
    print(f"picture {args.picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
