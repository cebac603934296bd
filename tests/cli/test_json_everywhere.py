"""Issue 22: --json on every command that prints a report, and one name for the output option (-o/--output)."""

from __future__ import annotations

import argparse
import hashlib
import json

import pytest

from prisma_abu.cli import build_parser, main

from cli_support import GUIDE

#: commands without --json, and why: none of them prints a report
NO_REPORT = {"completion": "prints a shell script", "gui": "opens a window", "viewer": "opens a window",
             "serve": "runs a web server until stopped"}


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def test_every_command_that_prints_a_report_takes_json():
    missing = [name for name, p in _commands().items()
               if name not in NO_REPORT and "--json" not in {o for a in p._actions for o in a.option_strings}]
    assert missing == []
    assert set(NO_REPORT) <= set(_commands())  # the exemptions name real commands


def test_every_command_that_writes_spells_its_output_dash_o_output():
    for name, p in _commands().items():
        for action in p._actions:
            spellings = set(action.option_strings)
            if spellings & {"-o", "--out", "--output", "--output-image", "--output-dir"}:
                assert {"-o", "--output"} <= spellings, (name, action.option_strings)


def test_train_style_json_is_one_object_naming_the_network(tmp_path, capsys):
    model = tmp_path / "swirl.pth"
    assert main(["train-style", GUIDE, "--photos", "sample/coffee.jpg", "--steps", "1", "--image-size", "32",
                 "--batch-size", "1", "--channel-multiplier", "0.25", "--style-image-size", "32",
                 "--precision", "fp32", "-q", "--json", "-o", str(model)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["output"] == str(model) and report["command"] == "train-style"
    assert report["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert report["params"]["width"] == 0.25 and report["params"]["steps"] == 1 and report["seconds"] > 0


def test_fetch_weights_json(monkeypatch, tmp_path, capsys):
    import prisma_abu.pipeline.models as models

    monkeypatch.setattr(models, "fetch_weights", lambda backbone: tmp_path / f"{backbone}.pth")
    assert main(["fetch-weights", "vgg19", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"backbone": "vgg19", "path": str(tmp_path / "vgg19.pth")}
