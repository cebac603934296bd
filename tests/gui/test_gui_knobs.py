"""The window's knobs are made from the knob declarations (issue 20): ranges, choices, help, every knob shown."""

from __future__ import annotations

import typing
from dataclasses import dataclass

import pytest
from traits.api import TraitError

from prisma_abu.params import DreamParams, MixParams, StyleParams, StylizeParams, knob, knobs

pytestmark = pytest.mark.gui

COMMANDS = [MixParams, DreamParams, StylizeParams, StyleParams]
#: the mix knobs the window offers this machine's lists for (free text in the declaration)
LISTED = {"mask", "layer", "backbone", "enhance"}


def _optional(cls, name) -> bool:
    return type(None) in typing.get_args(typing.get_type_hints(cls)[name])


def _accepts(model, name, value) -> bool:
    try:
        setattr(model, name, value)
    except TraitError:
        return False
    return True


def check_bounds(model, cls, name) -> None:
    """The trait takes exactly the knob's range (its ends, low_open) and choices, and None when optional."""
    info = knobs(cls)[name]
    base = typing.get_type_hints(cls)[name]
    is_int = int in (base, *typing.get_args(base))
    step = 1 if is_int else 1e-6 * max(1.0, abs(info.high or 1.0))
    if info.low is not None:
        low = int(info.low) if is_int else float(info.low)
        assert _accepts(model, name, low) != info.low_open, (cls.kind, name, "low")
        assert not _accepts(model, name, low - step), (cls.kind, name, "below low")
        assert _accepts(model, name, low + step), (cls.kind, name, "just above low")
    if info.high is not None:
        high = int(info.high) if is_int else float(info.high)
        assert _accepts(model, name, high), (cls.kind, name, "high")
        assert not _accepts(model, name, high + step), (cls.kind, name, "above high")
    if info.choices is not None:
        for choice in info.choices:
            assert _accepts(model, name, choice), (cls.kind, name, choice)
        assert not _accepts(model, name, "no-such-choice"), (cls.kind, name)
    if _optional(cls, name):
        assert _accepts(model, name, None), (cls.kind, name, None)


@pytest.mark.parametrize("cls", COMMANDS, ids=lambda c: c.kind)
def test_every_knob_is_a_trait_with_its_declared_default_range_choices_and_help(cls):
    from prisma_abu_gui.knob_traits import knob_traits_class

    Knobs = knob_traits_class(cls)
    assert knob_traits_class(cls) is Knobs  # made once
    assert Knobs().to_params() == cls()
    for name, info in knobs(cls).items():
        trait = Knobs.class_traits()[name]
        assert trait.tooltip == info.help, name
        check_bounds(Knobs(), cls, name)
        if info.choices is not None:
            assert set(trait.handler.values) == {*info.choices, *([None] if _optional(cls, name) else [])}


def test_the_window_mix_knobs_are_the_declared_ones():
    from prisma_abu_gui.model import MixModel

    assert MixModel().to_params() == MixParams()
    for name, info in knobs(MixParams).items():
        assert MixModel.class_traits()[name].tooltip == info.help, name
        if name not in LISTED:
            check_bounds(MixModel(), MixParams, name)
    # the declaration's range, not a copy: octave_n's high is 16 (the hand-written trait said 64)
    assert not _accepts(MixModel(), "octave_n", 17)


def test_a_knob_added_to_a_params_class_is_in_the_window_without_touching_gui():
    from prisma_abu_gui.knob_traits import knob_traits_class
    from prisma_abu_gui.knob_views import knob_groups, knob_names_in
    from prisma_abu_gui.views import _mix_placed

    @dataclass(frozen=True)
    class MoreMix(MixParams):
        grain: float = knob(0.5, "how grainy the paper is", low=0.0, high=2.0, group="look")
        paper: str = knob("cold", "the paper", choices=("cold", "hot"), group="look")

    Knobs = knob_traits_class(MoreMix)
    assert Knobs().to_params() == MoreMix()
    assert Knobs.class_traits()["grain"].tooltip == "how grainy the paper is"
    check_bounds(Knobs(), MoreMix, "grain")
    check_bounds(Knobs(), MoreMix, "paper")
    # the hand-placed mix layout does not know them: they come in the generated groups
    extra = set()
    for group in knob_groups(MoreMix, "object.knobs", skip=knob_names_in(_mix_placed, "object.knobs")):
        extra |= knob_names_in(group, "object.knobs")
    assert extra == {"grain", "paper"}


def test_the_window_shows_every_knob_of_every_command():
    from prisma_abu_gui.command_table import WINDOW_COMMANDS
    from prisma_abu_gui.knob_views import knob_names_in
    from prisma_abu_gui.views import main_view

    assert {"mix", "dream", "stylize", "style"} <= set(WINDOW_COMMANDS)
    for name, command in WINDOW_COMMANDS.items():
        where = "object.knobs" if name == "mix" else f"object.{name}_knobs"
        assert knob_names_in(main_view.content, where) == set(command.params_cls.field_names()), name


def test_set_params_is_all_or_nothing_for_every_command():
    from prisma_abu.errors import InvalidParameterError
    from prisma_abu_gui.knob_traits import knob_traits_class

    Knobs = knob_traits_class(DreamParams)
    model = Knobs(iter_n=3)
    model.set_params(DreamParams(layers=("blocks.1",), iter_n=5, size=40))
    assert model.to_params() == DreamParams(layers=("blocks.1",), iter_n=5, size=40)
    with pytest.raises(InvalidParameterError, match="dream"):
        model.set_params(StylizeParams())
    assert model.iter_n == 5
