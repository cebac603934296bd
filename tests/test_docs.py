"""The docs say what the code does: the parameter reference is generated from the knobs and current,
and every command line the README shows parses."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from prisma_abu.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "tools" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_parameter_reference_is_generated_and_current():
    gen = _gen_docs()
    for path, text in gen.outputs().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python tools/gen_docs.py"
    reference = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    for kind in ("mix", "dream", "style"):
        assert f"## `{kind}`" in reference
    assert "| `--n1` | `n1` | `5` | [1, 100000] px |" in reference


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines, joined = [], ""
    for block in blocks:
        for line in block.splitlines():
            joined += line.rstrip("\\").strip() + " "
            if not line.endswith("\\"):
                lines.append(joined.strip())
                joined = ""
    commands = []
    for line in lines:
        for part in line.split("|"):
            part = part.split("#")[0].split(">")[0].strip()
            if part.startswith("prisma-abu "):
                commands.append(part)
    return commands


@pytest.mark.parametrize("command", _readme_commands())
def test_every_readme_command_parses(command):
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert callable(args.func)
