"""What every command shares: exit codes, parameter objects <-> options, progress, common options."""

from __future__ import annotations

import argparse
import errno
import dataclasses
import typing
from pathlib import Path
from typing import Any, Callable, Sequence

from ..data import find_picture
from ..errors import InvalidParameterError
from ..params import Knob, Params, knobs, load_text
from ..pipeline.models import check_names

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "add_params_arguments", "params_from_args", "add_common_options",
           "given_fields", "check_lone_input", "VIDEO_INPUT_SUFFIXES",
           "NONE", "format_default", "option_help"]

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


def _option_type(hint: Any, name: str, info: Knob) -> dict[str, Any]:
    args = typing.get_args(hint)
    base = next((a for a in args if a is not type(None)), hint) if args and type(None) in args else hint
    optional = type(None) in args
    if base is bool:
        return {"action": argparse.BooleanOptionalAction}
    if name.startswith("spots_"):
        return {"type": _spots, "metavar": info.metavar or "Y,X,SIZE;..."}
    metavar = {"metavar": info.metavar} if info.metavar else {}
    origin = typing.get_origin(base)
    if origin is tuple:
        item = typing.get_args(base)[0]
        return {"type": _tuple_parser(item if item in (int, float) else str), "metavar": info.metavar or "A,B,..."}
    if info.choices is not None:
        return {"type": _parse_none if optional else str, "choices": info.choices, **metavar} if not optional \
            else {"type": _parse_none, **metavar}
    if base in (int, float):
        if optional:
            return {"type": lambda t, b=base: NONE if t.lower() == "none" else _number(b, t), **metavar}
        return {"type": lambda t, b=base: _number(b, t), **metavar}
    return {"type": _parse_none if optional else str, **metavar}


def _number(kind: type, text: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        name = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {name}, got {text!r}") from None


def format_default(value: Any) -> str:
    """A default as the user would type it: ``none``, ``on``/``off``, ``a,b``, ``1.5``."""
    if value is None or value == ():
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(format_default(v) for v in value)
    return str(value)


def option_help(info: Knob, default: Any, old: Sequence[str] = (), *, list_choices: bool = True) -> str:
    """``--help``'s text for a knob: its meaning, choices (unless argparse shows them), default, old spellings."""
    text = info.help
    if info.choices is not None and list_choices:
        text += f" ({', '.join(map(str, info.choices))})"
    text += f"; default: {format_default(default)}"
    if old:
        text += f" (old spelling {', '.join(old)}: still accepted)"
    return text.replace("%", "%%")


def add_params_arguments(parser: argparse.ArgumentParser, cls: type[Params], *,
                         skip: Sequence[str] = (), rename: dict[str, str] | None = None,
                         peer: dict[str, str] | None = None, peer_name: str = "") -> None:
    """One ``--option`` per field of ``cls`` with the field's help, metavar and choices (see :func:`knob`).

    Old field names (a knob's ``aliases``) are extra spellings of the same option, and so are a peer tool's
    (``peer``: field -> flag, e.g. neural-style's ``-content_weight``); a peer's flag for an on/off field takes
    ``0`` or ``1`` or nothing (on), as Lua's and PyTorch's scripts write them.
    """
    rename, peer = (cls.OPTION_NAMES if rename is None else rename), peer or {}
    hints = typing.get_type_hints(cls)
    groups: dict[str, Any] = {}  # one help section per knob group, in the order the class declares them
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in skip:
            continue
        info = knobs(cls)[f.name]
        if info.group not in groups:
            title = f"{cls.kind} parameters" + (f": {info.group}" if info.group else "")
            groups[info.group] = parser.add_argument_group(title)
        group = groups[info.group]
        flag = "--" + rename.get(f.name, f.name).replace("_", "-")
        old = ["--" + a.replace("_", "-") for a in info.aliases]
        kind = _option_type(hints[f.name], f.name, info)
        theirs = peer.get(f.name)
        switch = kind.get("action") is argparse.BooleanOptionalAction
        help_text = option_help(info, f.default, old, list_choices="choices" not in kind)
        if theirs:
            help_text += f" ({peer_name}: {theirs}{' 0|1' if switch else ''})"
        group.add_argument(flag, *old, *([theirs] if theirs and not switch else []), dest=f"p_{f.name}",
                           default=None, help=help_text, **kind)
        if theirs and switch:
            group.add_argument(theirs, dest=f"p_{f.name}", default=None, nargs="?", const=True, type=_zero_one,
                               metavar="0|1", help=f"{peer_name}'s spelling of {flag}: 1 (or nothing) on, 0 off")


def _zero_one(text: str) -> bool:
    if text.strip() not in ("0", "1"):
        raise argparse.ArgumentTypeError(f"expected 0 or 1, got {text!r}")
    return text.strip() == "1"


def given_fields(args: argparse.Namespace) -> set[str]:
    """The parameter fields the user gave on the command line."""
    return {k[2:] for k, v in vars(args).items() if k.startswith("p_") and v is not None}


def params_from_args(cls: type[Params], args: argparse.Namespace, **overrides: Any) -> Params:
    """The parameter object the options describe (unset options keep the defaults, or the --params file's).

    A class with ``given`` (mix) applies its rule: a knob ``auto`` or a
    ``texture`` chooses, given here or in the ``--params`` file, turns that
    choice off (unless ``auto`` or ``texture`` is given too).
    """
    values = {k[2:]: (None if v is NONE else v) for k, v in vars(args).items()
              if k.startswith("p_") and v is not None}
    values.update(overrides)
    if hasattr(cls, "given"):  # a knob auto or a texture would choose, given here, turns that choice off
        values = cls.given(values)
    if getattr(args, "params", None):
        base = _load_params_file(cls, args.params)
        if hasattr(cls, "given"):  # so does one the file gives (its mask is not silently replaced)
            base = cls.given(base)
        values = {**base, **values}
    params = cls.from_dict(values)
    check_names(params)  # an unknown backbone or layer: refused before torch
    return params


def _load_params_file(cls: type[Params], path: str) -> dict[str, Any]:
    """Parameter values (checked) from a .toml / .json file, or from the metadata of a picture prisma-abu
    wrote: only the knobs the file gives."""
    from ..io import WRITABLE_SUFFIXES, read_metadata

    p = Path(path)
    if not p.is_file():
        raise InvalidParameterError(f"{p}: no such parameter file; expected a .json or .toml file")
    if p.suffix.lower() in WRITABLE_SUFFIXES:
        data = read_metadata(p).get("params")
        if not isinstance(data, dict) or data.get("kind") != cls.kind:
            raise InvalidParameterError(f"{p}: carries no {cls.kind} parameters; expected a picture made by "
                                        f"prisma-abu {cls.kind}")
        cls.from_dict(data)  # checked
        return cls.canonical(data)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidParameterError(f"{p}: is not UTF-8 text; expected a .toml or .json parameter file") from None
    data = load_text(text, "toml" if p.suffix.lower() == ".toml" else "json")
    cls.from_dict(data)  # checked
    return cls.canonical(data)


# --- shared by the commands ---------------------------------------------------------------------

def add_common_options(p: argparse.ArgumentParser, *, inputs: str = "PICTURE",
                       inputs_help: str = "pictures, folders of pictures, or - (a picture on stdin)",
                       params: bool = True, inputs_optional: bool = False,
                       output_flags: Sequence[str] = ()) -> None:
    """The inputs and the options every picture command shares (see :mod:`prisma_abu.cli.pictures`).

    ``inputs_optional``: the inputs may come from an option instead (neural-style's ``-content_image``);
    ``output_flags``: a peer's spellings of ``--output`` (``-output_image``).
    """
    p.add_argument("inputs", nargs="*" if inputs_optional else "+", type=find_picture, metavar=inputs,
                   help=inputs_help + "; a bundled photo by name (chelsea) also works")
    p.add_argument("-o", "--output", *output_flags, metavar="FILE|DIR|-",
                   help="the picture to write (.png, .jpg, .webp, .tif); a folder for several inputs; - for PNG on "
                        "stdout; default: out/<name>_<command>.png, never overwriting")
    if params:
        p.add_argument("--params", metavar="FILE", help="start from the parameters in this .toml or .json file "
                                                        "(or a picture prisma-abu wrote)")
    p.add_argument("--json", action="store_true", help="print one JSON object per picture (input, output, "
                                                       "parameters, seconds, precision) instead of its path")
    p.add_argument("--overwrite", action="store_true", help="allow the output to be one of the inputs")
    p.add_argument("--metadata-paths", choices=("relative", "absolute", "name"), default="relative",
                   help="how the picture records input paths outside its folder: relative to it (default), "
                        "absolute, or the file name only; their sha256 is always recorded")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


#: inputs taken as videos (``stylize``), not pictures
VIDEO_INPUT_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")


def check_lone_input(entries: Sequence[str], output: str | None = None) -> None:
    """A command's one input, when it is a picture file, and its output file, checked before anything imports
    torch or a model.

    A missing, unreadable or special input, or an output that cannot be written, is then one line and exit 2
    in a fraction of a second (as it would be after the imports: one input that fails fails the command).
    Several inputs, a folder, ``-`` or a video are left to the command (some may fail while the rest are
    painted), and so is an output folder.
    """
    import os

    if len(entries) != 1 or entries[0] == "-" or os.path.isdir(entries[0]) \
            or Path(entries[0]).suffix.lower() in VIDEO_INPUT_SUFFIXES:
        return
    from ..io import check_input_file, check_output_path

    check_input_file(entries[0])
    if output is not None and output != "-" and not output.endswith(("/", os.sep)) and not os.path.isdir(output):
        check_output_path(output)


_PATH_ERRNOS = {errno.ENAMETOOLONG: "file name too long; expected at most 255 bytes a name",
                errno.ELOOP: "symlink loop; expected a path that leads to a file or folder",
                errno.ENOSPC: "no space left on the device; expected room for the output",
                errno.EDQUOT: "disk quota exceeded; expected room for the output",
                errno.EFBIG: "file too large for this place (a file size limit); expected room for the output",
                errno.EROFS: "read-only file system; expected a writable place",
                errno.EACCES: "permission denied; expected a readable input and a writable output",
                errno.EPERM: "operation not permitted; expected a readable input and a writable output",
                errno.ENOENT: "no such file or folder; expected an existing path",
                errno.EPIPE: "output closed (broken pipe); expected a reader on standard output"}


def path_error_line(exc: BaseException) -> str | None:
    """One line for a path or write error the OS raised (name too long, loop, disk full, ...), else None."""
    if isinstance(exc, RuntimeError) and str(exc).startswith("Symlink loop"):  # pathlib.resolve's wording
        return f"{str(exc)[len('Symlink loop from '):].strip(chr(39))}: {_PATH_ERRNOS[errno.ELOOP]}"
    if isinstance(exc, OSError) and exc.errno in _PATH_ERRNOS:
        where = exc.filename if exc.filename is not None else "output"
        return f"{where}: {_PATH_ERRNOS[exc.errno]}"
    return None
