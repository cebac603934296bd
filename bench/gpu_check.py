"""Does every engine run on the GPU, agree with the CPU, and how much faster is it?

Each engine runs once on the CPU and once on the GPU (fp32 on both, so the
arithmetic is comparable; TF32 is switched off for the comparison) with the
same parameters and seed, and the outputs are compared:

- dream, mix (dream inside), stylize (a built-in network): the pictures, mean
  absolute difference in 0..255 levels; a gradient ascent or a network in
  different kernels drifts by rounding, so the bound is a few levels;
- style (Gatys, 512 px): L-BFGS is chaotic, so not the pixels but the final
  losses (fp32, at full size), within 10%;
- train-style: the loss after a few steps, within 5%.

Then the GPU's own defaults (``precision=auto``: bf16 or fp16 autocast) are
timed for style at 512 px against the reference loss of a single-scale fp32
run of neural-style's L-BFGS (bench/style.py's reference, on the GPU): the
goal is under 10 s.

Runs in well under 5 minutes on one CUDA GPU. Without one it says so in one
line and exits 2.

Usage::

    python bench/gpu_check.py                 # cuda (the first GPU)
    python bench/gpu_check.py --device cuda:1
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Callable

import numpy as np

from prisma_abu.data import guide_path, sample_path
from prisma_abu.errors import PrismaAbuError
from prisma_abu.io import read_image

#: the bounds the outputs must keep (see the module's docstring)
PICTURE_LEVELS = 3.0
STYLE_LOSS_RATIO = 0.10
TRAIN_LOSS_RATIO = 0.05
STYLE_GPU_SECONDS = 10.0


def _timed(run: Callable[[], Any], sync: Callable[[], None]) -> tuple[Any, float]:
    sync()
    start = time.perf_counter()
    out = run()
    sync()
    return out, time.perf_counter() - start


def _mean_levels(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda", help="the GPU to check (cuda, cuda:N)")
    ap.add_argument("--skip-goal", action="store_true", help="only the CPU/GPU agreement, not the 10 s goal")
    args = ap.parse_args(argv)

    import torch

    from prisma_abu.neural.device import torch_device

    try:
        gpu = torch_device(args.device)
    except PrismaAbuError as exc:
        print(f"gpu_check: {exc}", file=sys.stderr)
        return 2
    if gpu.type == "cpu":
        print("gpu_check: expected a GPU, got the CPU", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    def sync() -> None:
        torch.cuda.synchronize(gpu)

    print(f"GPU {torch.cuda.get_device_name(gpu)}, torch {torch.__version__}; CPU threads {torch.get_num_threads()}",
          flush=True)
    photo = read_image(sample_path("chelsea"))
    guide = read_image(guide_path("swirl"))
    rows: list[tuple[str, float, float, str, bool]] = []
    dev = str(gpu)
    for name, check in _checks(photo, guide):
        (cpu_out, t_cpu) = _timed(lambda: check("cpu"), lambda: None)
        check(dev)  # warm: kernels, cudnn.benchmark, the network's copy on the device
        (gpu_out, t_gpu) = _timed(lambda: check(dev), sync)
        measure, ok = _agreement(name, cpu_out, gpu_out)
        rows.append((name, t_cpu, t_gpu, measure, ok))
        print(f"{name:10s} cpu {t_cpu:7.2f} s  gpu {t_gpu:7.2f} s  x{t_cpu / t_gpu:6.1f}  {measure}  "
              f"{'OK' if ok else 'DIFFERENT'}", flush=True)
    goal_ok = True
    if not args.skip_goal:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        goal_ok = _style_goal(photo, guide, dev, sync)
    ok = all(r[-1] for r in rows) and goal_ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def _checks(photo: np.ndarray, guide: np.ndarray):
    from prisma_abu import pipeline
    from prisma_abu.params import DreamParams, MixParams, StyleParams, StylizeParams, TrainStyleParams

    yield "dream", lambda d: pipeline.dream(photo, DreamParams(size=320, iter_n=10, octave_n=2, precision="fp32",
                                                               device=d))
    yield "mix", lambda d: pipeline.mix(photo, guide, MixParams(precision="fp32", device=d)).image
    style = StyleParams(size=512, num_iterations=150, precision="fp32", print_iter=0, save_iter=0,
                        init="image", device="cpu")
    yield "style", lambda d: (pipeline.style(photo, [guide], style.replace(device=d)), style)
    yield "stylize", lambda d: pipeline.stylize(photo, StylizeParams(size=512, precision="fp32", device=d))
    train = TrainStyleParams(steps=20, image_size=128, batch_size=2, precision="fp32", checkpoint_every=0,
                             device="cpu")
    yield "train", lambda d: _train(guide, photo, train.replace(device=d))


def _train(style: np.ndarray, photo: np.ndarray, params) -> float:
    from prisma_abu import pipeline

    losses: list[float] = []
    pipeline.train_style(style, [photo], params, callback=lambda step, l: losses.append(float(l["total"])))
    return float(np.mean(losses[-5:]))


def _agreement(name: str, cpu_out: Any, gpu_out: Any) -> tuple[str, bool]:
    if name == "style":
        from prisma_abu.pipeline.style import evaluate_losses

        (a, params), (b, _) = cpu_out, gpu_out
        photo, guide = read_image(sample_path("chelsea")), read_image(guide_path("swirl"))
        la = evaluate_losses(a, photo, [guide], params).total
        lb = evaluate_losses(b, photo, [guide], params).total
        ratio = abs(lb - la) / la
        return f"final loss cpu {la:.4g} gpu {lb:.4g} ({ratio:.1%})", ratio <= STYLE_LOSS_RATIO
    if name == "train":
        ratio = abs(gpu_out - cpu_out) / cpu_out
        return f"loss cpu {cpu_out:.4g} gpu {gpu_out:.4g} ({ratio:.1%})", ratio <= TRAIN_LOSS_RATIO
    levels = _mean_levels(cpu_out, gpu_out)
    return f"mean |cpu - gpu| {levels:.2f} levels", levels <= PICTURE_LEVELS


def _style_goal(photo: np.ndarray, guide: np.ndarray, dev: str, sync) -> bool:
    """Ours (the defaults, on the GPU) against the single-scale fp32 neural-style reference at 512 px."""
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    import style as bench_style  # bench/style.py

    return bench_style.main(["--sizes", "512", "--ref-iters", "300", "--device", dev,
                             "--goal-seconds", str(STYLE_GPU_SECONDS)]) == 0


if __name__ == "__main__":
    sys.exit(main())
