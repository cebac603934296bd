"""``prisma-abu gui`` and ``prisma_abu_gui.app.main``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from prisma_abu import cli

pytestmark = pytest.mark.gui


def test_gui_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["gui", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--source" in out and "--guide" in out and "--params" in out


def test_without_the_gui_extra_one_line_and_exit_2(monkeypatch, capsys):
    from prisma_abu.cli import gui as gui_cli

    monkeypatch.setattr(gui_cli, "_missing", lambda: ["PySide6"])
    assert cli.main(["gui"]) == 2
    err = capsys.readouterr().err
    # names the command that installs the checkout's extra, not a registry package named prisma_abu[gui]
    assert err == ("prisma-abu: error: the window needs its extra (traitsui, pyface, PySide6): run `make gui` in "
                   "the checkout, or `pip install -e '.[gui]'` there\n")


def test_a_bad_params_file_fails_before_any_window(tmp_path, capsys):
    from prisma_abu_gui.app import main

    assert main(["--params", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml" in capsys.readouterr().err


def test_missing_xcb_libraries_are_named_with_their_packages():
    from prisma_abu_gui import app

    found = {"xcb-icccm", "xkbcommon-x11"}
    problem = app.display_problem({"DISPLAY": ":0"}, "linux", lambda lib: f"lib{lib}.so" if lib in found else None)
    assert problem == ("Qt's xcb plugin needs libxcb-cursor0, libxcb-keysyms1: expected them installed "
                       "(sudo apt install libxcb-cursor0 libxcb-keysyms1)")
    # a Wayland session uses Qt's wayland plugin, unless xcb is asked for
    assert app.display_problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}, "linux", lambda lib: None) is None
    assert "libxcb-cursor0" in app.display_problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w", "QT_QPA_PLATFORM": "xcb"},
                                                   "linux", lambda lib: None)


def test_no_display_is_one_line_not_a_crash(monkeypatch, capsys):
    from prisma_abu_gui import app

    assert "no display" in app.display_problem({}, "linux")
    assert app.display_problem({"DISPLAY": ":0"}, "linux", lambda lib: f"lib{lib}.so") is None
    assert app.display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", lambda lib: None) is None
    assert app.display_problem({}, "darwin") is None
    if sys.platform.startswith("linux"):
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            monkeypatch.delenv(name, raising=False)
        assert app.main([]) == 2
        assert "no display" in capsys.readouterr().err


def test_main_opens_the_window_on_the_given_pictures(monkeypatch, qt_gui, tmp_path):
    from prisma_abu.data import guide_images, sample_images
    from prisma_abu.params import MixParams
    from prisma_abu_gui.controller import PrismaController

    opened = []

    def configure_traits(self, *args, **kw):  # instead of running the event loop
        opened.append(self)
        return True

    monkeypatch.setattr(PrismaController, "configure_traits", configure_traits)
    params = tmp_path / "p.json"
    params.write_text(MixParams(n3=50, layer=None).to_json())
    source, guide = sample_images()[-1], guide_images()[-1]
    assert cli.main(["gui", "--source", str(source), "--guide", str(guide), "--params", str(params)]) == 0
    (controller,) = opened
    assert controller.model.source == str(source) and controller.model.guide == str(guide)
    assert controller.model.knobs.to_params() == MixParams(n3=50, layer=None)
    opened.clear()
    from prisma_abu_gui.app import main

    assert main(["--guide", "none"]) == 0
    assert opened[0].model.guide is None


def test_importing_loads_no_qt_and_no_torch():
    code = ("import sys, prisma_abu_gui, prisma_abu.cli.gui, prisma_abu_gui.command; "
            "print(sorted(m for m in ('torch', 'PySide6', 'traitsui', 'pyface') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
