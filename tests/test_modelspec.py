"""One reader of a style-network spec (issue 20): a built-in name, ``name:args``, or a file (Windows paths too)."""

from __future__ import annotations

import pytest

from prisma_abu.errors import InvalidParameterError
from prisma_abu.modelspec import BUILTIN_SOURCES, builtin_source, file_label, parse_model_spec


@pytest.mark.parametrize("text, source, args", [
    ("multistyle26:7", "multistyle26", "7"),
    ("multistyle26:3=0.5,12=0.5", "multistyle26", "3=0.5,12=0.5"),
    (" MultiStyle26:7 ", "multistyle26", "7"),
    ("arbitrary", "arbitrary", ""),
    ("arbitrary:prisma_gd/swirl.jpg", "arbitrary", "prisma_gd/swirl.jpg"),
    (r"arbitrary:C:\paintings\swirl.jpg", "arbitrary", r"C:\paintings\swirl.jpg"),
])
def test_builtin_names_and_their_arguments(text, source, args):
    spec = parse_model_spec(text)
    assert (spec.source, spec.args, spec.path, spec.builtin) == (source, args, None, True)
    assert spec.arbitrary == (source == "arbitrary")
    assert spec.name == text.strip()  # a built-in is recorded as written


def test_a_file_is_an_input_named_by_its_own_name(tmp_path):
    model = tmp_path / "candy.pth"
    model.write_bytes(b"x")
    spec = parse_model_spec(str(model))
    assert (spec.builtin, spec.path, spec.name, spec.source) == (False, str(model), "candy.pth", None)


@pytest.mark.parametrize("path, name", [
    (r"C:\models\x.onnx", "x.onnx"),
    ("C:/models/x.onnx", "x.onnx"),
    (r"\\server\share\models\candy.t7", "candy.t7"),
    ("/home/me/models/candy.pth", "candy.pth"),
    ("candy.pth", "candy.pth"),
])
def test_windows_and_posix_paths_are_files_named_by_their_last_part(path, name):
    assert builtin_source(path) is None  # "C" before the colon is no network
    spec = parse_model_spec(path, must_exist=False)
    assert (spec.builtin, spec.name) == (False, name)
    assert file_label(path) == name


def test_a_missing_file_or_unknown_name_is_one_line_with_the_closest_name():
    with pytest.raises(InvalidParameterError, match=r"unknown model 'multistyle2:7': .*closest: multistyle26"):
        parse_model_spec("multistyle2:7")
    with pytest.raises(InvalidParameterError, match=r"^--guide stylized:C:\\m\\x.onnx: unknown model"):
        parse_model_spec(r"C:\m\x.onnx", where=r"--guide stylized:C:\m\x.onnx: ")
    for empty in ("", "  ", None):
        with pytest.raises(InvalidParameterError, match="model: expected a built-in network"):
            parse_model_spec(empty)


def test_the_static_builtin_names_are_the_registry_s():
    from prisma_abu.neural.stylenets import source_names

    assert sorted(BUILTIN_SOURCES) == source_names()


@pytest.mark.parametrize("args", ["7", "0", "25", " 3 ", "3=0.5,12=0.5", "3:0.5,12:0.5", "1=2", "4=0,5=1", "2,2",
                                  "", "26", "-1", "x", "3=a", "3=-1,4=2", "3=0", "3=nan", "3=inf", "7,", ",", "1e1"])
def test_multistyle_arguments_are_checked_as_the_network_reads_them(args):
    # issue 21: multistyle26:99 was refused only after torch; the network's own reading decides the same
    from prisma_abu.neural.stylenets.magenta import parse_style_weights

    try:
        parse_style_weights(args)
        network_takes = True
    except InvalidParameterError:
        network_takes = False
    try:
        parse_model_spec(f"multistyle26:{args}")
        here = True
    except InvalidParameterError as exc:
        here = False
        assert str(exc).startswith(("style: expected multistyle26:N", "style weights: expected"))
    assert here == network_takes


def test_the_style_count_is_the_network_s():
    from prisma_abu.modelspec import MULTISTYLE_STYLES
    from prisma_abu.neural.stylenets import magenta_nets

    assert MULTISTYLE_STYLES == magenta_nets.NUM_STYLES
