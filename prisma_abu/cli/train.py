"""``prisma-abu train-style STYLE --photos DIR -o my_style.pth``: a style network of your own."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError
from ..params import TrainStyleParams
from .common import EXIT_OK, add_params_arguments, params_from_args

__all__ = ["register", "RENAMED"]

#: train-style's option names that are not its knobs' (declared with the knobs)
RENAMED = TrainStyleParams.OPTION_NAMES

_EPILOG = """\
examples:
  prisma-abu train-style prisma_gd/swirl.jpg --photos sample/ -o out/swirl.pth --channel-multiplier 0.25 \\
      --image-size 96 --batch-size 2 --steps 1200          # about 20 minutes on 2 CPU cores
  prisma-abu train-style prisma_gd/swirl.jpg --photos sample/ -o out/swirl.pth --steps 2000 --resume out/swirl.ckpt
  prisma-abu stylize sample/chelsea.jpg --model out/swirl.pth

--channel-multiplier used to be spelled --width (in dream --width is the output size): the old spelling is still
accepted.
"""


def _cmd_train(args: argparse.Namespace) -> int:
    from ..api import as_picture
    from ..io import check_output_folder
    from ..pipeline.train import save_style_model, train_style
    from .batch import _sigterm_as_interrupt
    from .pictures import expand_sources

    started = time.perf_counter()
    params = params_from_args(TrainStyleParams, args)
    out = _output(args.output, args.style)
    check_output_folder(out.parent if str(out.parent) else Path("."))
    photos = [as_picture(s.path, s.name) for s in expand_sources(args.photos)]
    style = as_picture(args.style, "style")
    bar, log = None, None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=params.steps, unit="step", file=sys.stderr, dynamic_ncols=True)
    elif not args.quiet:  # a log, a pipe: a line every few seconds, as the picture commands write
        from ..pipeline.progress import LogSteps

        log = LogSteps(out.name, params.steps)

    def progress(step: int, losses: dict) -> None:
        if bar is not None:
            bar.n = step
            bar.set_postfix({k: f"{v:.3g}" for k, v in losses.items()}, refresh=True)
        elif log is not None:
            log.at(step, **losses)

    out.parent.mkdir(parents=True, exist_ok=True)
    with _sigterm_as_interrupt():  # killed (SIGTERM, Ctrl-C) while a checkpoint is written: no .part left
        try:
            net = train_style(style, photos, params, callback=progress, checkpoint=out.with_suffix(".ckpt"),
                              resume=args.resume, name=out.stem)
        finally:
            if bar is not None:
                bar.close()
        sha = save_style_model(out, net, params)
    if args.json:  # as the picture commands' --json: what was written, from what, with what, how long
        print(json.dumps({"command": "train-style", "output": str(out), "sha256": sha, "style": args.style,
                          "checkpoint": str(out.with_suffix(".ckpt")), "photos": len(photos),
                          "params": params.to_dict(), "seconds": round(time.perf_counter() - started, 3)},
                         sort_keys=True, default=str))
    else:
        print(f"{out}  (sha256 {sha[:12]}; checkpoint {out.with_suffix('.ckpt')})")
    return EXIT_OK


def _output(output: str, style: str) -> Path:
    """The network's file: ``-o`` itself, or ``DIR/<style's name>.pth`` when ``-o`` is a folder.

    Checked before any training: a .pth / .model name, and neither it nor its
    checkpoint (``.ckpt`` beside it) a folder.
    """
    out = Path(output)
    if os.path.isdir(out):  # like every command's -o DIR: the file is named after the input
        stem = Path(style).stem if style != "-" and Path(style).stem else "style"
        out = out / f"{stem}.pth"
    if out.suffix.lower() not in (".pth", ".model"):
        raise InvalidParameterError(f"{out}: expected a .pth (or .model) output for the network, or a folder")
    for path, what in ((out, "network"), (out.with_suffix(".ckpt"), "checkpoint")):
        if os.path.isdir(path):
            raise InvalidParameterError(f"{path}: is a folder; expected a file name for the {what}")
    return out


def register(sub: Any) -> None:
    """Add ``train-style``."""
    p = sub.add_parser("train-style", help="train a fast style network of your own on photos",
                       description="Train a feed-forward style network (Johnson's perceptual loss on the embedded "
                                   "VGG16) in the style of STYLE on your photos; the file it writes is a model "
                                   "for stylize, batches and the viewer.",
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("style", metavar="STYLE", help="the style picture")
    p.add_argument("--photos", nargs="+", required=True, metavar="PHOTO",
                   help="photos or folders of photos to train on")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pth|DIR",
                   help="the network to write; a folder: DIR/<style's name>.pth (the checkpoint goes beside it, "
                        ".ckpt)")
    p.add_argument("--resume", metavar="FILE.ckpt", help="continue a run from its checkpoint, bit for bit")
    p.add_argument("--params", metavar="FILE", help="start from the parameters in this .toml or .json file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print one JSON object (the network written, its sha256, "
                                                       "checkpoint, parameters, seconds) instead of its path")
    add_params_arguments(p, TrainStyleParams)
    p.add_argument("--width", dest="p_width", type=float, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_train)
