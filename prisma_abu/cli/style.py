"""``prisma-abu style``: neural style transfer from the command line.

``prisma-abu style CONTENT... --style S1[,S2...] [-o OUT]`` with neural-style's
option names (``--style-blend-weights``, ``--size`` (neural-style's
``--image-size``), ``--content-weight``, ``--init``, ``--original-colors``...),
plus the coarse-to-fine knobs (``--scales``, ``--scale-factor``,
``--scale-iterations``) and ``--mask``.

Each picture is written through :func:`prisma_abu.jobs.run_job`, so it
carries its parameters (``prisma-abu replay`` renders it again). On a
terminal a bar shows the iterations with the current losses; elsewhere a loss
line goes to stderr every ``--print-iter`` iterations (0: silent). Every
``--save-iter`` iterations the best picture so far is written next to the
output as ``OUT_stem_NNNN.suffix``, atomically, with the same metadata.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..data import IMAGE_SUFFIXES, find_picture
from ..errors import InvalidParameterError
from ..params import StyleParams
from ..pipeline.style import StyleMonitor

__all__ = ["register", "checkpoint_path", "CliMonitor", "NEURAL_STYLE_FLAGS"]

#: neural-style's own flags (``th neural_style.lua -content_weight 10 ...``) for this command's parameters;
#: ``-style_image``, ``-content_image``, ``-output_image`` and ``-gpu`` are options of their own
NEURAL_STYLE_FLAGS = {**{name: "-" + name for name in (
    "style_blend_weights", "content_weight", "style_weight", "tv_weight", "num_iterations", "init", "init_image",
    "optimizer", "learning_rate", "normalize_gradients", "print_iter", "save_iter", "content_layers",
    "style_layers", "style_scale", "original_colors", "pooling", "seed")},
    "size": "-image_size", "weights": "-model_file"}
#: neural-style's flags that choose Lua/Caffe machinery this tool decides itself: accepted, said, ignored
NEURAL_STYLE_IGNORED = {
    "-proto_file": "the network's layers are built in; -model_file alone gives the weights",
    "-backend": "the device is chosen by --device (or -gpu); the arithmetic by --precision",
    "-cudnn_autotune": "torch chooses its own kernels",
    "-multigpu_strategy": "one device per picture (batch runs one worker per GPU)",
    "-lbfgs_num_correction": "L-BFGS keeps its own history (100, neural-style's default)",
}


def checkpoint_path(output: str | os.PathLike, iteration: int) -> Path:
    """``OUT_stem_NNNN.suffix`` beside ``output``."""
    out = Path(output)
    return out.with_name(f"{out.stem}_{iteration:04d}{out.suffix}")


class CliMonitor(StyleMonitor):
    """Progress on the bar (losses in its postfix), or a loss line every ``print_iter`` iterations
    without one (as neural-style); checkpoints beside the output."""

    def __init__(self, output: str | os.PathLike, metadata: dict[str, Any], print_iter: int, bar: Any = None) -> None:
        self.output, self.metadata, self.print_iter, self.bar = output, metadata, print_iter, bar

    def progress(self, p) -> None:
        if self.bar is not None:
            self.bar()
            self.bar.postfix(scale=f"{p.scale + 1}/{p.num_scales}", content=f"{p.losses.content:.3g}",
                             style=f"{p.losses.style:.3g}", total=f"{p.losses.total:.3g}")
        elif self.print_iter and (p.iteration % self.print_iter == 0 or p.iteration == p.num_iterations):
            h, w = p.size
            print(f"iteration {p.iteration}/{p.num_iterations}  "
                  f"scale {p.scale + 1}/{p.num_scales} ({w}x{h})  "
                  f"content {p.losses.content:.4g}  style {p.losses.style:.4g}  tv {p.losses.tv:.4g}  "
                  f"total {p.losses.total:.4g}", file=sys.stderr, flush=True)

    def checkpoint(self, iteration: int, image: np.ndarray) -> None:
        from ..io import write_image

        if self.output == "-":
            return
        write_image(checkpoint_path(self.output, iteration), image,
                    metadata={**self.metadata, "checkpoint_iteration": iteration})


def _is_file_spec(mask: str) -> bool:
    """A mask given as a file (it exists, or is named like a picture) rather than a mask name."""
    return os.path.exists(mask) or Path(mask).suffix.lower() in IMAGE_SUFFIXES


def _cmd_style(args: argparse.Namespace) -> int:
    from ..jobs import Job
    from .common import params_from_args
    from .pictures import iter_styles, run_pictures

    args.inputs = [*args.inputs, *args.content_images]
    if not args.inputs:
        raise InvalidParameterError("style: expected a CONTENT picture (or neural-style's -content_image FILE)")
    for flag, why in NEURAL_STYLE_IGNORED.items():
        if getattr(args, "ignored_" + flag[1:]) is not None:
            print(f"prisma-abu: note: {flag} ignored: {why}", file=sys.stderr)
    overrides: dict[str, Any] = {}
    if args.p_init_image is not None and args.p_init is None:
        overrides["init"] = "image"
    if args.gpu is not None:  # neural-style's spelling: -gpu 0 is the first GPU, -gpu -1 the CPU
        if args.p_device is not None:
            raise InvalidParameterError("-gpu and --device: expected one of them")
        overrides["device"] = "cpu" if args.gpu < 0 else f"cuda:{args.gpu}"
    params = params_from_args(StyleParams, args, **overrides)
    styles = {f"style{i}": path for i, path in enumerate(iter_styles(args.style))}
    extra = {"init_image": params.init_image,
             "mask_file": params.mask if params.mask is not None and _is_file_spec(params.mask) else None}
    # the files themselves are inputs (path and sha256 in the metadata); the parameters keep their names only
    params = params.replace(init_image=None if params.init_image is None else Path(params.init_image).name,
                            mask=params.mask if extra["mask_file"] is None else Path(params.mask).name)

    def make_job(source):
        return Job("style", params, {"content": source.path, **styles, **extra})

    def monitor(job, output, bar):
        meta = _checkpoint_metadata(job, output) if params.save_iter else {}
        return CliMonitor(output, meta, 0 if args.quiet else params.print_iter, bar)

    from ..commands import progress_steps

    return run_pictures(args, "style", make_job, steps=progress_steps, callback_factory=monitor)


def _checkpoint_metadata(job, output: str) -> dict[str, Any]:
    """The job's metadata for the checkpoints (a missing input is reported by the render itself)."""
    from ..jobs import job_metadata

    try:
        return job_metadata(job, None if output == "-" else output)
    except OSError:
        return {}


def register(subparsers: Any) -> None:
    """Add ``style`` to ``prisma-abu``'s sub-commands."""
    from .common import add_common_options, add_params_arguments

    p = subparsers.add_parser(
        "style", help="Gatys neural style transfer (neural-style's options, coarse to fine)",
        description="Paint CONTENT in the style of one or more pictures (neural-style's options). "
                    "--mask confines the style to a PrismaWorker mask (otsu, stdmean, features, "
                    "a '+'-sum) or a mask picture (white: style).")
    add_common_options(p, inputs="CONTENT", inputs_help="the content pictures (files, folders or -; neural-style's "
                       "-content_image too)", inputs_optional=True, output_flags=("-output_image",))
    peers = p.add_argument_group("neural-style's spellings (th neural_style.lua's own flags work as they are)")
    peers.add_argument("-content_image", dest="content_images", action="append", default=[], type=find_picture,
                       metavar="CONTENT", help="neural-style's: a content picture (as CONTENT)")
    p.add_argument("--style", "-style_image", action="append", required=True, metavar="S1[,S2...]",
                   help="style picture(s), comma-separated or repeated (neural-style: -style_image)")
    p.add_argument("-gpu", type=int, metavar="N", help="neural-style's spelling of --device: N is cuda:N, -1 the CPU")
    for flag, why in NEURAL_STYLE_IGNORED.items():
        peers.add_argument(flag, dest="ignored_" + flag[1:], nargs="?", const="", default=None, metavar="V",
                           help=f"neural-style's, accepted and ignored: {why}")
    p.set_defaults(func=_cmd_style)
    add_params_arguments(p, StyleParams, peer=NEURAL_STYLE_FLAGS, peer_name="neural-style")
