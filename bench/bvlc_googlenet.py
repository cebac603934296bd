"""BVLC GoogLeNet speed: one dream step (forward + backward to the image), same process.

Three networks of BVLC's widths with random weights (no file needed):
``bvlc_googlenet`` as shipped (LRN as a banded 1x1 convolution), the same
network with torch's ``F.local_response_norm`` in its place, and torchvision's
GoogLeNet as the ``googlenet`` backbone runs it (BatchNorm folded). Each
step is timed at the Prisma layer and at the default dream layer; the machine
is shared and noisy: read the ratios, each a median of ``--repeats``
interleaved runs.

    python bench/bvlc_googlenet.py [--size 480] [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch
import torch.nn.functional as F

from prisma_abu.neural import bvlc_googlenet as bvlc
from prisma_abu.neural import googlenet

LAYERS = ("conv2/3x3_reduce", "inception_4c/output")


def _widths() -> dict[str, int]:
    widths = {"conv1/7x7_s2": 64, "conv2/3x3_reduce": 64, "conv2/3x3": 192}
    for module, numbers in bvlc.INCEPTIONS.items():
        branches = [b for b in bvlc.BRANCHES if b != "pool"]
        widths.update({f"inception_{module}/{b}": n for b, n in zip(branches, numbers)})
    return widths


def _frozen(net: torch.nn.Module) -> torch.nn.Module:
    net.eval().requires_grad_(False)
    return net.to(memory_format=torch.channels_last)


@contextlib.contextmanager
def _torch_lrn():
    """Swap torch's own LRN into every CaffeLRN for the duration."""
    fast = bvlc.CaffeLRN.forward
    bvlc.CaffeLRN.forward = lambda self, x: F.local_response_norm(x, **bvlc.LRN)
    try:
        yield
    finally:
        bvlc.CaffeLRN.forward = fast


def _step(net, layer: str, size: int) -> float:
    image = (torch.rand(1, 3, size, size) * 255).requires_grad_(True)
    start = time.perf_counter()
    net(image, [layer])[layer].float().pow(2).sum().backward()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=480)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    caffe = _frozen(bvlc.BVLCGoogLeNet(bvlc.CaffeGoogLeNet(_widths(), 1000)))
    from torchvision.models import googlenet as tv_googlenet

    tv = tv_googlenet(weights=None, aux_logits=False, init_weights=True, transform_input=True)
    googlenet._fuse_batchnorm(tv)
    torchvision = _frozen(googlenet.GoogLeNet(tv))
    runs = {
        "bvlc_googlenet": lambda layer: _step(caffe, layer, args.size),
        "bvlc_googlenet, torch LRN": lambda layer: _with_torch_lrn(caffe, layer, args.size),
        "googlenet (torchvision)": lambda layer: _step(torchvision, layer, args.size),
    }
    print(f"{args.size}x{args.size}, fp32, {torch.get_num_threads()} threads, median of {args.repeats}")
    for layer in LAYERS:
        times: dict[str, list[float]] = {name: [] for name in runs}
        for name, run in runs.items():
            run(layer)  # warm-up
        for _ in range(args.repeats):
            for name, run in runs.items():
                times[name].append(run(layer))
        base = statistics.median(times["bvlc_googlenet"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"  {layer:22s} {name:28s} {median * 1000:8.1f} ms  x{median / base:.2f}")


def _with_torch_lrn(net, layer: str, size: int) -> float:
    with _torch_lrn():
        return _step(net, layer, size)


if __name__ == "__main__":
    main()
