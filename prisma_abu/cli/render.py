"""``dream``, ``mix``, ``mask``, ``features`` and ``replay``: pictures in, pictures out.

Each takes one or more pictures or folders (see :mod:`prisma_abu.cli.pictures`).
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from ..commands import progress_steps
from ..data import find_picture
from ..params import DreamParams, MixParams
from .common import add_common_options, add_params_arguments, params_from_args
from .pictures import Source, run_pictures, unused_knobs

__all__ = ["register"]

_DREAM_EPILOG = """\
examples:
  prisma-abu dream sample/chelsea.jpg                     # out/chelsea_dream.png
  prisma-abu dream sample/ -o out/dreams/ --layer blocks.3 --iter-n 20
  prisma-abu dream sample/rocket.jpg --backbone vgg16 --layer relu4_2 --size 480 -o rocket.png
  prisma-abu dream sample/astronaut.jpg --guide prisma_gd/swirl.jpg --layer blocks.5 --json
"""
_MIX_EPILOG = """\
examples:
  prisma-abu mix sample/chelsea.jpg --guide prisma_gd/swirl.jpg           # out/chelsea_mix.png
  prisma-abu mix sample/ --guide prisma_gd/strokes.jpg -o out/painted/    # every photo of a folder
  prisma-abu mix sample/coffee.jpg --guide prisma_gd/swirl.jpg --mask otsu+stdmean --n3 60 -o cup.png
  cat photo.jpg | prisma-abu mix - --guide prisma_gd/swirl.jpg -o - > painted.png
"""


def _cmd_dream(args: argparse.Namespace) -> int:
    from ..jobs import Job

    overrides = {"objective": "guide"} if args.guide and args.p_objective is None else {}
    params = params_from_args(DreamParams, args, **overrides)
    return run_pictures(args, "dream", lambda s: Job("dream", params, {"image": s.path, "guide": args.guide}),
                        steps=progress_steps)


def _cmd_mix(args: argparse.Namespace) -> int:
    from ..jobs import Job

    params = params_from_args(MixParams, args)
    guide = None if args.guide in (None, "none") else args.guide
    inputs: dict[str, str | None] = {"guide": guide}
    if guide is not None and guide.startswith(STYLIZED):
        params, inputs = _stylized_guide(params, guide[len(STYLIZED):])
    elif params.guide_model is not None:  # --guide-model MODEL: read as stylized:MODEL's, a file an input
        from ..errors import InvalidParameterError
        from ..modelspec import parse_model_spec

        spec = parse_model_spec(params.guide_model, where="--guide-model: ")
        if spec.arbitrary:
            raise InvalidParameterError("--guide-model arbitrary: expected --guide PAINTING (or --guide "
                                        "stylized:arbitrary:PAINTING): the arbitrary network paints from a painting")
        params = params.replace(guide_model=spec.name)
        inputs = {**inputs, **({} if spec.builtin else {"guide_model": spec.path})}
    return run_pictures(args, args.command, lambda s: Job(args.command, params, {"source": s.path, **inputs}),
                        steps=progress_steps, describe=_choices)


#: ``--guide stylized:MODEL``: the guide is the photo painted by a feed-forward style network
STYLIZED = "stylized:"


def _stylized_guide(params: MixParams, model: str) -> tuple[MixParams, dict[str, str | None]]:
    """A built-in model is a parameter; a model file an input (path and sha256 in the metadata);
    ``arbitrary:PAINTING`` paints in the manner of the painting (as ``--guide PAINTING``)."""
    from ..errors import InvalidParameterError
    from ..modelspec import parse_model_spec

    spec = parse_model_spec(model, where=f"--guide {STYLIZED}{model}: ")
    if spec.arbitrary:
        if not spec.args:
            raise InvalidParameterError("--guide stylized:arbitrary: expected a painting after it, e.g. "
                                        "stylized:arbitrary:prisma_gd/swirl.jpg (as --guide PAINTING)")
        return params.replace(compose="paint", guide_model=None), {"guide": find_picture(spec.args)}
    if spec.builtin:
        return params.replace(guide_model=spec.name), {"guide": None}
    return params.replace(guide_model=spec.name), {"guide": None, "guide_model": spec.path}


def _choices(rendered) -> str | None:
    """What ``auto`` (and the texture preset) chose, to start from: one line on stderr."""
    from ..pipeline import describe_choices

    return describe_choices(rendered.job.params) if rendered.requested.auto else None


def _cmd_mask_like(args: argparse.Namespace) -> int:
    from ..jobs import Job

    params = params_from_args(MixParams, args)
    return run_pictures(args, args.command, lambda s: Job(args.command, params, {"source": s.path}),
                        steps=progress_steps)


def _cmd_described(args: argparse.Namespace) -> int:
    """A described command's generic sub-command (:func:`register_described`)."""
    from ..commands import COMMANDS, Job

    command = COMMANDS[args.described]
    params = params_from_args(command.params_cls, args)
    first, others = command.roles[0], {role: getattr(args, f"role_{role}") for role in command.roles[1:]}
    return run_pictures(args, command.name, lambda s: Job(command.name, params, {first: s.path, **others}),
                        steps=progress_steps)


def register_described(sub: Any) -> None:
    """A sub-command for every command described in :mod:`prisma_abu.commands` that has none of its own:
    its first input role's pictures (or folders, or -) as inputs, ``--ROLE PICTURE`` for each other role,
    its knobs as options; rendered, written and reported as every picture command's."""
    from ..commands import COMMANDS

    for name, command in COMMANDS.items():
        plain = all(role.isidentifier() for role in command.roles)  # (a pattern such as style\d* needs a shell)
        if name in sub.choices or not command.shell or not plain or not command.roles:
            continue
        p = sub.add_parser(name, help=command.help or f"{name}: {command.params_cls.__doc__.splitlines()[0]}")
        add_common_options(p, inputs=command.roles[0].upper())
        for role in command.roles[1:]:
            p.add_argument("--" + role.replace("_", "-"), dest=f"role_{role}", metavar="PICTURE", type=find_picture,
                           help=f"the {role.replace('_', ' ')} picture")
        add_params_arguments(p, command.params_cls)
        p.set_defaults(func=_cmd_described, described=name)


def _cmd_replay(args: argparse.Namespace) -> int:
    from ..io import read_metadata
    from ..jobs import arithmetic_of, job_from_metadata, requested_params
    from ..pipeline.models import set_threads

    metas: dict[str, Any] = {}

    def make_job(source: Source):
        meta = read_metadata(source.path)
        metas[source.path] = meta
        threads = arithmetic_of(meta).get("threads")
        if threads is not None:
            set_threads(threads)  # the first picture's arithmetic: same threads, same bytes
        return job_from_metadata(meta, picture=source.path)

    def requested(source: Source):
        return requested_params(metas[source.path])

    from ..pipeline.models import arithmetic

    before = arithmetic()["threads"]
    try:
        return run_pictures(args, "replay", make_job, requested=requested)
    finally:
        set_threads(before)


def _add_force(p: argparse.ArgumentParser) -> None:
    """``--force``, as stylize's: a rerun into a folder (or the default out/) skips the photos whose picture
    with the same job is there (see :func:`prisma_abu.cli.pictures.done_before`)."""
    p.add_argument("--force", action="store_true",
                   help="into a folder (or the default out/): redo photos already painted there with the same job "
                        "(default: skip them); -o FILE is always painted anew")


def register(sub: Any) -> None:
    """Add the picture commands to ``prisma-abu``'s sub-commands."""
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("dream", help="DeepDream pictures", epilog=_DREAM_EPILOG, formatter_class=fmt,
                       description="DeepDream each picture: amplify what a layer of a network sees in it.")
    add_common_options(p)
    p.add_argument("--guide", metavar="PICTURE", type=find_picture, help="a guide picture: the dream pulls the layer toward its "
                                                       "features (sets --objective guide)")
    add_params_arguments(p, DreamParams)
    _add_force(p)
    p.set_defaults(func=_cmd_dream)

    for name, helptext, description in (
            ("mix", "abu's Prisma: the photo painted in the guide's manner, its subject kept",
             "abu's Prisma on each photo: the whole photo painted in the guide's manner (--compose paint, the "
             "default) and the photo blended back softly where a mask finds the subject and faces; --compose "
             "paste: the book's, the raw guide fills what the mask leaves (convolution-weighted, n1/n2/n3); "
             "then an enhance preset and a short dream on a shallow layer (--texture)."),
            ("mask", "the mask mix would use, as a picture", "The mask mix would use for each photo (white: "
             "the photo is kept)."),
            ("features", "the Harris corners (blue) and their sub-pixel refinements (red +)",
             "Each photo with the Harris corners the features mask is built from.")):
        p = sub.add_parser(name, help=helptext, description=textwrap.fill(description, 88), formatter_class=fmt,
                           epilog=_MIX_EPILOG if name == "mix" else None)
        add_common_options(p, inputs="PHOTO")
        if name == "mix":
            p.add_argument("--guide", metavar="PICTURE", type=find_picture,
                           help="the guide picture (the painting's style; with --compose paste what fills what "
                                "the mask leaves); stylized:MODEL: the photo itself painted by a style network "
                                "(stylized:arbitrary:PAINTING as PAINTING); none: a plain dream of the photo")
        add_params_arguments(p, MixParams, skip=unused_knobs(name, MixParams))  # only the knobs it reads
        if name == "mix":
            _add_force(p)
        p.set_defaults(func=_cmd_mix if name == "mix" else _cmd_mask_like)

    p = sub.add_parser("replay", help="render pictures prisma-abu wrote again, from their own parameters",
                       description="Render each picture again from the parameters, inputs (checked by sha256) "
                                   "and arithmetic (precision, threads) it carries: the same bytes.")
    add_common_options(p, inputs="PICTURE", inputs_help="pictures prisma-abu wrote, or folders of them",
                       params=False)
    p.set_defaults(func=_cmd_replay)
