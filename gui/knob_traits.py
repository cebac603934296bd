"""Traits made from a parameter class's knobs: one trait per field, with the knob's range, choices and help.

:func:`knob_traits_class` reads :func:`prisma_abu.params.knobs` (the same
declarations the command line's options, ``--help`` and the checks come
from) and builds a :class:`KnobTraits` class: a bool knob is a ``Bool``, a
knob with choices an ``Enum`` of them, a number with a range a ``Range`` with
its bounds (``low_open`` excludes the low end), an optional one the same or
None, a list knob a ``List``; every trait's ``tooltip`` is the knob's help,
which traitsui shows over its editor. A knob added to a parameter class is
in the window without a line here. No Qt here.

Examples
--------
>>> from prisma_abu.params import DreamParams
>>> Knobs = knob_traits_class(DreamParams)
>>> Knobs().to_params() == DreamParams()
True
>>> Knobs(iter_n=3).to_params().iter_n
3
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from typing import Any, ClassVar

from traits.api import (Any as AnyTrait, Bool, Enum, Float, HasStrictTraits, Int, List, Range, Str, TraitError,
                        Tuple, Union)

from prisma_abu.errors import InvalidParameterError
from prisma_abu.params import Knob, Params, knobs

__all__ = ["KnobTraits", "knob_traits_class", "knob_trait", "optional_base", "as_trait_value", "as_param_value"]

_ITEM_TRAITS = {int: Int, float: Float, str: Str, bool: Bool}


def optional_base(hint: Any) -> tuple[Any, bool]:
    """``(T, True)`` for ``T | None``, ``(hint, False)`` otherwise."""
    args = typing.get_args(hint)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True
    return hint, False


def _item_trait(hint: Any) -> Any:
    """The trait of one element of a list knob: a number, a string, or a fixed tuple of them."""
    if typing.get_origin(hint) is tuple:
        return Tuple(*(_item_trait(a) for a in typing.get_args(hint)))
    return _ITEM_TRAITS.get(hint, AnyTrait)()


def _range(base: Any, info: Knob, default: Any, meta: dict[str, Any]) -> Any:
    low, high = info.low, info.high
    cast = int if base is int else float
    low = None if low is None else cast(low)
    high = None if high is None else cast(high)
    if info.low_open:
        meta = {**meta, "exclude_low": True}
    if default is None:  # an optional number: the range's own start stands in, the Union holds None
        return Range(low, high, **meta)
    return Range(low, high, default, **meta)


def knob_trait(hint: Any, info: Knob, default: Any) -> Any:
    """The trait for one knob: its type, default, range or choices, and its help as ``tooltip``."""
    base, optional = optional_base(hint)
    meta = {"tooltip": info.help, "knob": info}
    if info.choices is not None:
        values = list(info.choices) + ([None] if optional and None not in info.choices else [])
        return Enum(default, values, **meta)
    if typing.get_origin(base) is tuple:
        args = typing.get_args(base)
        item = _item_trait(args[0]) if len(args) == 2 and args[1] is Ellipsis else AnyTrait()
        return List(item, as_trait_value(default), **meta)
    inner = {} if optional else meta
    if base is bool:
        trait = Bool(default, **inner)
    elif base in (int, float) and (info.low is not None or info.high is not None):
        trait = _range(base, info, default, inner)
    elif base in (int, float, str):
        trait = _ITEM_TRAITS[base](base() if default is None else default, **inner)
    else:
        return AnyTrait(default, **meta)
    return Union(None, trait, default_value=default, **meta) if optional else trait


def as_trait_value(value: Any) -> Any:
    """A parameter's value as a trait holds it: tuples of tuples become lists of tuples."""
    if isinstance(value, tuple):
        return [tuple(v) if isinstance(v, (tuple, list)) else v for v in value]
    return value


def as_param_value(value: Any) -> Any:
    """A trait's value as the parameter class takes it: lists become tuples (inside too)."""
    if isinstance(value, (list, tuple)):
        return tuple(as_param_value(v) for v in value)
    return value


class KnobTraits(HasStrictTraits):
    """One trait per field of :attr:`params_cls`, same names and defaults (made by :func:`knob_traits_class`).

    The traits hold what a form can hold; :meth:`to_params` validates the
    whole set (raising :class:`~prisma_abu.errors.InvalidParameterError`).
    """

    params_cls: ClassVar[type[Params]] = Params

    @classmethod
    def knob_names(cls) -> tuple[str, ...]:
        """The knobs: the fields of :attr:`params_cls`, in their order."""
        return cls.params_cls.field_names()

    def to_params(self) -> Params:
        """The parameters these knobs describe (validated)."""
        return self.params_cls(**{name: as_param_value(getattr(self, name)) for name in self.knob_names()})

    def check_params(self, params: Params) -> None:
        """``params`` of this class, and values these traits can hold (else InvalidParameterError)."""
        if not isinstance(params, self.params_cls):
            raise InvalidParameterError(f"expected {self.params_cls.kind} parameters, got "
                                        f"{type(params).__name__}")

    def set_params(self, params: Params) -> None:
        """Take every knob from ``params``; all or nothing: on InvalidParameterError no knob has changed."""
        self.check_params(params)
        try:
            type(self)()._apply(params)  # a trial run: a value the form cannot hold fails before any change
        except TraitError as exc:
            raise InvalidParameterError(f"the window cannot hold these parameters: {exc}") from None
        self._apply(params)

    def _apply(self, params: Params) -> None:
        self.trait_set(**{name: as_trait_value(getattr(params, name)) for name in self.knob_names()})


@functools.lru_cache(maxsize=None)
def knob_traits_class(params_cls: type[Params]) -> type[KnobTraits]:
    """A :class:`KnobTraits` subclass with one trait per knob of ``params_cls`` (made once per class)."""
    hints = typing.get_type_hints(params_cls)
    defaults = {f.name: f.default for f in dataclasses.fields(params_cls)}  # type: ignore[arg-type]
    body: dict[str, Any] = {name: knob_trait(hints[name], info, defaults[name])
                            for name, info in knobs(params_cls).items()}
    body["params_cls"] = params_cls
    body["__doc__"] = f"The knobs of :class:`{params_cls.__name__}` as traits (see :func:`knob_traits_class`)."
    return type(f"{params_cls.__name__[:-len('Params')] or params_cls.__name__}Knobs", (KnobTraits,), body)
