"""``make demo``: render real pictures from sample/ and prisma_gd/ into a folder.

Run as ``python -m prisma_abu.demo OUT_DIR``. Prints each picture's path and
the seconds it took; every picture carries its parameters (``prisma-abu
replay`` renders it again).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Iterator

from .jobs import Job, run_job
from .params import DreamParams, MixParams

__all__ = ["demo_jobs", "main"]


def demo_jobs() -> Iterator[tuple[str, Job]]:
    """(output file name, job) for every demo picture."""
    from .data import guide_images, sample_images

    samples = sample_images()
    guides = guide_images()
    for src in samples[:3]:
        yield (f"dream_{src.stem}.png",
               Job("dream", DreamParams(width=480), {"image": str(src), "guide": None}))
    src = samples[0]
    yield (f"dream_{src.stem}_vgg16_relu4_2.png",
           Job("dream", DreamParams(backbone="vgg16", layers=("relu4_2",), width=400, octave_n=3),
               {"image": str(src), "guide": None}))
    yield (f"dream_{src.stem}_guided_{guides[0].stem}.png",
           Job("dream", DreamParams(width=480, objective="guide", layers=("blocks.5",)),
               {"image": str(src), "guide": str(guides[0])}))
    for src, guide, params in (
        (samples[1], guides[-1], MixParams(mask="otsu", n2=38, n3=1, convd_median_factor=0.6, convd_big_factor=0.0)),
        (samples[2], guides[1], MixParams(mask="otsu+features", dd=False, n2=88, n3=1,
                                          convd_median_factor=1.5, convd_big_factor=0.0, enhance="Sharpness")),
        (samples[0], guides[2], MixParams(mask="stdmean", rb_rate=0.88, n3=1, convd_big_factor=0.0)),
    ):
        yield (f"mix_{src.stem}_{guide.stem}.png", Job("mix", params, {"source": str(src), "guide": str(guide)}))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "out/demo")
    total = time.perf_counter()
    for name, job in demo_jobs():
        start = time.perf_counter()
        path = run_job(job, out / name)
        print(f"{path}  ({time.perf_counter() - start:.1f} s)")
    start = time.perf_counter()
    from .style import demo_style

    path = demo_style(out)
    print(f"{path}  (style transfer, {time.perf_counter() - start:.1f} s)")
    start = time.perf_counter()
    from .batch import demo_batch

    written = demo_batch(out / "batch")
    print(f"{out / 'batch'}: {len(written) - 2} pictures, contact sheet and index.html "
          f"({time.perf_counter() - start:.1f} s)")
    for path in written[-2:]:
        print(path)
    print(f"demo: done in {time.perf_counter() - total:.1f} s; replay any picture with "
          f"`prisma-abu replay PICTURE -o NEW.png`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
