"""Speed of abu's Prisma mix at 480 px, the networks already loaded.

Prints medians of ``--repeats`` runs, in one process:

* the default mix now (``compose="paint"``: the photo painted by the arbitrary
  network with the guide as its style, ``auto``'s subject and the faces kept
  through a soft keep map, no dream), chelsea at 480 px with its aspect, warm
  (the photo's subject and faces remembered, as in the window) and cold (a new
  photo each time: nothing remembered); its parts: the painting, the face
  search, the keep map; and the saliency mask alone (class activation map +
  cleaning, nothing cached);
* the book's mix (``MixParams.book()``: 480x480, Otsu mask, amplification on
  efficientnet_lite0, 10 iterations x 4 octaves), the masks + blend alone,
  and beside them the original's convolve2d formulation of the blend.

* with ``--growth``: the default mix of one photo at 960 and at 1920 px, interleaved, and the ratio
  (pixels x4; issue 21's goal: time x4.5 at most).

Goals on a 2-core machine: default mix <= 1.0 s (issue 19), saliency mask <= 100 ms,
the book's masks + blend <= 20 ms.

    python bench/mix.py [--repeats 5] [--threads N] [--growth]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time

import numpy as np

from prisma_abu import pipeline
from prisma_abu.pipeline import masking

_mix_module = importlib.import_module("prisma_abu.pipeline.mix")  # (pipeline.mix is the function)
from prisma_abu.io import read_image
from prisma_abu.neural.backbones import load_backbone
from prisma_abu.ops.blend_reference import blend_convolved_reference
from prisma_abu.ops.color import to_grey
from prisma_abu.ops.masks import mask_otsu
from prisma_abu.params import MixParams


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def growth(repeats: int) -> None:
    """The default mix at 960 and 1920 px (the astronaut enlarged to 2048 px), interleaved, warm."""
    from PIL import Image
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((2048, 2048), Image.Resampling.LANCZOS), np.float32)
    guide = read_image("prisma_gd/swirl.jpg")
    pipeline.mix(photo, guide, MixParams(size=480))  # warm-up
    times: dict[int, list[float]] = {960: [], 1920: []}
    for _ in range(repeats):
        for size in times:
            start = time.perf_counter()
            pipeline.mix(photo, guide, MixParams(size=size))
            times[size].append(time.perf_counter() - start)
    small, large = (statistics.median(times[size]) for size in (960, 1920))
    print(f"default mix, medians of {repeats} interleaved: 960 px {small:.2f} s, 1920 px {large:.2f} s, "
          f"x{large / small:.2f} for x4 pixels (goal <= x4.5)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--growth", action="store_true", help="only the 960 -> 1920 px growth of the default mix")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.growth:
        growth(args.repeats)
        return
    source = read_image("sample/chelsea.jpg")
    guide = read_image("prisma_gd/swirl.jpg")
    default = MixParams()  # auto + the default texture
    result = pipeline.mix(source, guide, default)  # warm-up (loads both networks)
    params = MixParams.book()  # the book's: otsu, n 5/25/120, efficientnet_lite0, 10 x 4, a 480 square
    load_backbone(params.backbone)
    pipeline.mix(source, guide, params)  # warm-up

    def saliency():
        masking._CACHE.clear()
        masking.subject_mask(source, result.image.shape[:2])

    def cold():
        masking._CACHE.clear()
        masking._FACES.clear()
        pipeline.mix(source, guide, default)

    def faces():
        masking._FACES.clear()
        masking.face_boxes(source, result.image.shape[:2])

    now = _median(lambda: pipeline.mix(source, guide, default), args.repeats)
    now_cold = _median(cold, args.repeats)
    src0, _ = pipeline.prepare_mix(source, guide, default)
    paint = _median(lambda: _mix_module.painting(src0, guide, default), args.repeats)
    face = _median(faces, args.repeats)
    weight = _median(lambda: _mix_module.keep_weights(src0, result.keep, result.params, photo=source,
                                                        subject_shares=(1.0, _mix_module.PAINT_CHROMA)), args.repeats)
    sal = _median(saliency, args.repeats)
    src, gd = pipeline.prepare_mix(source, guide, params)

    def masks_and_blend():
        mask = pipeline.mix_mask(src, params)
        _mix_module._blend(src, gd, mask, params, np.random.default_rng(0))

    def reference_blend():
        mask = mask_otsu(to_grey(src))
        blend_convolved_reference(src, gd, mask, n1=params.n1, n2=params.n2, n3=params.n3,
                                  rb_rate=params.rb_rate, convd_median_factor=params.convd_median_factor,
                                  convd_big_factor=params.convd_big_factor, rng=np.random.default_rng(0))

    whole = _median(lambda: pipeline.mix(source, guide, params), args.repeats)
    fast = _median(masks_and_blend, args.repeats)
    ref = _median(reference_blend, max(1, min(2, args.repeats)))
    no_dream = _median(lambda: pipeline.mix(source, guide, params.replace(layer=None)), args.repeats)
    import torch

    h, w = result.image.shape[:2]
    print(f"mix, medians of {args.repeats}, {torch.get_num_threads()} torch threads")
    print(f"  default mix {w}x{h} (paint, auto), warm       {now:8.3f} s   goal <= 1.0 s")
    print(f"  default mix, cold (subject and faces found)  {now_cold:8.3f} s")
    print(f"    {pipeline.describe_choices(result.params)}")
    print(f"  the painting (arbitrary network)          {paint * 1000:8.1f} ms")
    print(f"  the face search                           {face * 1000:8.1f} ms")
    print(f"  the keep map (feathered, faces)           {weight * 1000:8.1f} ms")
    print(f"  saliency mask (classifier + cleaning)    {sal * 1000:8.1f} ms   goal <= 100 ms")
    print(f"the book's mix 480x480, efficientnet_lite0 layer {pipeline.prisma_layer(params.backbone)}, "
          f"precision {params.precision}")
    print(f"  whole mix (resize, mask, blend, dream)  {whole:8.3f} s   the default mix is {whole / now:4.1f}x faster")
    print(f"  mix without the dream                    {no_dream * 1000:8.1f} ms")
    print(f"  masks + blend                            {fast * 1000:8.1f} ms   goal <= 20 ms")
    print(f"  original convolve2d masks + blend        {ref * 1000:8.1f} ms   ratio {ref / fast:6.0f}x slower")


if __name__ == "__main__":
    main()
