"""Qt offscreen for every GUI test: set before anything imports Qt."""

from __future__ import annotations

import importlib.util
import os

os.environ["QT_QPA_PLATFORM"] = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
os.environ.setdefault("ETS_TOOLKIT", "qt")
os.environ.setdefault("QT_API", "pyside6")

import time  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

#: without the gui extra these tests cannot run: collect none of them
if any(importlib.util.find_spec(m) is None for m in ("PySide6", "traitsui", "pyface")):
    collect_ignore_glob = ["test_*.py"]

#: small and fast: no network (layer None), tiny pictures, windows that fit them
FAST = {"size": 64, "layer": None, "n1": 3, "n2": 9, "n3": 30, "auto": False}


@pytest.fixture(scope="session")
def qt_gui():
    """pyface's GUI (it creates the QApplication once)."""
    from pyface.api import GUI

    return GUI()


def process_events(seconds: float = 0.0) -> None:
    from pyface.api import GUI

    end = time.perf_counter() + seconds
    while True:
        GUI.process_events()
        if time.perf_counter() >= end:
            return
        time.sleep(0.005)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Process Qt events until ``condition()`` holds (fails the test after ``timeout`` s)."""
    from pyface.api import GUI

    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise AssertionError(f"still waiting after {timeout} s")
        GUI.process_events()
        time.sleep(0.005)
    GUI.process_events()


@pytest.fixture
def wait():
    return wait_until


@pytest.fixture
def window(qt_gui):
    """The main window on the first sample and guide with FAST knobs; closed afterwards."""
    from prisma_abu.params import MixParams
    from prisma_abu_gui.controller import PrismaController, new_model

    controller = PrismaController(model=new_model(params=MixParams(**FAST)))
    ui = controller.edit_traits()
    # the first preview starts at once: let it finish so each test starts idle
    wait_until(lambda: controller.renders_started >= 1 and not controller.model.busy)
    yield controller, ui
    controller.shutdown()
    ui.dispose()
    process_events()


def qimage_to_array(qimage) -> np.ndarray:
    """An RGB uint8 array of a QImage (to check what a widget shows)."""
    from pyface.qt import QtGui

    image = qimage.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return data[:, : w * 3].reshape(h, w, 3).copy()


def shown_array(ui, name: str) -> np.ndarray:
    """What the ImageEditor of ``controller.<name>`` paints (its pixmap, as RGB)."""
    editors = ui.get_editors(name)
    assert editors, f"no editor for {name}"
    pixmap = editors[0].control.pixmap()
    assert pixmap is not None, f"{name} shows nothing"
    return qimage_to_array(pixmap.toImage())


@pytest.fixture
def shown():
    return shown_array


@pytest.fixture
def pause():
    """``pause(seconds)``: process Qt events for a while."""
    return process_events
