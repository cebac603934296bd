"""The package as a user installs it: every sub-package listed, the wheel runs outside the checkout."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _listed_packages() -> set[str]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return {line.strip() for line in config["options"]["packages"].splitlines() if line.strip()}


def _packages_on_disk() -> set[str]:
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "prisma_abu").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    return found | {"prisma_abu_gui", "prisma_abu.sample", "prisma_abu.prisma_gd"}  # the pictures, as data


def test_setup_cfg_lists_every_package():
    assert _listed_packages() == _packages_on_disk()


@pytest.mark.slow
def test_the_wheel_installed_in_a_fresh_venv_runs_doctor_and_a_dream(tmp_path):
    """Build the wheel (not editable), install it alone into a new venv whose dependencies come from this one."""
    source = tmp_path / "source"  # a clean copy: no build/ folder of an earlier build can leak into the wheel
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "out", "*.egg-info",
                                                                  "__pycache__", ".pytest_cache"))
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(dist), str(source)], check=True, capture_output=True, cwd=tmp_path)
    wheel = next(dist.glob("prisma_abu-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies (torch...) from this venv, but not its editable prisma_abu (a .pth line adds no finder)
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run([str(python), "-c", "import prisma_abu, prisma_abu_gui; print(prisma_abu.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path, env=env).stdout
    assert Path(where.strip()).is_relative_to(venv)
    doctor = subprocess.run([str(venv / "bin" / "prisma-abu"), "doctor"], capture_output=True, text=True,
                            cwd=tmp_path, env=env)
    assert doctor.returncode == 0, doctor.stderr
    assert "efficientnet_lite0" in doctor.stdout and "ready" in doctor.stdout
    # the README's first three commands, as written (small, for time), from a folder that has no sample/:
    # the pictures come from the wheel
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for words in _readme_commands()[:3]:
        run = subprocess.run([str(venv / "bin" / "prisma-abu"), *words[1:], "--size", "64", "-q"],
                             capture_output=True, text=True, cwd=elsewhere, env=env)
        assert run.returncode == 0, (words, run.stderr)
    made = sorted(p.relative_to(elsewhere).as_posix() for p in (elsewhere / "out").rglob("*.png"))
    assert made == ["out/chelsea_dream.png", "out/chelsea_mix.png",
                    *(f"out/painted/{p.stem}_mix.png" for p in sorted((ROOT / "sample").glob("*.jpg")))]
    # the demo's inputs and the window's pictures are the wheel's own
    found = subprocess.run([str(python), "-c", "from prisma_abu.demo import demo_jobs\n"
                            "print('\\n'.join(p for _, j in demo_jobs() for p in j.inputs.values() if p))"],
                           check=True, capture_output=True, text=True, cwd=elsewhere, env=env).stdout.split()
    assert found and all(Path(p).is_file() and Path(p).is_relative_to(venv) for p in found)
    # the demo, from the wheel, from another folder (--quick: one small picture per verb)
    demo = subprocess.run([str(python), "-m", "prisma_abu.demo", "demo", "--quick"], capture_output=True, text=True,
                          cwd=elsewhere, env=env)
    assert demo.returncode == 0, demo.stderr
    assert sorted(p.name for p in (elsewhere / "demo").glob("*.png")) == \
        ["dream_chelsea.png", "mix_chelsea_swirl.png", "stylize_chelsea_multistyle26_7.png"]
    # the window's model and its views, built offscreen from the wheel: the bundled pictures chosen, no error
    window = subprocess.run([str(python), "-c", WINDOW], capture_output=True, text=True, cwd=elsewhere,
                            env={**env, "QT_QPA_PLATFORM": "offscreen"})
    assert window.returncode == 0, window.stderr
    source, guide, error = window.stdout.splitlines()[-3:]
    assert Path(source).is_relative_to(venv) and Path(guide).is_relative_to(venv) and error == "error: ''"
    # the editors' stub (typed knobs) is in the wheel
    assert (Path(where.strip()).parent / "__init__.pyi").is_file()


#: builds the window's controller and its views offscreen, prints the photo, the guide and the error line
WINDOW = """
from prisma_abu_gui.app import create_controller
controller = create_controller()
ui = controller.edit_traits()
print(controller.model.source)
print(controller.model.guide)
print("error: " + repr(controller.model.error))
ui.dispose()
controller.shutdown()
"""


def _readme_commands() -> list[list[str]]:
    """The README's command lines under "## Use", in order, as words (comments dropped)."""
    text = (ROOT / "README.md").read_text().split("## Use", 1)[1]
    block = text.split("```sh", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.startswith("prisma-abu ")]
