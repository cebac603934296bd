"""Benchmark of the mask and blend operations at 480x480 (run: python bench/blend.py).

Times (median of 5) mask_otsu, mask_features and blend_convolved with
n1=5, n2=25, n3=120 on skimage's chelsea picture resized to the original's
480x480 square, then the literal convolve2d reference (once: it takes
seconds), checks both blends agree byte for byte and prints the speed-up.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from skimage import data

from prisma_abu.ops import (
    blend_convolved,
    blend_convolved_reference,
    enhance_image,
    mask_features,
    mask_otsu,
    resize_image,
    to_grey,
)

SIZE = 480
REPEATS = 5
REFERENCE_REPEATS = 1
WINDOWS = {"n1": 5, "n2": 25, "n3": 120}


def median_seconds(run: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median wall time of `repeats` calls of `run`, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    """Time the operations and print one line per figure."""
    source = resize_image(data.chelsea(), base_width=SIZE)
    guide = enhance_image(source, "EMBOSS")
    grey = to_grey(source)
    t_otsu, mask = median_seconds(lambda: mask_otsu(grey), REPEATS)
    t_features, _ = median_seconds(lambda: mask_features(source, grey), REPEATS)
    def ours_once() -> np.ndarray:
        return blend_convolved(source, guide, mask, rng=np.random.default_rng(0), **WINDOWS)

    def reference_once() -> np.ndarray:
        rng = np.random.default_rng(0)
        return blend_convolved_reference(source, guide, mask, rng=rng, **WINDOWS)

    t_ours, ours = median_seconds(ours_once, REPEATS)
    t_ref, reference = median_seconds(reference_once, REFERENCE_REPEATS)
    print(f"picture: chelsea {SIZE}x{SIZE}, otsu mask covers {np.mean(mask > 0):.1%}")
    print(f"mask_otsu                  {t_otsu * 1e3:9.2f} ms  (median of {REPEATS})")
    print(f"mask_features              {t_features * 1e3:9.2f} ms  (median of {REPEATS})")
    windows = "n1=5 n2=25 n3=120"
    print(f"blend_convolved            {t_ours * 1e3:9.2f} ms  (median of {REPEATS}, {windows})")
    print(
        f"blend_convolved_reference  {t_ref * 1e3:9.2f} ms"
        f"  ({REFERENCE_REPEATS} run, three convolve2d per channel)"
    )
    print(f"reference / ours           {t_ref / t_ours:9.1f} x")
    print(f"identical bytes            {np.array_equal(ours, reference)}")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()
