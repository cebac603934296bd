"""``make demo``: render real pictures from sample/ and prisma_gd/ into a folder.

Run as ``python -m prisma_abu.demo OUT_DIR`` (``--quick``: one small picture
per verb, in seconds: what the wheel's test runs). Prints each picture's path
and the seconds it took; every picture carries its parameters (``prisma-abu
replay`` renders it again).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Iterator

from .errors import PrismaAbuError
from .jobs import Job, run_job
from .params import DreamParams, MixParams, StyleParams, StylizeParams

__all__ = ["demo_jobs", "quick_jobs", "demo_style", "demo_batch", "DEMO_STYLE_PARAMS", "QUICK_SIZE", "main"]

#: :func:`demo_style`'s parameters: 150 iterations at 128 px, 50 at 256 px, and
#: 20 times neural-style's content weight, so the cat survives the swirl (with
#: neural-style's 5 this VGG16 paints the swirl alone).
DEMO_STYLE_PARAMS = StyleParams(size=256, content_weight=100.0, scales=2, scale_iterations=(150, 50),
                                print_iter=0, save_iter=0)


def demo_jobs() -> Iterator[tuple[str, Job]]:
    """(output file name, job) for every demo picture."""
    from .data import guide_images, sample_images

    samples = sample_images()
    guides = guide_images()
    for src in samples[:3]:
        yield (f"dream_{src.stem}.png",
               Job("dream", DreamParams(size=480), {"image": str(src), "guide": None}))
    src = samples[0]
    yield (f"dream_{src.stem}_vgg16_relu4_2.png",
           Job("dream", DreamParams(backbone="vgg16", layers=("relu4_2",), size=400, octave_n=3),
               {"image": str(src), "guide": None}))
    yield (f"dream_{src.stem}_guided_{guides[0].stem}.png",
           Job("dream", DreamParams(size=480, objective="guide", layers=("blocks.5",)),
               {"image": str(src), "guide": str(guides[0])}))
    for src in samples[:2]:  # the Prisma look: auto finds the subject, the default texture
        yield (f"mix_{src.stem}_{guides[-1].stem}_auto.png",
               Job("mix", MixParams(), {"source": str(src), "guide": str(guides[-1])}))
    for src, guide, params in (  # the book's recipes, as given (auto off)
        (samples[1], guides[-1], MixParams(auto=False, mask="otsu", n2=38, n3=1, convd_median_factor=0.6,
                                           convd_big_factor=0.0)),
        (samples[2], guides[1], MixParams(auto=False, mask="otsu+features", dd=False, n2=88, n3=1,
                                          convd_median_factor=1.5, convd_big_factor=0.0, enhance="Sharpness")),
        (samples[0], guides[2], MixParams(auto=False, mask="stdmean", rb_rate=0.88, n3=1, convd_big_factor=0.0)),
    ):
        yield (f"mix_{src.stem}_{guide.stem}.png", Job("mix", params, {"source": str(src), "guide": str(guide)}))
    for src, model in ((samples[0], "multistyle26:7"), (samples[2], "multistyle26:3=0.5,12=0.5")):
        yield (f"stylize_{src.stem}_{model.replace(':', '_').replace('=', '-').replace(',', '_')}.png",
               Job("stylize", StylizeParams(model=model, size=512), {"photo": str(src)}))
    yield (f"mix_{samples[1].stem}_stylized.png",
           Job("mix", MixParams(guide_model="multistyle26:7"), {"source": str(samples[1]), "guide": None}))
    swirl = next(g for g in guides if g.stem == "swirl")
    yield (f"stylize_{samples[1].stem}_arbitrary_{swirl.stem}.png",
           Job("stylize", StylizeParams(model="arbitrary", size=512, strength=0.85),
               {"photo": str(samples[1]), "style_image": str(swirl)}))


#: the longer side of ``--quick``'s pictures
QUICK_SIZE = 96


def quick_jobs() -> Iterator[tuple[str, Job]]:
    """(output file name, job): one small picture per verb (dream, mix as the README's, stylize), in seconds."""
    from .data import guide_path, sample_path

    chelsea, swirl = str(sample_path("chelsea")), str(guide_path("swirl"))
    yield ("dream_chelsea.png", Job("dream", DreamParams(size=QUICK_SIZE, iter_n=2, octave_n=2),
                                    {"image": chelsea, "guide": None}))
    yield ("mix_chelsea_swirl.png", Job("mix", MixParams(size=QUICK_SIZE), {"source": chelsea, "guide": swirl}))
    yield ("stylize_chelsea_multistyle26_7.png",
           Job("stylize", StylizeParams(model="multistyle26:7", size=QUICK_SIZE), {"photo": chelsea}))


def demo_style(out_dir: str | Path) -> Path:
    """Render one small style transfer (chelsea in the style of swirl, 256 px) into ``out_dir``.

    Goes through :func:`prisma_abu.jobs.run_job`, so the picture carries its
    parameters (``prisma-abu replay`` renders it again). About 30 s on two
    cores: :data:`DEMO_STYLE_PARAMS`.

    Returns
    -------
    Path
        ``out_dir / "style_chelsea_swirl.png"``.
    """
    from .data import guide_path, sample_path

    inputs = {"content": str(sample_path("chelsea")), "style0": str(guide_path("swirl"))}
    job = Job("style", DEMO_STYLE_PARAMS, inputs)
    return run_job(job, Path(out_dir) / "style_chelsea_swirl.png")


def demo_batch(out_dir: str | Path, *, jobs: int = 2, progress=None) -> list[Path]:
    """A small real batch for ``make demo``: chelsea × 3 guides × 2 layers × 2 presets at 320 px.

    Writes into ``out_dir`` directly (no date level) with its manifest,
    ``contact_sheet.png`` and ``index.html``; a second call skips what is there.

    Returns
    -------
    list of Path
        The 12 pictures, then the contact sheet(s) and ``index.html``.

    Raises
    ------
    PrismaAbuError
        If any picture failed (the first reasons are in the message).
    """
    from .batch import Experiment, expand, run_batch
    from .data import guide_path, sample_path

    experiment = Experiment(
        inputs={"source": [str(sample_path("chelsea"))],
                "guide": [str(guide_path(name)) for name in ("swirl", "strokes", "stained_glass")]},
        out=out_dir, jobs=jobs,
        params={"size": 320, "mask": "otsu", "n2": 38, "n3": 1, "convd_median_factor": 0.6,
                "convd_big_factor": 0.0},
        grid={"layer": ["blocks.1", "blocks.2"], "enhance": [None, "Sharpness"]})
    report = run_batch(expand(experiment), out_dir, jobs=jobs, progress=progress)
    if report.failed:
        reasons = "; ".join(f"{r.item.output}: {r.error}" for r in report.failed[:3])
        raise PrismaAbuError(f"demo batch: {len(report.failed)} pictures failed ({reasons})")
    return [*report.paths(), *report.sheets, *([report.index] if report.index else [])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prisma_abu.demo", description="Render the demo pictures "
                                     "(each carries its parameters: prisma-abu replay renders it again).")
    parser.add_argument("out", nargs="?", default="out/demo", metavar="OUT_DIR", help="default: out/demo")
    parser.add_argument("--quick", action="store_true",
                        help=f"one small picture per verb ({QUICK_SIZE} px), in seconds, instead of the whole demo")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out)
    total = time.perf_counter()
    try:
        for name, job in quick_jobs() if args.quick else demo_jobs():
            start = time.perf_counter()
            path = run_job(job, out / name)
            print(f"{path}  ({time.perf_counter() - start:.1f} s)")
        if not args.quick:
            _style_and_batch(out)
    except PrismaAbuError as exc:
        print(f"prisma_abu.demo: error: {exc}", file=sys.stderr)
        return 2
    print(f"demo: done in {time.perf_counter() - total:.1f} s; replay any picture with "
          f"`prisma-abu replay PICTURE -o NEW.png`")
    return 0


def _style_and_batch(out: Path) -> None:
    start = time.perf_counter()
    path = demo_style(out)
    print(f"{path}  (style transfer, {time.perf_counter() - start:.1f} s)")
    start = time.perf_counter()
    written = demo_batch(out / "batch")
    print(f"{out / 'batch'}: {len(written) - 2} pictures, contact sheet and index.html "
          f"({time.perf_counter() - start:.1f} s)")
    for path in written[-2:]:
        print(path)


if __name__ == "__main__":
    sys.exit(main())
