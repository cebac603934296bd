"""Johnson's fast-neural-style network at 512 px: ours against OpenCV dnn on the same .t7 file.

Seed 000's viewer runs jcjohnson's ``.t7`` models with
``cv2.dnn.readNetFromTorch``.  This bench writes a full-size
fast-neural-style network (``instance_norm`` layout: reflect-start 40,
c9s1-32, d64, d128, five R128 with ShaveImage, u64, u32, c9s1-3, Tanh,
MulConstant 150; random weights, timing does not depend on them) as a Torch7
file with the tests' serializer, then times one 512x512 picture through

* OpenCV dnn (``readNetFromTorch``, BGR blob minus the mean, as seed 000);
* ours: :func:`prisma_abu.neural.stylenets.torch7.load` on the same file;
* ours on pytorch-examples' TransformerNet from a ``.pth`` state dict.

Each is the median of ``--runs`` runs after one warm-up, in this process, the
same thread count for both libraries.  The ratio is our time over OpenCV's
(below 1: we are faster).  Needs the test extra (``opencv-python-headless<5``).

Usage::

    python bench/stylize_johnson.py                 # 512 px, 5 runs
    python bench/stylize_johnson.py --size 256 --runs 3 --threads 1
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from prisma_abu.data import sample_path
from prisma_abu.neural.stylenets import torch7, transformer_net

ROOT = Path(__file__).resolve().parent.parent


def _tests_module():
    """The Torch7 serializer and network builder of tests/neural/test_stylenets_torch7.py."""
    path = ROOT / "tests" / "neural" / "test_stylenets_torch7.py"
    spec = importlib.util.spec_from_file_location("_t7_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _median_time(run, runs: int) -> tuple[float, object]:
    out = run()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    import cv2

    t7 = _tests_module()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    photo = np.asarray(Image.open(sample_path("astronaut")).convert("RGB").resize((args.size, args.size)),
                       dtype=np.float32)
    folder = Path(tempfile.mkdtemp(prefix="stylize_johnson_"))
    net_t7 = t7.johnson_net(np.random.default_rng(0), channels=(32, 64, 128), res_blocks=5)
    t7_path = folder / "johnson.t7"
    t7.write_t7(t7_path, {"model": net_t7, "opt": {"preprocessing": "vgg"}})
    pth_path = folder / "examples.pth"
    torch.manual_seed(0)
    torch.save(transformer_net.TransformerNet().state_dict(), pth_path)

    cv_net = cv2.dnn.readNetFromTorch(str(t7_path))
    blob = cv2.dnn.blobFromImage(np.ascontiguousarray(photo[..., ::-1]), 1.0, (args.size, args.size),
                                 tuple(t7.MEAN_BGR.tolist()), swapRB=False, crop=False)

    def opencv():
        cv_net.setInput(blob)
        return cv_net.forward()

    ours_t7, ours_pth = torch7.load(t7_path), transformer_net.load(pth_path)
    x = torch.from_numpy(photo).permute(2, 0, 1)[None].contiguous()

    def run(model):
        def go():
            with torch.inference_mode():
                return model(x)
        return go

    t_cv, cv_out = _median_time(opencv, args.runs)
    t_t7, t7_out = _median_time(run(ours_t7), args.runs)
    t_pth, _ = _median_time(run(ours_pth), args.runs)
    cv_rgb = np.clip(cv_out[0] + t7.MEAN_BGR[:, None, None], 0, 255)[::-1]
    diff = float(np.abs(t7_out[0].numpy() - cv_rgb).max())

    print(f"stylize_johnson: {args.size}x{args.size}, {args.threads} thread(s), median of {args.runs} runs "
          f"(torch {torch.__version__}, OpenCV {cv2.__version__})")
    print(f"  opencv dnn  .t7   {t_cv:8.3f} s")
    print(f"  ours        .t7   {t_t7:8.3f} s   ratio ours/opencv {t_t7 / t_cv:.2f}")
    print(f"  ours        .pth  {t_pth:8.3f} s   (pytorch-examples TransformerNet, ratio to opencv .t7 "
          f"{t_pth / t_cv:.2f})")
    print(f"  max |ours - opencv| on the .t7 picture: {diff:.3f} (of 0..255)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
