"""``prisma-abu``: a thin shell — argv -> params -> one library call -> exit code.

Every error prisma_abu raises on purpose becomes one line on stderr and exit
code 2; nothing is written then.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing
from pathlib import Path
from typing import Any, Callable, Sequence

from . import __version__
from .errors import InvalidParameterError, PrismaAbuError
from .params import DreamParams, MixParams, _Params

__all__ = ["main", "build_parser", "add_params_arguments", "params_from_args"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
Command = Callable[[argparse.Namespace], int]


# --- parameter objects <-> options -------------------------------------------------------------

class _Explicit:
    """An option given as ``none``: unlike an option not given, it sets the field to None."""

    def __repr__(self) -> str:
        return "none"


NONE = _Explicit()


def _parse_none(text: str) -> Any:
    return NONE if text.lower() == "none" else text


def _tuple_parser(item: Callable[[str], Any]) -> Callable[[str], tuple]:
    def parse(text: str) -> tuple:
        return tuple(item(t) for t in text.split(",") if t.strip()) if text.strip() else ()
    return parse


def _spots(text: str) -> tuple:
    """``"y,x,size;y,x,size"`` -> ((y, x, size), ...)."""
    try:
        return tuple(tuple(int(v) for v in spot.split(",")) for spot in text.split(";") if spot.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected spots as 'y,x,size;y,x,size', got {text!r}") from None


def _option_type(hint: Any, name: str) -> dict[str, Any]:
    args = typing.get_args(hint)
    base = next((a for a in args if a is not type(None)), hint) if args and type(None) in args else hint
    optional = type(None) in args
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}
    if name.startswith("spots_"):
        return {"type": _spots, "metavar": "Y,X,SIZE;..."}
    origin = typing.get_origin(base)
    if origin is tuple:
        item = typing.get_args(base)[0]
        return {"type": _tuple_parser(item if item in (int, float) else str), "metavar": "A,B,..."}
    if base in (int, float):
        if optional:
            return {"type": lambda t, b=base: NONE if t.lower() == "none" else b(t)}
        return {"type": base}
    return {"type": _parse_none if optional else str}


def add_params_arguments(parser: argparse.ArgumentParser, cls: type[_Params], *,
                         skip: Sequence[str] = (), rename: dict[str, str] | None = None) -> None:
    """One ``--option`` per field of ``cls`` (default: the field's default)."""
    rename = rename or {}
    hints = typing.get_type_hints(cls)
    group = parser.add_argument_group(f"{cls.kind} parameters")
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in skip:
            continue
        flag = "--" + rename.get(f.name, f.name).replace("_", "-")
        group.add_argument(flag, dest=f"p_{f.name}", default=None,
                           help=f"default: {f.default!r}", **_option_type(hints[f.name], f.name))


def params_from_args(cls: type[_Params], args: argparse.Namespace, **overrides: Any) -> _Params:
    """The parameter object the options describe (unset options keep the defaults)."""
    values = {k[2:]: (None if v is NONE else v) for k, v in vars(args).items()
              if k.startswith("p_") and v is not None}
    values.update(overrides)
    if getattr(args, "params", None):
        base = _load_params_file(cls, args.params)
        return base.replace(**values)
    return cls.from_dict(values)


def _load_params_file(cls: type[_Params], path: str) -> _Params:
    p = Path(path)
    if not p.is_file():
        raise InvalidParameterError(f"{p}: no such parameter file; expected a .json or .toml file")
    text = p.read_text(encoding="utf-8")
    return cls.from_toml(text) if p.suffix.lower() == ".toml" else cls.from_json(text)


# --- commands ----------------------------------------------------------------------------------

def _progress(args: argparse.Namespace, total: int | None):
    """A tqdm bar on stderr when it is a terminal; returns (callback, close)."""
    if args.quiet or not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="step", leave=False, file=sys.stderr)
    return (lambda octave, step, value: bar.update(1)), bar.close


def _run_and_write(args: argparse.Namespace, job) -> int:
    from .io import check_output_path
    from .jobs import run_job

    check_output_path(args.output)
    callback, close = _progress(args, None)
    try:
        path = run_job(job, args.output, callback=callback)
    finally:
        close()
    print(path)
    return EXIT_OK


def _cmd_dream(args: argparse.Namespace) -> int:
    from .jobs import Job

    overrides = {"objective": "guide"} if args.guide and args.p_objective is None else {}
    params = params_from_args(DreamParams, args, **overrides)
    return _run_and_write(args, Job("dream", params, {"image": args.image, "guide": args.guide}))


def _cmd_mix(args: argparse.Namespace) -> int:
    from .jobs import Job

    params = params_from_args(MixParams, args)
    return _run_and_write(args, Job(args.command, params, {"source": args.source, "guide": args.guide}))


def _cmd_mask_like(args: argparse.Namespace) -> int:
    from .jobs import Job

    params = params_from_args(MixParams, args)
    return _run_and_write(args, Job(args.command, params, {"source": args.source}))


def _cmd_replay(args: argparse.Namespace) -> int:
    from .io import read_metadata
    from .jobs import job_from_metadata

    job = job_from_metadata(read_metadata(args.picture))
    return _run_and_write(args, job)


def _cmd_layers(args: argparse.Namespace) -> int:
    from .neural.backbones import layer_names
    from .pipeline import PRISMA_LAYERS

    for name in layer_names(args.backbone):
        mark = "  (mix default)" if PRISMA_LAYERS.get(args.backbone) == name else ""
        print(name + mark)
    return EXIT_OK


def _cmd_doctor(args: argparse.Namespace) -> int:
    import platform

    import numpy
    import torch
    import torchvision

    from .neural.backbones import backbone_names, backbone_status
    from .neural.deepdream import bf16_supported

    print(f"prisma_abu {__version__}  python {platform.python_version()}  numpy {numpy.__version__}  "
          f"torch {torch.__version__}  torchvision {torchvision.__version__}")
    print(f"threads {torch.get_num_threads()}  bf16 {'yes' if bf16_supported() else 'no'}  "
          f"cuda {'yes' if torch.cuda.is_available() else 'no'}")
    for name in backbone_names():
        status = backbone_status(name)
        state = "ready" if status["weights_present"] else "missing"
        print(f"{name:20s} {state:8s} {status['source']}")
    return EXIT_OK


def _cmd_fetch_weights(args: argparse.Namespace) -> int:
    from .neural.weights import fetch_weights

    print(fetch_weights(args.backbone))
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------------

def _common(p: argparse.ArgumentParser, *, output: bool = True) -> None:
    if output:
        p.add_argument("-o", "--output", required=True, help="output picture (.png, .jpg, .webp, .tif)")
    p.add_argument("--params", help="start from the parameters in this .json or .toml file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prisma-abu", description="Photos into paintings, offline.")
    parser.add_argument("--version", action="version", version=f"prisma_abu {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("dream", help="DeepDream a picture")
    p.add_argument("image")
    p.add_argument("--guide", help="guide picture (guided objective)")
    _common(p)
    add_params_arguments(p, DreamParams, rename={"layers": "layer"})
    p.set_defaults(func=_cmd_dream)

    for name, helptext in (("mix", "abu's Prisma: mask, blend with a guide, enhance, shallow dream"),
                           ("mask", "the mask mix would use, as a picture"),
                           ("features", "the Harris corners (blue) and sub-pixel refinements (red +)")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("source")
        if name == "mix":
            p.add_argument("--guide", help="guide picture (default: none)")
        _common(p)
        add_params_arguments(p, MixParams)
        p.set_defaults(func=_cmd_mix if name == "mix" else _cmd_mask_like)

    p = sub.add_parser("replay", help="render a picture prisma-abu wrote again, from its own parameters")
    p.add_argument("picture")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_replay)

    p = sub.add_parser("layers", help="the layers of a backbone, in network order")
    p.add_argument("--backbone", default="efficientnet_lite0")
    p.set_defaults(func=_cmd_layers)

    p = sub.add_parser("doctor", help="backbones, weights, versions, threads, bf16")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("fetch-weights", help="download torchvision weights once (needs the network)")
    p.add_argument("backbone", choices=("googlenet", "vgg19"))
    p.set_defaults(func=_cmd_fetch_weights)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[Any], None]]:
    """Commands that live beside their engines: ``register(subparsers)`` in each module."""
    import importlib

    registers = []
    for module in _EXTRA_COMMAND_MODULES:
        try:
            registers.append(importlib.import_module(module, __package__).register)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}{module}":
                raise
    return registers


#: ``batch`` and ``style`` register their sub-commands from these modules.
_EXTRA_COMMAND_MODULES = (".batch_cli", ".style_cli", ".gui_cli")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``prisma-abu``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except PrismaAbuError as exc:
        print(f"prisma-abu: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("prisma-abu: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
