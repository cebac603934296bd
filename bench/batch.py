"""Batch throughput: one worker against two, and the batch machinery's cost per picture.

A 40-picture grid (2 sources x 4 guides x 5 enhance presets) at base_width
320 with the default amplification (efficientnet_lite0, its Prisma layer) runs
through :func:`prisma_abu.batch.run_batch` with 1 worker (in this process)
and with 2 loky workers, interleaved ``--repeats`` times (the first 2-worker
run includes the pool's start-up; later ones reuse it). Printed:
pictures per second, the 2-worker speed-up (goal >= 1.7 on 2 cores), and the
overhead per picture beside the compute: wall time minus the render times the
workers measured (divided by the workers), per picture. A second grid of
no-op-sized pictures (32 px, no dream) shows the machinery alone, and one
picture rendered with 1 and with 2 torch threads gives the ceiling of the
2-worker speed-up (two 1-thread workers against one 2-thread process). The
machine may be shared: the figures are ratios taken in one process, minutes
apart.

    python bench/batch.py [--width 320] [--enhances 5] [--repeats 3] [--skip-noop]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from prisma_abu.batch import Experiment, expand, run_batch
from prisma_abu.data import guide_path, sample_path

SOURCES = ("chelsea", "coffee")
GUIDES = ("swirl", "strokes", "stained_glass", "brick")
ENHANCES = (None, "Sharpness", "Contrast", "Color", "EDGES")


def grid(out: Path, *, width: int, enhances: int, layer: str | None = "auto") -> list:
    """The benchmark's items: sources x guides x enhance presets."""
    experiment = Experiment(
        inputs={"source": [str(sample_path(s)) for s in SOURCES], "guide": [str(guide_path(g)) for g in GUIDES]},
        out=out, params={"base_width": width, "layer": layer, "n3": min(120, width)},
        grid={"enhance": list(ENHANCES[:enhances])})
    return expand(experiment)


def timed(items: list, folder: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, summed render seconds) of one fresh batch."""
    start = time.perf_counter()
    report = run_batch(items, folder, jobs=jobs)
    wall = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"bench: {len(report.failed)} pictures failed: {report.failed[0].error}")
    return wall, sum(r.seconds for r in report.results)


def overhead_ms(wall: float, render: float, jobs: int, n: int) -> float:
    """Wall time not explained by rendering (spread over ``jobs`` workers), per picture."""
    return 1000 * (wall - render / jobs) / n


def thread_scaling(item, repeats: int = 3) -> tuple[float, float]:
    """Median render seconds of one picture with 1 and with 2 torch threads (interleaved)."""
    import torch

    from prisma_abu.jobs import render

    before, times = torch.get_num_threads(), {1: [], 2: []}
    render(item.job)  # warm: network loaded, kernels chosen
    for _ in range(repeats):
        for threads in (1, 2):
            torch.set_num_threads(threads)
            start = time.perf_counter()
            render(item.job)
            times[threads].append(time.perf_counter() - start)
    torch.set_num_threads(before)
    return statistics.median(times[1]), statistics.median(times[2])


def report_runs(items: list, out: Path, repeats: int) -> None:
    """Interleaved runs with 1 and 2 workers; the first 2-worker run starts the pool (cold)."""
    n = len(items)
    walls: dict[int, list[float]] = {1: [], 2: []}
    for repeat in range(repeats):
        for jobs in (1, 2):
            wall, render = timed(items, out / f"r{repeat}-jobs{jobs}", jobs)
            walls[jobs].append(wall)
            state = " (cold pool)" if jobs == 2 and repeat == 0 else ""
            print(f"  jobs={jobs}: {wall:6.1f} s wall  {n / wall:6.3f} pictures/s  render {render / n:5.2f} "
                  f"s/picture  overhead {overhead_ms(wall, render, jobs, n):6.1f} ms/picture{state}")
    one, two = statistics.median(walls[1]), statistics.median(walls[2][1:] or walls[2])
    print(f"  2 workers / 1 worker: x{one / two:.2f} pictures/s (median; x{one / walls[2][0]:.2f} with the "
          f"pool start-up) (goal >= 1.7)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--enhances", type=int, default=5, choices=range(1, 6))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-noop", action="store_true")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="prisma_bench_") as tmp:
        out = Path(tmp)
        items = grid(out, width=args.width, enhances=args.enhances)
        n = len(items)
        print(f"batch bench: {n} pictures ({len(SOURCES)} sources x {len(GUIDES)} guides x {args.enhances} "
              f"enhance) at base_width {args.width}, efficientnet_lite0 Prisma layer; {cores} cores; "
              f"load average {os.getloadavg()[0]:.1f}")
        report_runs(items, out, args.repeats)
        one, two = thread_scaling(items[0])
        print(f"  one picture: {one:.2f} s with 1 torch thread, {two:.2f} s with 2: a 2-worker ceiling of "
              f"x{2 * two / one:.2f} over 1 worker (2 threads) before any batch overhead")
        if not args.skip_noop:
            noop = grid(out / "noop", width=32, enhances=args.enhances, layer=None)
            for jobs in (1, 2):
                wall, render = timed(noop, out / f"noop{jobs}", jobs)
                print(f"  no-op pictures (32 px, no dream), jobs={jobs}: {1000 * wall / n:6.1f} ms/picture wall, "
                      f"{overhead_ms(wall, render, jobs, n):6.1f} ms/picture beside the render (goal < 50)")
        print(f"  load average at the end {os.getloadavg()[0]:.1f} (other processes share the cores)")


if __name__ == "__main__":
    main()
