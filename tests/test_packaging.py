"""The package as a user installs it: every sub-package listed, the wheel runs outside the checkout."""

from __future__ import annotations

import configparser
import os
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
    return found | {"prisma_abu_gui"}


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
    photo = ROOT / "sample" / "chelsea.jpg"
    out = tmp_path / "cat.png"
    dream = subprocess.run([str(venv / "bin" / "prisma-abu"), "dream", str(photo), "--iter-n", "1", "--octave-n",
                            "1", "--width", "64", "-q", "-o", str(out)], capture_output=True, text=True,
                           cwd=tmp_path, env=env)
    assert dream.returncode == 0, dream.stderr
    assert out.is_file() and out.stat().st_size > 0
