"""``dream``, ``mix``, ``mask``, ``features`` and ``replay``: one picture in, one picture out."""

from __future__ import annotations

import argparse
from typing import Any

from ..params import DreamParams, MixParams
from .common import EXIT_OK, add_common_options, add_params_arguments, params_from_args, progress_callback

__all__ = ["register"]


def _run_and_write(args: argparse.Namespace, job, requested=None) -> int:
    from ..jobs import check_can_write, run_job

    check_can_write(job, args.output)
    callback, close = progress_callback(args, None)
    try:
        path = run_job(job, args.output, callback=callback, requested=requested)
    finally:
        close()
    print(path)
    return EXIT_OK


def _cmd_dream(args: argparse.Namespace) -> int:
    from ..jobs import Job

    overrides = {"objective": "guide"} if args.guide and args.p_objective is None else {}
    params = params_from_args(DreamParams, args, **overrides)
    return _run_and_write(args, Job("dream", params, {"image": args.image, "guide": args.guide}))


def _cmd_mix(args: argparse.Namespace) -> int:
    from ..jobs import Job

    params = params_from_args(MixParams, args)
    return _run_and_write(args, Job(args.command, params, {"source": args.source, "guide": args.guide}))


def _cmd_mask_like(args: argparse.Namespace) -> int:
    from ..jobs import Job

    params = params_from_args(MixParams, args)
    return _run_and_write(args, Job(args.command, params, {"source": args.source}))


def _cmd_replay(args: argparse.Namespace) -> int:
    from ..io import read_metadata
    from ..jobs import arithmetic_of, job_from_metadata, requested_params
    from ..pipeline.models import set_threads

    meta = read_metadata(args.picture)
    job = job_from_metadata(meta, picture=args.picture)
    threads = arithmetic_of(meta).get("threads")
    before = set_threads(threads) if threads is not None else None
    try:
        return _run_and_write(args, job, requested=requested_params(meta))
    finally:
        if before is not None:
            set_threads(before)


def register(sub: Any) -> None:
    """Add the picture commands to ``prisma-abu``'s sub-commands."""
    p = sub.add_parser("dream", help="DeepDream a picture")
    p.add_argument("image")
    p.add_argument("--guide", help="guide picture (guided objective)")
    add_common_options(p)
    add_params_arguments(p, DreamParams, rename={"layers": "layer"})
    p.set_defaults(func=_cmd_dream)

    for name, helptext in (("mix", "abu's Prisma: mask, blend with a guide, enhance, shallow dream"),
                           ("mask", "the mask mix would use, as a picture"),
                           ("features", "the Harris corners (blue) and sub-pixel refinements (red +)")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("source")
        if name == "mix":
            p.add_argument("--guide", help="guide picture (default: none)")
        add_common_options(p)
        add_params_arguments(p, MixParams)
        p.set_defaults(func=_cmd_mix if name == "mix" else _cmd_mask_like)

    p = sub.add_parser("replay", help="render a picture prisma-abu wrote again, from its own parameters")
    p.add_argument("picture")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_replay)
