"""What the studio offers, made from the knob declarations: form fields, jobs from form values, the CLI line.

The page draws its forms from :func:`form_spec` — each field's help, default,
range, choices and unit come from :func:`prisma_abu.params.knobs`, never a
hand-written copy — and :func:`make_job` turns what a client sent into the
same :class:`~prisma_abu.jobs.Job` the command line would build, validated by
the same parameter classes. A client never names a path: photos and guides
are stored inputs (ids), built-in guides are names from ``prisma_gd/``,
models are built-in names or files of the model folder, by name.
"""

from __future__ import annotations

import dataclasses
import shlex
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..data import guide_images
from ..errors import InvalidParameterError
from ..params import DreamParams, MixParams, Params, StylizeParams, knobs
from ..params import option_words as params_option_words

__all__ = ["WebCommand", "WEB_COMMANDS", "form_spec", "parse_params", "command_line", "guide_names",
           "STYLIZED", "NO_GUIDE", "MULTISTYLE", "option_words"]

#: ``guide=stylized:MODEL``: the photo itself painted by a built-in style network (as ``mix --guide stylized:``)
STYLIZED = "stylized:"
NO_GUIDE = "none"
#: the built-in 26-style network's styles, one by one (``prisma-abu stylize --sheet`` shows them all)
MULTISTYLE = tuple(f"multistyle26:{i}" for i in range(26))
PROGRAM = "prisma-abu"


@dataclass(frozen=True)
class WebCommand:
    """A command the studio runs: its parameter class, the photo's role, how the CLI spells its knobs.

    ``primary`` are the knobs the page shows first (the rest fold under "more
    knobs"); ``hidden`` the ones a client cannot set (they name server files).
    """

    name: str
    params_cls: type[Params]
    photo_role: str
    title: str
    primary: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ("weights",)
    guide_role: str | None = None


WEB_COMMANDS: dict[str, WebCommand] = {c.name: c for c in (
    WebCommand("mix", MixParams, "source", "The Prisma look: mix with a guide",
               primary=("texture", "size", "seed"), hidden=("weights", "guide_model"), guide_role="guide"),
    WebCommand("stylize", StylizeParams, "photo", "A style network",
               primary=("model", "strength", "preserve_color", "size"), hidden=("tile",)),
    WebCommand("dream", DreamParams, "image", "DeepDream",
               primary=("layers", "iter_n", "octave_n", "size", "seed"), guide_role="guide"),
)}


def _base(hint: Any) -> tuple[Any, bool]:
    args = typing.get_args(hint)
    optional = type(None) in args
    return (next((a for a in args if a is not type(None)), hint) if optional else hint), optional


def _kind(base: Any) -> str:
    if base is bool:
        return "bool"
    if base in (int, float, str):
        return base.__name__
    return "list" if typing.get_origin(base) is tuple else "str"


def form_spec() -> dict[str, Any]:
    """Every command's knobs as the page needs them: name, option, help, default, type, range, choices, group."""
    out = {}
    for name, command in WEB_COMMANDS.items():
        hints = typing.get_type_hints(command.params_cls)
        defaults = command.params_cls().to_dict()
        fields = []
        for f in dataclasses.fields(command.params_cls):  # type: ignore[arg-type]
            if f.name in command.hidden:
                continue
            info = knobs(command.params_cls)[f.name]
            base, optional = _base(hints[f.name])
            fields.append({
                "name": f.name, "option": "--" + command.params_cls.OPTION_NAMES.get(f.name, f.name).replace("_", "-"),
                "help": info.help, "default": defaults[f.name], "type": _kind(base), "optional": optional,
                "choices": list(info.choices) if info.choices is not None else None, "low": info.low,
                "high": info.high, "low_open": info.low_open, "unit": info.unit, "metavar": info.metavar,
                "group": info.group, "primary": f.name in command.primary})
        fields.sort(key=lambda k: (command.primary.index(k["name"]) if k["primary"] else len(command.primary)))
        out[name] = {"title": command.title, "photo_role": command.photo_role, "guide": command.guide_role is not None,
                     "knobs": fields}
    return out


def guide_names() -> list[str]:
    """The built-in guides (``prisma_gd/``), by stem."""
    try:
        return [p.stem for p in guide_images()]
    except InvalidParameterError:
        return []


def parse_params(command: WebCommand, values: Any, *, max_size: int | None = None) -> Params:
    """The parameter object a client's knob values describe (JSON types), checked like the command line's.

    Raises
    ------
    InvalidParameterError
        Not a table, an unknown knob, a hidden one (a file), a value out of
        range, or a size beyond the server's limit.
    """
    if not isinstance(values, Mapping):
        raise InvalidParameterError(f"params: expected a JSON object of knob values, got {type(values).__name__}")
    hidden = sorted(set(values) & set(command.hidden))
    if hidden:
        raise InvalidParameterError(f"{', '.join(hidden)}: names a file on the server; expected it left out")
    cls = command.params_cls
    values = cls.given(values) if hasattr(cls, "given") else dict(values)
    params = cls.from_dict(values)
    size = getattr(params, "size", None)
    if max_size is not None and size is not None and size > max_size:
        raise InvalidParameterError(f"size: expected at most {max_size} px on this server, got {size}")
    return params


def option_words(command: WebCommand, params: Params) -> list[str]:
    """``--option value`` words for every knob of ``params`` that is not its default (the CLI's spellings)."""
    return params_option_words(params)


def command_line(record: Mapping[str, Any]) -> str:
    """The ``prisma-abu`` line that renders a job's record, on its input files as the job folder names them."""
    command = WEB_COMMANDS[record["command"]]
    params = command.params_cls.from_dict(record["params"])
    inputs = record.get("inputs", {})
    words = [PROGRAM, command.name, inputs.get(command.photo_role, {}).get("file", "photo.jpg")]
    if command.guide_role in inputs:
        words += ["--guide", inputs[command.guide_role]["file"]]
    if "style_image" in inputs:
        words += ["--style-image", inputs["style_image"]["file"]]
    words += ["-o", "result.png", *option_words(command, params)]
    return " ".join(shlex.quote(w) for w in words)


def guide_file(name: str) -> Path:
    """The built-in guide called ``name`` (a stem from :func:`guide_names`)."""
    for path in guide_images():
        if path.stem == name:
            return path
    raise InvalidParameterError(f"guide: expected none, stylized:MODEL, an input id or one of "
                                f"{', '.join(guide_names())}, got {name!r:.40}")
