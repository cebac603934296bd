"""The layering rules: imports point down, ops never touch torch, importing does no work.

The layers, lowest first (a module imports only from lower layers or from
its own package):

0. foundation — ``errors``, ``params``, ``io`` (pictures), ``images`` (a picture array checked), ``atomic`` (every
   write), ``data``, ``provenance`` (a picture's record read back: its inputs found again, its arithmetic bounded),
   ``modelspec`` (a style network's name or file, read once)
1. ``ops`` (numpy / scikit-image) and ``neural`` (torch), which never import each other
2. ``pipeline`` — the only place ops and neural meet
2.5 ``commands`` — each rendering command described once (parameters, inputs, renderer, progress, batch naming)
3. ``jobs`` — a command, its parameters and inputs; the renderer table; ``paintings`` (what the verbs return) and
   ``api`` — the verbs for scripts
4. ``batch``
5. the book's façades ``worker`` and ``master``, and ``demo``
6. ``web`` — the studio's app, store and worker pool (``prisma-abu serve``)
7. the shells: ``cli`` (and the window, ``gui/``, installed as ``prisma_abu_gui``)

Shells import only the public face: the foundation, ``jobs``, ``pipeline``,
``batch``, the façades (never ``ops`` or ``neural`` directly), and only
names without a leading underscore that the module lists in ``__all__``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import prisma_abu

PACKAGE = Path(prisma_abu.__file__).parent
GUI = PACKAGE.parent / "gui"
NEVER = ("traits", "traitsui", "pyface", "matplotlib", "IPython", "PySide6")
LIGHT = ("prisma_abu", "prisma_abu.modelspec", "prisma_abu.params", "prisma_abu.io", "prisma_abu.images",
         "prisma_abu.errors", "prisma_abu.cli", "prisma_abu.data", "prisma_abu.ops", "prisma_abu.pipeline",
         "prisma_abu.batch", "prisma_abu.commands", "prisma_abu.jobs")
LAYERS = {"errors": 0, "modelspec": 0, "params": 0, "io": 0, "images": 0, "atomic": 0, "video": 0, "data": 0, "ops": 1,
          "neural": 1, "pipeline": 2, "commands": 2.5, "jobs": 3, "provenance": 0,
          "paintings": 3.5, "api": 4, "batch": 4, "worker": 5, "master": 5, "demo": 5, "web": 6, "cli": 7}
#: what a shell (cli, gui) may import from prisma_abu
SHELL_API = ("prisma_abu", "prisma_abu.errors", "prisma_abu.modelspec", "prisma_abu.params", "prisma_abu.io", "prisma_abu.video", "prisma_abu.data",
             "prisma_abu.commands", "prisma_abu.jobs", "prisma_abu.api", "prisma_abu.paintings", "prisma_abu.pipeline", "prisma_abu.batch", "prisma_abu.worker",
             "prisma_abu.master", "prisma_abu.cli", "prisma_abu.web")
#: modules past 400 lines, each with the reason it stays whole (none: split by idea instead)
LONG_MODULES: dict[str, str] = {}
MAX_LINES = 400


def _module_name(path: Path, root: Path, top: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([top, *parts])


def _modules(root: Path, top: str) -> dict[str, Path]:
    return {_module_name(p, root, top): p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts}


ALL = _modules(PACKAGE, "prisma_abu")
MODULES = sorted(m for m in ALL if not m.endswith("__main__"))
GUI_MODULES = _modules(GUI, "prisma_abu_gui")


def _in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _import_nodes(path: Path, name: str):
    """(module imported, names taken from it or None) for every import, lazy ones too, not TYPE_CHECKING ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _in_type_checking(node, parents):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            yield base, [alias.name for alias in node.names]


def _imports_in(path: Path, name: str) -> set[str]:
    """Every module a file imports (absolute names; ``from a import b`` adds ``a`` and ``a.b``)."""
    names = set()
    for base, taken in _import_nodes(path, name):
        names.add(base)
        names.update(f"{base}.{t}" for t in taken or ())
    return names


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules it imports; a module's own ancestor packages are left out (importing
    ``pkg.sub`` always runs ``pkg/__init__``, and a package re-exporting its children is no circle)."""
    known = set(ALL) | set(modules)
    return {m: {i for i in _imports_in(p, m) if i in known and i != m and not m.startswith(i + ".")}
            for m, p in modules.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 and parts[0] == "prisma_abu" else None


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _imported_by(modules, tmp_path) -> set[str]:
    """sys.modules after importing ``modules`` in a fresh interpreter with an empty cache folder."""
    code = ("import json, sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(json.dumps(sorted(sys.modules)))")
    env = {"PRISMA_ABU_CACHE": str(tmp_path / "cache"), "PRISMA_ABU_MODELS": str(tmp_path / "models"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_modules_found():
    for name in ("prisma_abu.ops.blend", "prisma_abu.neural.deepdream", "prisma_abu.pipeline.mix",
                 "prisma_abu.batch.run", "prisma_abu.cli.render", "prisma_abu_gui.controller"):
        assert name in MODULES or name in GUI_MODULES, name


def test_ops_never_import_torch_even_lazily():
    for name, path in ALL.items():
        if name.startswith("prisma_abu.ops"):
            bad = {n for n in _imports_in(path, name) if n.split(".")[0] == "torch" or ".neural" in n}
            assert not bad, (name, bad)


def test_neural_never_imports_ops_even_lazily():
    for name, path in ALL.items():
        if name.startswith("prisma_abu.neural"):
            bad = {n for n in _imports_in(path, name) if n.startswith("prisma_abu.ops")}
            assert not bad, (name, bad)


def test_ops_and_neural_meet_only_in_pipeline():
    for name, imports in {**_graph(ALL), **_graph(GUI_MODULES)}.items():
        if name.startswith(("prisma_abu.pipeline", "prisma_abu.ops", "prisma_abu.neural")):
            continue
        ops = {i for i in imports if i.startswith("prisma_abu.ops")}
        neural = {i for i in imports if i.startswith("prisma_abu.neural")}
        assert not (ops and neural), (name, ops, neural)


def test_imports_point_down():
    for name, imports in _graph(ALL).items():
        mine = _layer(name)
        for target in imports:
            theirs = _layer(target)
            if mine is None or theirs is None or target.split(".")[1] == name.split(".")[1]:
                continue
            assert theirs < mine or mine == theirs == 0, f"{name} (layer {mine}) imports {target} (layer {theirs})"


def test_no_import_circles():
    assert _cycles(_graph(ALL)) == []
    assert _cycles(_graph(GUI_MODULES)) == []


def test_the_circle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _public_names(module: str) -> set[str] | None:
    import importlib

    return getattr(importlib.import_module(module), "__all__", None)


@pytest.mark.parametrize("own, shells", [
    ("prisma_abu.cli", {n: p for n, p in ALL.items() if n.startswith("prisma_abu.cli")}),
    ("prisma_abu_gui", GUI_MODULES),
], ids=["cli", "gui"])
def test_shells_import_only_the_public_face(own, shells):
    for name, path in shells.items():
        for base, taken in _import_nodes(path, name):
            if base.split(".")[0] != "prisma_abu" or base == own or base.startswith(own + "."):
                continue
            assert base in SHELL_API or base.rpartition(".")[0] in ("prisma_abu.pipeline", "prisma_abu.batch"), \
                f"{name} imports {base}: not the public face"
            assert not any(part.startswith("_") for part in base.split(".")), (name, base)
            public = _public_names(base)
            for t in taken or ():
                if t.startswith("__") and t.endswith("__"):
                    continue
                assert not t.startswith("_"), f"{name} takes the private {base}.{t}"
                assert public is None or t in public or f"{base}.{t}" in ALL, f"{name}: {base}.{t} is not in __all__"


def test_public_modules_declare_all():
    for name in MODULES:
        if not any(part.startswith("_") for part in name.split(".")[1:]):
            assert _public_names(name) is not None, f"{name} has no __all__"


def test_modules_stay_small_or_say_why():
    for name, path in {**ALL, **GUI_MODULES}.items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES or name in LONG_MODULES, f"{name}: {lines} lines"


def test_importing_everything_loads_no_gui_toolkit_and_creates_no_folder(tmp_path):
    mods = _imported_by(MODULES, tmp_path)
    assert not any(m.split(".")[0] in NEVER for m in mods)
    assert not (tmp_path / "cache").exists() and not (tmp_path / "models").exists()


@pytest.mark.parametrize("module", LIGHT)
def test_light_entry_points_do_not_import_torch(module, tmp_path):
    assert "torch" not in _imported_by([module], tmp_path)


def test_no_private_names_of_other_packages():
    """Only other packages' public APIs: no ``from torch.optim.lbfgs import _strong_wolfe``, no ``x._private`` module."""
    for name, path in {**ALL, **GUI_MODULES}.items():
        for base, taken in _import_nodes(path, name):
            if base.split(".")[0] in ("prisma_abu", "prisma_abu_gui", "__future__"):
                continue
            assert not any(part.startswith("_") for part in base.split(".")), f"{name} imports {base}"
            for t in taken or ():
                assert not t.startswith("_") or (t.startswith("__") and t.endswith("__")), \
                    f"{name} takes the private {base}.{t}"
