"""The base of every parameter object, and each knob's description.

Every field of a parameter class is declared with :func:`knob`: its default,
its help text (one sentence a newcomer understands), and where it applies its
metavar, choices, unit, numeric range and old spellings. That description is
the one source the command line's ``--help``, the window's tooltips, the
experiment file's documentation and the README's table are made from, and the
range is the one ``__post_init__`` checks.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import typing
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, Mapping, TypeVar

from ..errors import InvalidParameterError
from .text import PARAMS_DEPTH_LIMIT, PARAMS_TEXT_LIMIT, load_text  # noqa: F401 (its names)

__all__ = ["Params", "Knob", "knob", "knobs", "params_from_dict", "params_from_metadata", "register_kind",
           "param_kinds", "NO_LEGACY", "load_text", "check_type", "PARAMS_TEXT_LIMIT", "PARAMS_DEPTH_LIMIT",
           "PRECISIONS", "DEVICES", "parse_device"]

#: the ``precision`` knob's values: ``auto`` is resolved once per job (:func:`prisma_abu.pipeline.models.
#: resolve_precision`) into what ran, ``fp32`` or ``bf16``
PRECISIONS = ("auto", "fp32", "bf16")
#: what ``--device`` takes (``cuda:N`` for any N)
DEVICES = ("auto", "cpu", "cuda", "mps")

P = TypeVar("P", bound="Params")


class _NoLegacy:
    def __repr__(self) -> str:
        return "NO_LEGACY"


#: a knob that has been there since 0.1.0 (its default is the old behaviour)
NO_LEGACY: Any = _NoLegacy()


@dataclass(frozen=True)
class Knob:
    """What a parameter field means, for people and for validation.

    Attributes
    ----------
    help : str
        One or two sentences: what the knob does, in the user's words.
    metavar : str or None
        The value's name on the command line (``PIXELS``, ``FACTOR``...).
    choices : tuple or None
        The valid values (checked in ``__post_init__``).
    low, high : float or None
        The valid range (checked); ``low_open`` excludes ``low``.
    unit : str or None
        ``px``, ``steps``... (shown in the docs).
    aliases : tuple of str
        Old field names still accepted (``base_width`` for ``size``), with a
        deprecation note in ``--help``.
    group : str
        Which part of the knobs it belongs to (for the docs and the window).
    legacy : object
        For a knob added after 0.1.0 whose default changed what a picture
        looks like: the value that reproduces the old behaviour. A picture's
        stored parameters that lack the field take this value
        (:func:`params_from_metadata`), so replay and resume stay exact.
    """

    help: str
    metavar: str | None = None
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    unit: str | None = None
    aliases: tuple[str, ...] = ()
    group: str = ""
    legacy: Any = NO_LEGACY


def knob(default: Any, help: str, **info: Any) -> Any:
    """A dataclass field with its :class:`Knob` (``help`` is required)."""
    return dataclasses.field(default=default, metadata=MappingProxyType({"knob": Knob(help, **info)}))


def knobs(cls: type[Params]) -> dict[str, Knob]:
    """Field name -> :class:`Knob`, in field order (a field without one raises)."""
    out = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        info = f.metadata.get("knob")
        if info is None:
            raise TypeError(f"{cls.__name__}.{f.name} has no knob() description")
        out[f.name] = info
    return out


# --- checks --------------------------------------------------------------------------------------

def check_range(name: str, value: float, lo: float | None, hi: float | None, *, lo_open: bool = False) -> None:
    """``value`` a finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``), else one clear line."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidParameterError(f"{name}: expected a finite number, got {value!r:.40}")
    below = value <= lo if (lo is not None and lo_open) else (lo is not None and value < lo)
    if below or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else f"{lo:g}"
        hi_s = "inf" if hi is None else f"{hi:g}"
        bracket = "(" if lo_open else "["
        raise InvalidParameterError(f"{name}: expected a value in {bracket}{lo_s}, {hi_s}], got {value!r:.40}")


def check_int(name: str, value: Any, lo: int, hi: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(f"{name}: expected an integer, got {value!r}")
    check_range(name, value, lo, hi)


def check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise InvalidParameterError(
            f"{name}: expected one of {', '.join(map(str, choices))}, got {value!r}")


def parse_device(spec: Any) -> tuple[str, int | None]:
    """``"cuda:1"`` -> ``("cuda", 1)``; anything else than auto|cpu|cuda|cuda:N|mps is refused (torch-free:
    whether the device is there is checked when it runs, :func:`prisma_abu.pipeline.models.resolve_device`)."""
    import re

    match = re.fullmatch(r"(auto|cpu|cuda|mps)(?::(\d+))?", spec.strip().lower()) if isinstance(spec, str) else None
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise InvalidParameterError(f"device: expected auto, cpu, cuda, cuda:N or mps, got {spec!r:.40}")
    return match.group(1), None if match.group(2) is None else int(match.group(2))


def check_device(name: str, value: Any) -> None:
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps`` (:func:`parse_device`)."""
    try:
        parse_device(value)
    except InvalidParameterError:
        raise InvalidParameterError(f"{name}: expected auto, cpu, cuda, cuda:N or mps, got {value!r:.40}") from None


def device_knob() -> Any:
    """The ``device`` field every network's parameters have (old pictures ran on the CPU)."""
    return knob("auto", "where the network runs: auto (the first CUDA GPU when one works, else the CPU), cpu, "
                "cuda, cuda:N or mps", metavar="DEVICE", legacy="cpu", group="device")


def check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise InvalidParameterError(f"{name}: expected true or false, got {value!r}")


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _type_name(hint: Any) -> str:
    base, optional = _base(hint)
    if typing.get_origin(base) is tuple:
        args = typing.get_args(base)
        if len(args) == 2 and args[1] is Ellipsis and args[0] is not Any:
            name = "a list of " + {bool: "true/false values", int: "integers", float: "numbers",
                                   str: "strings"}.get(args[0], "lists")
        else:
            name = "a list"
    else:
        name = _TYPE_NAMES.get(base, getattr(base, "__name__", str(base)))
    return f"{name} or None" if optional else name


def _fits(value: Any, hint: Any) -> bool:
    base, optional = _base(hint)
    if value is None:
        return optional
    if base is Any:
        return True
    if base is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if base in (int, str):
        return isinstance(value, base) and not isinstance(value, bool)
    if base is bool:
        return isinstance(value, bool)
    if typing.get_origin(base) is tuple:
        if not isinstance(value, (tuple, list)):
            return False
        args = typing.get_args(base)
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(item, args[0]) for item in value)
        return True  # a fixed-length tuple (a spot's y, x, size): the field's own check names its parts
    return True  # a type this check does not know: the field's own checks decide


def check_type(name: str, value: Any, hint: Any) -> None:
    """``value`` of the field's declared type (an int is a float too), else one line naming field, type and value."""
    if not _fits(value, hint):
        raise InvalidParameterError(f"{name}: expected {_type_name(hint)}, got {value!r:.60}")


@functools.lru_cache(maxsize=None)
def _type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, once per class (it costs ~2 ms; every new parameter object asks)."""
    return typing.get_type_hints(cls)


def _base(hint: Any) -> tuple[Any, bool]:
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    return base, optional


class Params:
    """The base of every parameter object: knob checks, dict / JSON / TOML round trip and ``replace``."""

    kind: ClassVar[str] = ""
    #: knobs whose command-line option has another name (``{"layers": "layer"}``): read by the CLI's options,
    #: :func:`~prisma_abu.params.option_words`, the web forms and the docs
    OPTION_NAMES: ClassVar[Mapping[str, str]] = MappingProxyType({})

    def __post_init__(self) -> None:
        self._check_knobs()

    def _check_knobs(self) -> None:
        """Each field's declared type, then booleans, choices and numeric ranges, as its :class:`Knob` declares them."""
        hints = _type_hints(type(self))
        fields = knobs(type(self))
        for name in fields:
            check_type(name, getattr(self, name), hints[name])
        for name, info in fields.items():
            value = getattr(self, name)
            base, optional = _base(hints[name])
            if value is None and optional:
                continue
            if base is bool:
                check_bool(name, value)
            if name == "device":
                check_device(name, value)
            if info.choices is not None:
                check_choice(name, value, info.choices)
            if info.low is not None or info.high is not None:
                if base is int:
                    check_int(name, value, int(info.low if info.low is not None else -2**63),
                              None if info.high is None else int(info.high))
                elif base is float:
                    check_range(name, value, info.low, info.high, lo_open=info.low_open)

    def replace(self: P, **changes: Any) -> P:
        """A copy with some fields changed (validated again)."""
        return self.from_dict({**self.to_dict(), **changes})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, **self.to_dict()}, sort_keys=True)

    def to_toml(self) -> str:
        import tomli_w

        data = {k: ("None" if v is None else v) for k, v in self.to_dict().items()}
        return tomli_w.dumps({"kind": self.kind, **data})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def aliases(cls) -> dict[str, str]:
        """Old field name -> its name now (``base_width`` -> ``size``)."""
        return {old: name for name, info in knobs(cls).items() for old in info.aliases}

    @classmethod
    def canonical(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` with old field names renamed (both spellings of one field are an error)."""
        out = dict(data)
        for old, new in cls.aliases().items():
            if old in out:
                if new in out:
                    raise InvalidParameterError(f"{old} and {new} are one knob ({new}); expected only one of them")
                out[new] = out.pop(old)
        return out

    @classmethod
    def from_dict(cls: type[P], data: Mapping[str, Any]) -> P:
        """Build from a mapping; unknown keys are an error naming the valid ones."""
        if not isinstance(data, Mapping):
            raise InvalidParameterError(f"expected parameters as a table of names and values, got {data!r:.60}")
        data = cls.canonical(data)
        kind = data.pop("kind", cls.kind)
        if kind != cls.kind:
            raise InvalidParameterError(f"expected parameters of kind {cls.kind!r}, got {kind!r}")
        names = cls.field_names()
        unknown = sorted(set(data) - set(names), key=str)
        if unknown:
            raise InvalidParameterError(
                f"unknown parameter(s) {', '.join(map(str, unknown))} for {cls.kind}; "
                f"expected some of: {', '.join(names)}")
        hints = _type_hints(cls)
        return cls(**{k: _coerce(hints[k], v) for k, v in data.items()})  # type: ignore[call-arg]

    @classmethod
    def from_json(cls: type[P], text: str) -> P:
        return cls.from_dict(load_text(text, "json"))

    @classmethod
    def from_toml(cls: type[P], text: str) -> P:
        return cls.from_dict(load_text(text, "toml"))


def _coerce(hint: Any, value: Any) -> Any:
    """Lists from JSON/TOML back to tuples; the string "None" to None where allowed; ints to floats."""
    base, optional = _base(hint)
    if optional and isinstance(value, str) and value in ("None", "none"):
        return None
    if isinstance(value, list):
        return tuple(_coerce_item(v) for v in value)
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _coerce_item(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


_KINDS: dict[str, type[Params]] = {}


def register_kind(cls: type[Params]) -> type[Params]:
    """Make a parameter class known to :func:`params_from_dict` (every kind registers itself)."""
    knobs(cls)  # every field described
    _KINDS[cls.kind] = cls
    return cls


def param_kinds() -> dict[str, type[Params]]:
    """Every registered kind -> its parameter class."""
    return dict(_KINDS)


def params_from_metadata(data: Mapping[str, Any]) -> Params:
    """The parameters a picture's metadata stores: fields it lacks take their ``legacy`` value.

    A picture written before a knob existed was made with that knob's old
    behaviour; its replay (and a batch's resume check) must use it too.
    """
    kind = data.get("kind") if isinstance(data, Mapping) else None
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return params_from_dict(data)
    data = cls.canonical(data)
    missing = {name: info.legacy for name, info in knobs(cls).items()
               if name not in data and info.legacy is not NO_LEGACY}
    return cls.from_dict({**data, **missing})


def params_from_dict(data: Mapping[str, Any]) -> Params:
    """Build whichever parameter object ``data['kind']`` names."""
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if not isinstance(kind, str) or kind not in _KINDS:
        raise InvalidParameterError(
            f"expected a parameter kind in {', '.join(sorted(_KINDS))}, got {kind!r:.40}")
    return _KINDS[kind].from_dict(data)
