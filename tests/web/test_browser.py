"""A real browser paints a photo end to end: Debian's chromium, driven by Playwright, at a phone's size.

Skipped only where /usr/bin/chromium is absent (``.ci/run`` installs it).
With ``PRISMA_ABU_SCREENSHOTS=DIR`` it also writes ``DIR/web_phone.png`` and
``DIR/web_desktop.png`` (the README's screenshots).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from prisma_abu.data import sample_path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """``prisma-abu serve`` on a free port of 127.0.0.1, in a thread; its base address."""
    uvicorn = pytest.importorskip("uvicorn")
    from prisma_abu.web import WebConfig, create_app

    port = _free_port()
    app = create_app(WebConfig(store=str(tmp_path / "store"), jobs=1))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(60)


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


def _paint(page, base: str, command: str) -> dict:
    page.goto(base + "/")
    page.wait_for_selector("#commands input")
    page.set_input_files("#photo", str(sample_path("chelsea")))
    page.check(f"#commands input[value={command}]", force=True)
    if command == "stylize":
        page.select_option('[data-knob="model"]', "multistyle26:7")
        page.fill('[data-knob="strength"]', "0.8") if page.get_attribute('[data-knob="strength"]', "type") != "range" \
            else page.eval_on_selector('[data-knob="strength"]', "e => { e.value = 0.8; e.dispatchEvent(new Event('input')) }")
    page.click("#paint")
    page.wait_for_selector('#result[data-final="yes"]', timeout=120_000)
    page.wait_for_function("() => { const i = document.getElementById('result'); return i.complete && i.naturalWidth > 0 }",
                           timeout=30_000)
    return page.evaluate("""() => { const i = document.getElementById('result');
        return {width: i.naturalWidth, height: i.naturalHeight, job: i.dataset.job,
                command: document.getElementById('command').textContent,
                error: document.getElementById('error').textContent,
                download: !document.getElementById('download').hidden} }""")


def test_a_phone_sized_browser_paints_a_photo(server, browser):
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                            has_touch=True)
    shown = _paint(page, server, "stylize")
    assert shown["error"] == ""
    assert shown["width"] == 451 and shown["height"] == 300  # stylize keeps the photo's own size
    assert shown["download"] and shown["command"].startswith("prisma-abu stylize photo.jpg -o result.png")
    assert "--strength 0.8" in shown["command"]
    # the picture shown is the job's result, as the API gives it
    import urllib.request

    with urllib.request.urlopen(f"{server}/api/jobs/{shown['job']}") as answer:
        import json

        view = json.loads(answer.read())
    assert view["status"] == "done" and view["params"]["strength"] == 0.8 and view["size"] == [451, 300]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.wait_for_selector("#gallery figure img")
    folder = os.environ.get("PRISMA_ABU_SCREENSHOTS")
    if folder:
        page.evaluate("window.scrollTo(0, document.getElementById('out').offsetTop - 8)")
        page.screenshot(path=str(Path(folder) / "web_phone.png"))
        desk = browser.new_page(viewport={"width": 1280, "height": 860})
        _paint(desk, server, "mix")
        desk.evaluate("window.scrollTo(0, 0)")
        desk.wait_for_timeout(300)
        desk.screenshot(path=str(Path(folder) / "web_desktop.png"))
