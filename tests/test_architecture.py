"""The layering rules: imports point down, ops never touch torch, importing does no work."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import prisma_abu

PACKAGE = Path(prisma_abu.__file__).parent
MODULES = sorted(m.name for m in pkgutil.walk_packages(prisma_abu.__path__, "prisma_abu."))
NEVER = ("traits", "traitsui", "pyface", "matplotlib", "IPython", "PySide6")
LIGHT = ("prisma_abu", "prisma_abu.params", "prisma_abu.io", "prisma_abu.errors", "prisma_abu.cli",
         "prisma_abu.data", "prisma_abu.ops")


def _imported_by(modules, tmp_path) -> set[str]:
    """sys.modules after importing ``modules`` in a fresh interpreter with an empty cache folder."""
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(json.dumps(sorted(sys.modules)))")
    env = {"PRISMA_ABU_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def _imports_in(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions (absolute names)."""
    names = set()
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_modules_found():
    assert "prisma_abu.ops.blend" in MODULES and "prisma_abu.neural.deepdream" in MODULES


def test_ops_never_import_torch_even_lazily():
    for path in (PACKAGE / "ops").glob("*.py"):
        bad = {n for n in _imports_in(path) if n.split(".")[0] == "torch" or ".neural" in n}
        assert not bad, (path.name, bad)


def test_neural_never_imports_ops_even_lazily():
    for path in (PACKAGE / "neural").glob("*.py"):
        bad = {n for n in _imports_in(path) if n.startswith("prisma_abu.ops")}
        assert not bad, (path.name, bad)


def test_importing_everything_loads_no_gui_toolkit_and_creates_no_folder(tmp_path):
    mods = _imported_by(MODULES, tmp_path)
    assert not any(m.split(".")[0] in NEVER for m in mods)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("module", LIGHT)
def test_light_entry_points_do_not_import_torch(module, tmp_path):
    assert "torch" not in _imported_by([module], tmp_path)
