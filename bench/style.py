"""How fast does our default style transfer reach a plain reference's loss?

The reference is the PyTorch tutorial's recipe: one scale, fp32, L-BFGS,
300 iterations. Ours is ``StyleParams()``'s defaults (coarse to fine, bf16
where the CPU has it). Both use the same content, style, layers, loss weights
and size, and run in this process one after the other.

The reference's final loss is the fp32 loss of the picture it returns. Ours is
timed until the picture it holds (the best so far, as returned) has an fp32
loss at or below it; the checks themselves are not timed. Goal: ours takes at
most 25% of the reference's wall time.

Usage::

    python bench/style.py                      # 512 px, 300 reference iterations
    python bench/style.py --size 256 --ref-iters 100   # a quicker look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from prisma_abu.data import guide_path, sample_path
from prisma_abu.io import read_image, write_image
from prisma_abu.neural.gatys import scale_sizes
from prisma_abu.params import StyleParams
from prisma_abu.pipeline.style import StyleMonitor, evaluate_losses, iteration_schedule, scale_precisions
from prisma_abu.pipeline.style import style as stylize

GOAL = 0.25


class _Reached(Exception):
    pass


class _Clock:
    def __init__(self) -> None:
        self.start, self.paused = time.perf_counter(), 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start - self.paused


class _Chase(StyleMonitor):
    """Stops the run once the picture held has an fp32 loss <= ``target``."""

    def __init__(self, target: float, check, clock: _Clock) -> None:
        self.target, self.check, self.clock = target, check, clock
        self.last = None
        self.best_running = float("inf")

    def progress(self, p) -> None:
        self.last = p
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=512, help="image_size (default 512)")
    ap.add_argument("--ref-iters", type=int, default=300, help="reference iterations (default 300)")
    ap.add_argument("--content", default=str(sample_path("chelsea")))
    ap.add_argument("--style", default=str(guide_path("swirl")))
    ap.add_argument("--out", default=None, help="folder to write both pictures to")
    args = ap.parse_args(argv)

    content, style = read_image(args.content), read_image(args.style)
    ours = StyleParams(image_size=args.size, print_iter=0, save_iter=1)
    ref = ours.replace(scales=1, num_iterations=args.ref_iters, precision="fp32", optimizer="lbfgs",
                       save_iter=0)

    def fp32_loss(image: np.ndarray) -> float:
        return evaluate_losses(image, content, [style], ours).total

    stylize(content, [style], ref.replace(num_iterations=1, image_size=64))  # load the network once
    print(f"content {args.content}, style {args.style}, image_size {args.size}", flush=True)

    clock = _Clock()
    ref_image = stylize(content, [style], ref)
    ref_time = clock.elapsed()
    ref_loss = fp32_loss(ref_image)
    print(f"reference  (1 scale, fp32, L-BFGS, {args.ref_iters} iterations): {ref_time:8.1f} s   "
          f"final loss {ref_loss:.5g}", flush=True)

    n = len(scale_sizes(_size(content, args.size), ours.scales, ours.scale_factor))
    plan = (f"{n} scales, iterations {iteration_schedule(ours, n)}, precision {scale_precisions(ours, n)}")
    clock = _Clock()
    chase = _Chase(ref_loss, fp32_loss, clock)
    our_image = None
    try:
        our_image = stylize(content, [style], ours, callback=chase)
        our_time, our_loss = clock.elapsed(), fp32_loss(our_image)
        reached = our_loss <= ref_loss
        where = f"at the end ({ours.num_iterations} iterations)"
    except _Reached as hit:
        iteration, our_loss, our_time, our_image = hit.args
        reached, where = True, f"at iteration {iteration}/{ours.num_iterations}"
    ratio = our_time / ref_time
    print(f"ours       ({plan}): {our_time:8.1f} s   loss {our_loss:.5g} {where}"
          + ("" if reached else "  (NOT reached)"), flush=True)
    verdict = "PASS" if reached and ratio <= GOAL else "FAIL"
    print(f"ratio ours/reference = {ratio:.3f}   (goal <= {GOAL})   {verdict}", flush=True)
    if args.out:
        out = Path(args.out)
        write_image(out / f"bench_reference_{args.size}.png", ref_image)
        if our_image is not None:
            write_image(out / f"bench_ours_{args.size}.png", our_image)
    return 0 if verdict == "PASS" else 1


def _size(image: np.ndarray, longer: int) -> tuple[int, int]:
    h, w = image.shape[:2]
    f = longer / max(h, w)
    return max(1, round(h * f)), max(1, round(w * f))


if __name__ == "__main__":
    sys.exit(main())
