"""Speed of abu's Prisma mix at 480x480, the network already loaded.

Prints medians of ``--repeats`` runs, in one process: the whole ``mix`` with
its defaults (Otsu mask, a guide, amplification on efficientnet_lite0, 10
iterations x 4 octaves), the masks + blend alone, and beside them the
original's convolve2d formulation of the blend. Goals: whole mix <= 1.0 s,
masks + blend <= 20 ms on a 2-core machine.

    python bench/mix.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from prisma_abu import pipeline
from prisma_abu.io import read_image
from prisma_abu.neural.backbones import load_backbone
from prisma_abu.ops.blend import blend_convolved_reference
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    source = read_image("sample/chelsea.jpg")
    guide = read_image("prisma_gd/swirl.jpg")
    params = MixParams()  # the defaults: otsu, n 5/25/120, efficientnet_lite0, 10 x 4
    load_backbone(params.backbone)
    pipeline.mix(source, guide, params)  # warm-up
    src, gd = pipeline.prepare_mix(source, guide, params)

    def masks_and_blend():
        mask = pipeline.mix_mask(src, params)
        pipeline._blend(src, gd, mask, params, np.random.default_rng(0))

    def reference_blend():
        mask = mask_otsu(to_grey(src))
        blend_convolved_reference(src, gd, mask, n1=params.n1, n2=params.n2, n3=params.n3,
                                  rb_rate=params.rb_rate, convd_median_factor=params.convd_median_factor,
                                  convd_big_factor=params.convd_big_factor, rng=np.random.default_rng(0))

    whole = _median(lambda: pipeline.mix(source, guide, params), args.repeats)
    fast = _median(masks_and_blend, args.repeats)
    ref = _median(reference_blend, max(1, min(2, args.repeats)))
    no_dream = _median(lambda: pipeline.mix(source, guide, params.replace(layer=None)), args.repeats)
    print(f"mix 480x480, efficientnet_lite0 layer {pipeline.prisma_layer(params.backbone)}, "
          f"precision {params.precision}, medians of {args.repeats}")
    print(f"  whole mix (resize, mask, blend, dream)  {whole:8.3f} s   goal <= 1.0 s")
    print(f"  mix without the dream                    {no_dream * 1000:8.1f} ms")
    print(f"  masks + blend                            {fast * 1000:8.1f} ms   goal <= 20 ms")
    print(f"  original convolve2d masks + blend        {ref * 1000:8.1f} ms   ratio {ref / fast:6.0f}x slower")


if __name__ == "__main__":
    main()
