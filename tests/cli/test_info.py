"""`prisma-abu layers` and `doctor`."""

from __future__ import annotations

from prisma_abu.cli import main


def test_layers_lists_network_order(capsys):
    assert main(["layers", "--backbone", "vgg16"]) == 0
    names = capsys.readouterr().out.split()
    assert names[:3] == ["conv1_1", "relu1_1", "conv1_2"] and names[-1] == "pool5"


def test_layers_accepts_caffe_names_for_googlenet(capsys):
    assert main(["layers", "--backbone", "googlenet"]) == 0
    out = capsys.readouterr().out
    assert "conv2/3x3_reduce" in out and "inception_4c/output" in out


def test_doctor_reports_each_backbone(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("efficientnet_lite0", "vgg16", "googlenet", "vgg19"):
        assert name in out
    assert "bf16" in out and "threads" in out


def test_doctor_recalibrate_forgets_the_measured_verdicts(tmp_path, monkeypatch, capsys):
    import torch

    from prisma_abu.cli import main
    from prisma_abu.neural import calibrate

    monkeypatch.setenv("PRISMA_ABU_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(calibrate.FORCE_ENV, raising=False)
    monkeypatch.setattr(calibrate, "step_seconds", lambda net, d, p, image: {"fp32": 2.0, "bf16": 1.0}[p])
    assert calibrate.calibrated_precision("tiny", torch.device("cpu"), load=lambda: None) == "bf16"
    assert main(["doctor"]) == 0
    assert "tiny" in capsys.readouterr().out
    assert main(["doctor", "--recalibrate"]) == 0
    out = capsys.readouterr().out
    assert "forgot 1 measured verdict" in out and "tiny" not in out
    assert calibrate.verdicts() == {}


def test_layers_and_doctor_json_are_what_the_text_says(capsys):
    import json

    assert main(["layers", "--backbone", "efficientnet_lite0"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert main(["layers", "--backbone", "efficientnet_lite0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["layers"] == [line.split()[0] for line in text]
    assert f"{report['mix_default']}  (mix default)" in text and report["weights_present"] is True
    assert main(["doctor", "--json"]) == 0
    doctor = json.loads(capsys.readouterr().out)
    assert set(doctor["backbones"]) >= {"efficientnet_lite0", "vgg16", "googlenet", "vgg19"}
    assert doctor["backbones"]["efficientnet_lite0"]["weights_present"] is True
    assert {"threads", "bf16", "torch"} <= set(doctor["environment"]) and isinstance(doctor["precision"], dict)


def test_completion_for_bash_completes_commands_and_options(tmp_path, capsys):
    import shutil
    import subprocess

    import pytest

    assert main(["completion", "bash"]) == 0
    (tmp_path / "c.sh").write_text(capsys.readouterr().out)
    if shutil.which("bash") is None:
        pytest.skip("no bash here")
    script = (f"source {tmp_path / 'c.sh'}; f=$(complete -p prisma-abu | grep -o '_shtab[a-z_]*'); "
              "ask() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; "
              "$f prisma-abu \"${@: -1}\" \"${@: -2:1}\"; echo \"${COMPREPLY[*]}\"; }; "
              "ask prisma-abu sty; ask prisma-abu stylize --pre")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["style stylize", "--preserve-color --precision"]


def test_a_subcommands_usage_error_points_at_its_own_help_and_nothing_is_abbreviated(capsys):
    import pytest

    with pytest.raises(SystemExit) as stop:
        main(["stylize", "chelsea", "--style-im", "swirl"])  # once read as --style-image
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err == ("prisma-abu stylize: error: unrecognized arguments: --style-im swirl "
                                            "(see prisma-abu stylize --help)\n")
    with pytest.raises(SystemExit) as stop:
        main(["-V"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("prisma_abu ")


def test_models_json_lists_what_the_text_lists(tmp_path, monkeypatch, capsys):
    import json

    monkeypatch.setenv("PRISMA_ABU_MODELS", str(tmp_path))
    (tmp_path / "mine.pth").write_bytes(b"x" * 2000)
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in listed["builtin"]] == [line for line in text.splitlines() if not line.startswith(" ")
                                                      and not line.startswith("model folder")]
    assert listed["folder"] == str(tmp_path) and [(f["kind"], f["bytes"]) for f in listed["files"]] == [("pth", 2000)]
