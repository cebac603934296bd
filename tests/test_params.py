from __future__ import annotations

import re

import pytest

from prisma_abu.errors import InvalidParameterError
from prisma_abu.params import (DreamParams, MixParams, Params, StyleParams, knobs, param_kinds, params_from_dict,
                               params_from_metadata, register_kind)


@pytest.mark.parametrize("cls", [DreamParams, MixParams])
def test_json_and_toml_round_trip(cls):
    p = cls()
    changed = p.replace(seed=7)
    assert cls.from_json(changed.to_json()) == changed
    assert cls.from_toml(changed.to_toml()) == changed
    assert params_from_dict({"kind": cls.kind, **changed.to_dict()}) == changed


def test_round_trip_keeps_none_and_tuples():
    p = MixParams(layer=None, enhance="Sharpness", spots_keep=((1, 2, 3),), enhance_p=None)
    q = MixParams.from_toml(p.to_toml())
    assert q == p and q.layer is None and q.spots_keep == ((1, 2, 3),)
    d = DreamParams(layers=("stem", "blocks.1"), layer_weights=(1.0, 0.5), channels=(3,))
    assert DreamParams.from_json(d.to_json()) == d


def test_frozen():
    with pytest.raises(AttributeError):
        DreamParams().iter_n = 3  # type: ignore[misc]


def test_unknown_key_lists_valid_ones():
    with pytest.raises(InvalidParameterError, match=r"unknown parameter\(s\) bogus for dream; expected some of: backbone"):
        DreamParams.from_dict({"bogus": 1})


def test_wrong_kind():
    with pytest.raises(InvalidParameterError, match="expected parameters of kind 'mix', got 'dream'"):
        MixParams.from_dict({"kind": "dream"})
    with pytest.raises(InvalidParameterError, match="expected a parameter kind in"):
        params_from_dict({"kind": "nope"})


@pytest.mark.parametrize("changes, message", [
    ({"iter_n": -1}, r"iter_n: expected a value in \[0, 1000\], got -1"),
    ({"octave_scale": 0.5}, r"octave_scale: expected a value in \[1, 16\], got 0.5"),
    ({"precision": "fp16"}, "precision: expected one of auto, fp32, bf16, got 'fp16'"),
    ({"objective": "max"}, "objective: expected one of l2, guide, got 'max'"),
    ({"iter_n": 2.5}, "iter_n: expected an integer, got 2.5"),
    ({"step_size": float("nan")}, "step_size: expected a finite number, got nan"),
    ({"layers": ("a",), "layer_weights": (1.0, 2.0)}, r"layer_weights: expected one weight per layer \(1\), got 2"),
    ({"layers": ("",)}, "layers: expected a tuple of layer names"),
    ({"tile_size": 8}, r"tile_size: expected a value in \[32, 16384\], got 8"),
    ({"channels": (-1,)}, r"channels: expected a value in \[0, inf\], got -1"),
])
def test_dream_params_validation(changes, message):
    with pytest.raises(InvalidParameterError, match=message):
        DreamParams(**changes)


@pytest.mark.parametrize("changes, message", [
    ({"n1": 0}, r"n1: expected a value in \[1, 100000\], got 0"),
    ({"rb_rate": 0.0}, r"rb_rate: expected a value in \(0, 1\], got 0.0"),
    ({"rb_rate": 1.5}, r"rb_rate: expected a value in \(0, 1\], got 1.5"),
    ({"convd_median_factor": -1.0}, r"convd_median_factor: expected a value in \[0, 1000\], got -1.0"),
    ({"dd": "yes"}, "dd: expected true or false, got 'yes'"),
    ({"mask": " "}, "mask: expected a mask name"),
    ({"spots_keep": ((1, 2),)}, r"spots_keep: expected \(y, x, size\) triples"),
    ({"size": 4}, r"size: expected a value in \[8, 100000\], got 4"),
    ({"force_iter_n": -2}, r"force_iter_n: expected a value in \[0, 1000\], got -2"),
    ({"enhance_p": -1.0}, r"enhance_p: expected a value in \[0, 100\], got -1.0"),
    ({"all_mask_rb_rate": 2.0}, r"all_mask_rb_rate: expected a value in \(0, 1\], got 2.0"),
])
def test_mix_params_validation(changes, message):
    with pytest.raises(InvalidParameterError, match=message):
        MixParams(**changes)


def test_invalid_json_and_toml():
    with pytest.raises(InvalidParameterError, match="expected JSON parameters, got invalid JSON"):
        DreamParams.from_json("{nope")
    with pytest.raises(InvalidParameterError, match="expected a JSON object, got list"):
        DreamParams.from_json("[1]")
    with pytest.raises(InvalidParameterError, match="expected TOML parameters, got invalid TOML"):
        DreamParams.from_toml("= =")


def test_mix_dream_params_follow_the_original():
    p = MixParams(layer="blocks.2", iter_n=10, seed=4)
    d = p.dream_params()
    assert d.layers == ("blocks.2",) and d.iter_n == 10 and d.seed == 4 and d.octave_n == 4
    assert MixParams(force_iter_n=3).dream_params(iter_n=12).iter_n == 3  # force_iter_n wins
    assert MixParams(layer="auto").dream_params().layers == ()


# --- StyleParams ---------------------------------------------------------------------------------

def test_style_defaults_mirror_neural_style():
    p = StyleParams()
    assert (p.size, p.content_weight, p.style_weight, p.tv_weight) == (512, 5, 100, 1e-3)
    assert (p.num_iterations, p.init, p.optimizer, p.learning_rate) == (1000, "random", "lbfgs", 10.0)
    assert (p.style_scale, p.pooling, p.backbone, p.precision) == (1.0, "max", "vgg16", "auto")
    assert p.content_layers == ("relu4_2",)
    assert p.style_layers == ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    assert (p.print_iter, p.save_iter, p.original_colors, p.normalize_gradients) == (50, 100, False, False)


def test_style_params_round_trip_and_registered_kind():
    p = StyleParams(style_blend_weights=(2.0, 1.0), mask="otsu", scale_iterations=(5, 4, 3), init="image",
                    init_image="x.png")
    assert StyleParams.from_json(p.to_json()) == p
    assert StyleParams.from_toml(p.to_toml()) == p
    assert params_from_dict({"kind": "style", **p.to_dict()}) == p


@pytest.mark.parametrize("changes,match", [
    ({"size": 8}, r"size: expected a value in \[16, 16384\], got 8"),
    ({"num_iterations": 1.5}, "num_iterations: expected an integer, got 1.5"),
    ({"content_weight": -1.0}, r"content_weight: expected a value in \[0, inf\], got -1.0"),
    ({"learning_rate": 0.0}, r"learning_rate: expected a value in \(0, inf\], got 0.0"),
    ({"style_scale": 0.0}, r"style_scale: expected a value in \(0, 16\], got 0.0"),
    ({"init": "noise"}, "init: expected one of random, image, got 'noise'"),
    ({"optimizer": "sgd"}, "optimizer: expected one of lbfgs, adam, got 'sgd'"),
    ({"scale_tol": -0.1}, r"scale_tol: expected a value in \[0, 0.1\], got -0.1"),
    ({"stop_tol": 0.5}, r"stop_tol: expected a value in \[0, 0.1\], got 0.5"),
    ({"line_search": 1}, "line_search: expected true or false, got 1"),
    ({"pooling": "min"}, "pooling: expected one of max, avg, got 'min'"),
    ({"precision": "fp16"}, "precision: expected one of auto, fp32, bf16, got 'fp16'"),
    ({"original_colors": 1}, "original_colors: expected true or false, got 1"),
    ({"scales": 0}, r"scales: expected a value in \[1, 8\], got 0"),
    ({"scale_factor": 1.0}, r"scale_factor: expected a value in \(1, 8\], got 1.0"),
    ({"scale_iterations": (5, 5)}, r"scale_iterations: expected one count per scale \(3\), got 2"),
    ({"scale_iterations": (5, -1, 5)}, r"scale_iterations: expected a value in \[0, 100000\], got -1"),
    ({"style_layers": ("relu1_1", "")}, "style_layers: expected a tuple of layer names"),
    ({"content_layers": (), "style_layers": ()}, "expected at least one layer, got none"),
    ({"style_blend_weights": (1.0, -1.0)}, r"style_blend_weights: expected a value in \[0, inf\], got -1.0"),
    ({"style_blend_weights": (0.0, 0.0)}, "style_blend_weights: expected a positive sum"),
    ({"init_image": "a.png"}, "init_image: expected init='image' with an init image, got init='random'"),
    ({"mask": " "}, "mask: expected a non-empty string or None, got ' '"),
    ({"mask_feather": -1.0}, r"mask_feather: expected a value in \[0, 1000\], got -1.0"),
    ({"print_iter": -1}, r"print_iter: expected a value in \[0, inf\], got -1"),
])
def test_style_params_validation(changes, match):
    with pytest.raises(InvalidParameterError, match=match):
        StyleParams(**changes)


# --- knobs: the one description of every field ----------------------------------------------------

@pytest.mark.parametrize("cls", sorted(param_kinds().values(), key=lambda c: c.kind))
def test_every_field_has_help_text(cls):
    described = knobs(cls)
    assert list(described) == list(cls.field_names())
    for name, info in described.items():
        assert len(info.help) >= 12 and not info.help.endswith("."), (cls.kind, name, info.help)


def test_a_field_without_a_knob_is_refused():
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Bare(Params):
        kind = "bare"
        x: int = 1

    with pytest.raises(TypeError, match="Bare.x has no knob"):
        register_kind(Bare)


@pytest.mark.parametrize("cls, old, new, value", [
    (MixParams, "base_width", "size", 320), (DreamParams, "width", "size", 96), (StyleParams, "image_size", "size", 64),
])
def test_old_spellings_are_accepted_and_both_at_once_refused(cls, old, new, value):
    p = cls.from_dict({old: value})
    assert getattr(p, new) == value and p == cls.from_dict({new: value})
    with pytest.raises(InvalidParameterError, match=f"{old} and {new} are one knob"):
        cls.from_dict({old: value, new: value})


def test_metadata_without_a_new_field_takes_its_legacy_value(monkeypatch):
    from prisma_abu.params import Knob

    info = knobs(MixParams)["n1"]
    legacy = Knob(info.help, metavar=info.metavar, low=info.low, high=info.high, legacy=9)
    field = MixParams.__dataclass_fields__["n1"]
    monkeypatch.setattr(field, "metadata", {"knob": legacy})
    stored = {k: v for k, v in MixParams().to_dict().items() if k != "n1"}
    assert params_from_metadata({"kind": "mix", **stored}).n1 == 9  # an old picture: the old behaviour
    assert params_from_metadata({"kind": "mix", **stored, "n1": 4}).n1 == 4  # a value stored wins
    assert params_from_dict({"kind": "mix", **stored}).n1 == 5  # a user's file: today's default


# --- hostile parameter files (issue 18) ------------------------------------------------------------

@pytest.mark.parametrize("text", ["a = " + "[" * 50_000 + "]" * 50_000, "x = " + "{a = " * 5_000 + "1" + "}" * 5_000,
                                  "\n".join(f"[{'.'.join(['t'] * 40)}]" for _ in range(1)) + "\nx = 1"])
def test_a_deeply_nested_toml_is_one_line_not_a_recursion_error(text):
    with pytest.raises(InvalidParameterError, match="nested at most 32 deep"):
        DreamParams.from_toml(text)


def test_a_deeply_nested_json_is_one_line():
    with pytest.raises(InvalidParameterError, match="nested at most 32 deep"):
        DreamParams.from_json('{"a": ' + "[" * 500 + "]" * 500 + "}")


@pytest.mark.parametrize("cls, text, message", [
    (DreamParams, "weights = 3", "weights: expected a string or None, got 3"),
    (StyleParams, "weights = 3", "weights: expected a string or None, got 3"),
    (DreamParams, 'iter_n = "ten"', "iter_n: expected an integer, got 'ten'"),
    (DreamParams, "layers = [1, 2]", "layers: expected a list of strings, got (1, 2)"),
    (DreamParams, 'layer_weights = ["a"]', "layer_weights: expected a list of numbers, got ('a',)"),
    (MixParams, "spots_keep = 3", "spots_keep: expected a list of lists, got 3"),
    (MixParams, "guide_model = [1]", "guide_model: expected a string or None, got (1,)"),
    (StyleParams, "precision = 1.5", "precision: expected a string, got 1.5"),
])
def test_a_field_of_the_wrong_type_names_field_type_and_value(cls, text, message):
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        cls.from_toml(text)


def test_a_parameter_file_too_large_is_refused_before_parsing():
    with pytest.raises(InvalidParameterError, match="at most"):
        DreamParams.from_toml("# " + "x" * (5 << 20))


def test_the_command_line_says_one_line_for_a_wrong_type_or_nesting(tmp_path, capsys):
    from prisma_abu.cli import main

    for name, text in (("w.toml", "weights = 3"), ("deep.toml", "a = " + "[" * 50_000 + "]" * 50_000)):
        path = tmp_path / name
        path.write_text(text)
        assert main(["dream", "sample/chelsea.jpg", "--params", str(path), "-q", "-o", str(tmp_path / "o.png")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("prisma-abu: error: ") and "Traceback" not in err[0], err
    assert not (tmp_path / "o.png").exists()


def test_a_deeply_nested_experiment_file_is_one_line(tmp_path):
    from prisma_abu.batch.experiment import read_experiment_file

    path = tmp_path / "deep.toml"
    path.write_text("[batch]\nsources = " + "[" * 50_000 + "]" * 50_000)
    with pytest.raises(InvalidParameterError, match="nested at most 32 deep"):
        read_experiment_file(path)
