"""How fast does our default style transfer reach a plain reference's loss?

The reference is the PyTorch tutorial's recipe, which is neural-style's: one
scale, fp32, L-BFGS without line search (``line_search=False``),
``--ref-iters`` iterations, every one of them. Ours is ``StyleParams()``'s
defaults (coarse to fine with its adaptive schedule, L-BFGS with a line
search) in each precision asked for. Both use the same content, style, layers,
loss weights and size, and run in this process interleaved: ``--repeats``
rounds of reference, fp32, bf16, then bf16, fp32, reference..., medians.

The reference's final loss is the fp32 loss of the picture it returns. Ours is
timed until the picture it holds (the best so far, as returned) has an fp32
loss at or below it; the checks themselves are not timed. Goal: ours takes at
most 25% of the reference's wall time, in every configuration. The work ratio
beside it counts iterations instead of seconds (each of ours weighted by its
scale's share of the full size's pixels): what the time ratio would be if
small pictures ran as efficiently as big ones, and unmoved by other loads
on the machine.

A grid of sizes and reference iterations runs one reference per size (the
picture a shorter reference returns is the one the longer run holds at that
iteration, so it is read off the same run) and ours once per size and
precision for each count. ``auto`` reuses the run of the precision the
style pipeline resolves it to here (:func:`scale_precisions`: the stored
calibrated verdict), and says why (the verdict's timings and spread).

Usage::

    python bench/style.py                                  # 512 px, 300 reference iterations, auto
    python bench/style.py --sizes 384 --ref-iters 200 --precision fp32
    python bench/style.py --sizes 384,512 --ref-iters 200,300 --precision all
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from prisma_abu.data import guide_path, sample_path
from prisma_abu.io import read_image, write_image
from prisma_abu.neural.gatys import scale_sizes
from prisma_abu.params import StyleParams
from prisma_abu.pipeline.style import StyleMonitor, evaluate_losses, iteration_schedule, scale_precisions
from prisma_abu.pipeline.style import style as stylize

GOAL = 0.25
PRECISIONS = ("fp32", "bf16", "auto")
#: the bench's optimizer names, as StyleParams fields
OPTIMIZERS = {"lbfgs": {"optimizer": "lbfgs", "line_search": True},
              "lbfgs-neural-style": {"optimizer": "lbfgs", "line_search": False},
              "adam": {"optimizer": "adam"}}


class _Reached(Exception):
    pass


class _Clock:
    def __init__(self) -> None:
        self.start, self.paused = time.perf_counter(), 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start - self.paused


class _Reference(StyleMonitor):
    """Notes the time and the picture held at each of the iteration counts asked for."""

    def __init__(self, counts: list[int], clock: _Clock) -> None:
        self.counts, self.clock = set(counts), clock
        self.at: dict[int, tuple[float, np.ndarray]] = {}

    def checkpoint(self, iteration: int, image: np.ndarray) -> None:
        if iteration in self.counts:
            self.at[iteration] = (self.clock.elapsed(), image)


class _Chase(StyleMonitor):
    """Stops the run once the picture held has an fp32 loss <= ``target``."""

    def __init__(self, target: float, check, clock: _Clock) -> None:
        self.target, self.check, self.clock = target, check, clock
        self.last = None
        self.best_running = float("inf")
        self.per_scale: Counter[int] = Counter()
        self.pixels: dict[int, int] = {}

    def work(self) -> float:
        """Iterations so far, in full-size iterations (each weighted by its scale's pixels)."""
        full = self.pixels[max(self.pixels)]
        return sum(n * self.pixels[k] / full for k, n in self.per_scale.items())

    def progress(self, p) -> None:
        self.last = p
        self.per_scale[p.scale] += 1
        self.pixels[p.scale] = p.size[0] * p.size[1]
        if p.scale == p.num_scales - 1:
            self.best_running = min(self.best_running, p.losses.total)

    def checkpoint(self, iteration: int, image: np.ndarray) -> None:
        p = self.last
        if p is None or p.scale != p.num_scales - 1 or self.best_running > self.target * 1.001:
            return
        paused = time.perf_counter()
        loss = self.check(image)
        self.clock.paused += time.perf_counter() - paused
        if loss <= self.target:
            raise _Reached(iteration, loss, self.clock.elapsed(), image)
        self.best_running = float("inf")  # check again once a running loss is low enough


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", "--size", type=_ints, default=[512], help="output sizes (longer side), comma-separated (512)")
    ap.add_argument("--ref-iters", type=_ints, default=[300],
                    help="reference iterations, comma-separated (300)")
    ap.add_argument("--precision", choices=PRECISIONS + ("all",), default="auto",
                    help="ours' precision; all: fp32, bf16 and auto (default auto)")
    ap.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="lbfgs",
                    help="ours' optimizer: lbfgs (line search, the default), lbfgs-neural-style (none) or adam")
    ap.add_argument("--content", default=str(sample_path("chelsea")))
    ap.add_argument("--style", default=str(guide_path("swirl")))
    ap.add_argument("--out", default=None, help="folder to write the pictures to")
    ap.add_argument("--device", default="cpu", help="where both run (cpu, cuda, cuda:N; default cpu)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="rounds: each runs the reference and ours in each precision, the order reversed every "
                         "other round, so a burst of load hits all; times are medians (default 3)")
    ap.add_argument("--goal-seconds", type=float, default=None,
                    help="PASS when ours reaches the reference's loss within so many seconds (instead of the "
                         f"ratio goal {GOAL})")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    content, style = read_image(args.content), read_image(args.style)
    base = StyleParams(print_iter=0, save_iter=1, device=args.device, **OPTIMIZERS[args.optimizer])
    stylize(content, [style], base.replace(num_iterations=1, size=64, scales=1))  # load the network once
    print(f"content {args.content}, style {args.style}; ours: optimizer {args.optimizer}, "
          f"{base.num_iterations} iterations at most, scale_tol {base.scale_tol}, stop_tol {base.stop_tol}; "
          f"{args.repeats} interleaved round(s), medians", flush=True)
    rows = []
    for size in args.sizes:
        ours = base.replace(size=size)
        n = len(scale_sizes(_size(content, size), ours.scales, ours.scale_factor))
        labels = _labels(args.precision, ours, n)  # {label: the precision it runs}
        variants = ["reference", *dict.fromkeys(labels.values())]
        counts = sorted(set(args.ref_iters))
        references: list[dict[int, tuple[float, float]]] = []
        runs: dict[tuple[int, str], list[tuple]] = {}
        for round_ in range(args.repeats):  # reference, fp32, bf16, then bf16, fp32, reference...
            for variant in variants if round_ % 2 == 0 else variants[::-1]:
                if variant == "reference":
                    references.append(_reference(content, style, ours, counts, args.out if round_ == 0 else None))
                    continue
                for iters in args.ref_iters:
                    target = references[0][iters][1]  # the reference is deterministic: round 0's loss
                    runs.setdefault((iters, variant), []).append(
                        _ours(content, style, ours.replace(precision=variant), target, iters,
                              args.out if round_ == 0 else None, f"{size}_{iters}_{variant}"))
        for iters in args.ref_iters:
            ref_time = statistics.median(r[iters][0] for r in references)
            ref_loss = references[0][iters][1]
            print(f"\nsize {size}, reference (1 scale, fp32, lbfgs-neural-style, {iters} iterations): "
                  f"{ref_time:8.1f} s (median)   final loss {ref_loss:.5g}", flush=True)
            print(f"  ours: {n} scales, iteration ceilings {iteration_schedule(ours, n)}", flush=True)
            for label, actual in labels.items():
                ratio, verdict, line = _summary(runs[(iters, actual)], ref_time, args.goal_seconds)
                print(f"  {label:14s} {line}   ratio {ratio:.3f}  {verdict}", flush=True)
                rows.append((size, iters, label, ratio, verdict))
    print(f"\n{'size':>5} {'ref-iters':>9} {'precision':>14} {'ratio':>7}  (goal <= {GOAL})")
    for size, iters, label, ratio, verdict in rows:
        print(f"{size:5d} {iters:9d} {label:>14} {ratio:7.3f}  {verdict}")
    return 0 if all(r[-1] == "PASS" for r in rows) else 1


def _labels(asked: str, ours: StyleParams, num_scales: int) -> dict[str, str]:
    """``{label: precision run}``; ``auto``'s label says what the style pipeline resolves it to here, and why."""
    precisions = list(PRECISIONS) if asked == "all" else [asked]
    labels = {}
    for precision in precisions:
        if precision != "auto":
            labels[precision] = precision
            continue
        ran = scale_precisions(ours.replace(precision="auto"), num_scales)  # what style() itself runs
        label = f"auto (= {'/'.join(dict.fromkeys(ran))})"
        print(f"  {label}: {auto_reason(ours)}", flush=True)
        labels[label] = ran[-1]
    return labels


def auto_reason(params: StyleParams) -> str:
    """Why ``auto`` runs what it runs for ``params``' backbone here: forced, no native bf16, or the stored verdict."""
    import os

    from prisma_abu.neural.calibrate import FORCE_ENV, machine_key, verdicts
    from prisma_abu.neural.device import native_bf16, torch_device

    if os.environ.get(FORCE_ENV):
        return f"forced by {FORCE_ENV}={os.environ[FORCE_ENV]}"
    device = torch_device(params.device)
    if not native_bf16(device):
        return f"{device.type} without native bf16: fp32, nothing measured"
    entry = verdicts().get(machine_key(params.backbone, device, params.weights))
    if not isinstance(entry, dict):
        return "no stored verdict"
    settled = "settled" if entry.get("settled", True) else "NOT settled, measured again next run"
    return (f"stored verdict {entry.get('verdict')} for {params.backbone} ({settled}; steps fp32 "
            f"{entry.get('fp32_s', 0) * 1e3:.1f} ms, bf16 {entry.get('bf16_s', 0) * 1e3:.1f} ms, ratio "
            f"{entry.get('ratio', '?')} +- {entry.get('spread', '?')}, measured {entry.get('measured', '?')})")


def _fp32_loss(content: np.ndarray, style: np.ndarray, params: StyleParams):
    return lambda image: evaluate_losses(image, content, [style], params).total


def _reference(content: np.ndarray, style: np.ndarray, ours: StyleParams, counts: list[int],
               out: str | None) -> dict[int, tuple[float, float]]:
    """{iterations: (seconds, fp32 loss of the picture returned)} of one reference run."""
    ref = ours.replace(scales=1, num_iterations=max(counts), precision="fp32", optimizer="lbfgs",
                       line_search=False, stop_tol=0.0, scale_tol=0.0)
    clock = _Clock()
    monitor = _Reference(counts, clock)
    image = stylize(content, [style], ref, callback=monitor)
    monitor.at[max(counts)] = (clock.elapsed(), image)
    loss = _fp32_loss(content, style, ours)
    result = {}
    for k in counts:
        seconds, picture = monitor.at[k]
        result[k] = (seconds, loss(picture))
        if out:
            write_image(Path(out) / f"bench_reference_{ours.size}_{k}.png", picture)
    return result


def _ours(content: np.ndarray, style: np.ndarray, ours: StyleParams, ref_loss: float, ref_iters: int,
          out: str | None, tag: str) -> tuple[float, float, bool, str, str, float]:
    """(seconds, fp32 loss, reached, where, iterations per scale, work ratio) of one chase of ``ref_loss``."""
    clock = _Clock()
    check = _fp32_loss(content, style, ours)
    chase = _Chase(ref_loss, check, clock)
    image = None
    try:
        image = stylize(content, [style], ours, callback=chase)
        our_time, our_loss = clock.elapsed(), check(image)
        reached = our_loss <= ref_loss
        where = f"at the end ({sum(chase.per_scale.values())} iterations)"
    except _Reached as hit:
        iteration, our_loss, our_time, image = hit.args
        reached, where = True, f"at iteration {iteration}"
    used = "+".join(str(chase.per_scale[k]) for k in sorted(chase.per_scale))
    if out and image is not None:
        write_image(Path(out) / f"bench_ours_{tag}.png", image)
    return our_time, our_loss, reached, where, used, chase.work() / ref_iters


def _summary(runs: list[tuple], ref_time: float, goal_seconds: float | None) -> tuple[float, str, str]:
    """(time ratio of the medians, PASS/FAIL, line) of one variant's interleaved runs."""
    our_time = statistics.median(r[0] for r in runs)
    _, our_loss, _, where, used, work = runs[0]
    reached = all(r[2] for r in runs)
    ratio = our_time / ref_time
    fast = ratio <= GOAL if goal_seconds is None else our_time <= goal_seconds
    verdict = "PASS" if reached and fast else "FAIL"
    spread = f" ({min(r[0] for r in runs):.1f}-{max(r[0] for r in runs):.1f})" if len(runs) > 1 else ""
    line = (f"{our_time:8.1f} s{spread}   loss {our_loss:.5g} {where} (per scale {used}; work ratio {work:.3f})"
            + ("" if reached else "  NOT reached"))
    return ratio, verdict, line


def _size(image: np.ndarray, longer: int) -> tuple[int, int]:
    h, w = image.shape[:2]
    f = longer / max(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


if __name__ == "__main__":
    sys.exit(main())
