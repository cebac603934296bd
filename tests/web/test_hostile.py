"""Hostile requests: each the right 4xx with the command line's one line, and no file outside the store."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from PIL import Image
from web_support import SMALL, photo_bytes, wait


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """The current folder is an empty folder beside the store: nothing may appear in it."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    return here


def post(client, photo: bytes | None, command="stylize", params=SMALL, name="photo.jpg", **fields):
    files = {"photo": (name, photo, "image/jpeg")} if photo is not None else None
    return client.post("/api/jobs", data={"command": command, "params": json.dumps(params), **fields}, files=files)


def test_an_oversized_upload_is_413_before_it_is_stored(make_client, sandbox, tmp_path):
    client = make_client(max_upload_bytes=50_000)
    answer = post(client, photo_bytes((400, 400), "PNG"))  # ~480 kB of noise
    assert answer.status_code == 413
    assert "expected a smaller picture" in answer.json()["error"]
    assert not list((tmp_path / "store" / "inputs").iterdir()) and not list((tmp_path / "store" / "jobs").iterdir())


def test_a_decompression_bomb_is_413_with_the_readers_line(make_client, tmp_path):
    client = make_client(max_pixels=1_000_000)
    bomb = io.BytesIO()
    Image.new("L", (4000, 4000)).save(bomb, "PNG")  # 16 MP of black: a few kB
    answer = post(client, bomb.getvalue(), name="bomb.png")
    assert answer.status_code == 413
    assert answer.json()["error"] == "upload: too many pixels (4000 x 4000); expected at most 1000000 pixels"
    # beyond Pillow's own guard, the command line's reader says it (the same line as `prisma-abu mix`)
    huge = io.BytesIO()
    Image.new("1", (30000, 30000)).save(huge, "PNG")
    answer = make_client(store=str(tmp_path / "s2"), max_pixels=10**10).post(
        "/api/jobs", data={"command": "stylize"}, files={"photo": ("x.png", huge.getvalue(), "image/png")})
    assert answer.status_code == 413 and answer.json()["error"].startswith("upload: too many pixels")
    assert not list((tmp_path / "store" / "inputs").iterdir())


@pytest.mark.parametrize("data, expected", [
    (b"not a picture\n", "upload: not a picture Pillow can read; expected PNG, JPEG, ..."),
    (b"", "upload: is empty; expected a picture's bytes"),
])
def test_a_non_picture_is_refused_with_the_readers_line(client, data, expected, tmp_path):
    answer = post(client, data)
    assert answer.status_code in (400, 415) and answer.json()["error"] == expected
    assert not list((tmp_path / "store" / "inputs").iterdir())


def test_a_truncated_picture_and_a_format_the_cli_does_not_read_are_415(client):
    cut = post(client, photo_bytes((200, 200))[:5000])
    assert cut.status_code == 415 and cut.json()["error"].startswith("upload: broken or truncated picture")
    ico = io.BytesIO()
    Image.new("RGB", (32, 32)).save(ico, "ICO")
    answer = post(client, ico.getvalue(), name="x.ico")
    assert answer.status_code == 415 and answer.json()["error"].startswith("upload: a ICO file; expected one of")


DOTS = "../../../../etc/passwd"


def test_dot_dot_in_every_field_is_refused_and_writes_nothing_outside_the_store(client, sandbox, tmp_path):
    store = tmp_path / "store"
    good = post(client, photo_bytes()).json()
    wait(client, good["id"])
    before_outside = _files(tmp_path) - {f for f in _files(tmp_path) if f.startswith(("store", "cwd"))}
    answers = [
        post(client, photo_bytes(seed=1), name=DOTS),  # a client's file name is never used
        post(client, None, input=DOTS),
        post(client, photo_bytes(), command="mix", params={"layer": None, "size": 64}, guide=DOTS),
        post(client, photo_bytes(), command="dream", guide="../swirl"),
        post(client, photo_bytes(), params={"model": DOTS}),
        post(client, photo_bytes(), params={"model": "arbitrary"}, style_image=DOTS),
        post(client, photo_bytes(), command="mix", params={"weights": DOTS}),
        post(client, photo_bytes(), command=DOTS),
        post(client, photo_bytes(), params={DOTS: 1}),
        client.get(f"/api/jobs/{DOTS}"),
        client.get("/api/jobs/..%2F..%2Fjob.json"),
        client.get(f"/api/jobs/{good['id']}/inputs/{DOTS}"),
        client.get(f"/api/jobs/{good['id']}/inputs/..%2Fjob.json"),
        client.get(f"/api/guides/{DOTS}"),
        client.get("/static/..%2F..%2F__init__.py"),
    ]
    codes = [a.status_code for a in answers]
    assert codes[0] == 202, answers[0].text  # stored under the server's name
    assert all(400 <= c < 500 for c in codes[1:]), codes
    assert not any("root:" in a.text for a in answers)
    stored = _files(store / "inputs")
    assert all(len(Path(f).stem) == 32 for f in stored)
    assert not list(sandbox.iterdir())
    after_outside = _files(tmp_path) - {f for f in _files(tmp_path) if f.startswith(("store", "cwd"))}
    assert after_outside == before_outside
    assert not any(Path(f).name.startswith(".") and f.endswith(".part") for f in _files(store))


def test_a_non_loopback_bind_wants_the_token_on_every_request(make_client):
    client = make_client(token="s3cret-token")
    for path in ("/", "/api/forms", "/api/jobs", "/openapi.json", "/static/app.js", "/docs"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401, path
    assert post(client, photo_bytes()).status_code == 401
    assert client.get("/api/forms", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    # the page opened with ?token= gets a cookie, and the page's own requests then pass
    first = client.get("/?token=s3cret-token")
    assert first.status_code == 200 and "prisma_abu_token" in first.headers["set-cookie"]
    assert "HttpOnly" in first.headers["set-cookie"]
    assert client.get("/api/forms").status_code == 200  # the client kept the cookie
    client.cookies.clear()
    assert client.get("/api/forms").status_code == 401


def test_serve_requires_a_token_beyond_the_loopback_and_prints_one(capsys):
    from prisma_abu.cli import build_parser
    from prisma_abu.cli.serve import serve_config

    parser = build_parser()
    config, printed = serve_config(parser.parse_args(["serve"]))
    assert config.token is None and printed is None and config.store == "out/web"
    config, printed = serve_config(parser.parse_args(["serve", "--host", "0.0.0.0"]))
    assert printed and config.token == printed and len(printed) >= 24
    config, printed = serve_config(parser.parse_args(["serve", "--host", "0.0.0.0", "--token", "abc"]))
    assert config.token == "abc" and printed is None


def test_a_flood_beyond_the_queue_is_503_never_a_hang(make_client):
    client = make_client(queue=0)
    input_id = post(client, photo_bytes()).json()["inputs"]["photo"]["id"]
    codes = [post(client, None, input=input_id).status_code for _ in range(10)]
    assert 503 in codes and set(codes) <= {202, 503}
