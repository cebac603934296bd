"""The studio's HTTP API, in process: submit, follow, fetch, replay, a full queue, a restart."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from web_support import SMALL, photo_bytes, wait

from prisma_abu.cli import build_parser, main, params_from_args
from prisma_abu.data import sample_path
from prisma_abu.params import MixParams, StylizeParams


def submit(client, command="stylize", params=SMALL, photo=None, **fields):
    files = {"photo": ("photo.jpg", photo if photo is not None else photo_bytes(), "image/jpeg")} \
        if "input" not in fields else None
    return client.post("/api/jobs", data={"command": command, "params": json.dumps(params), **fields}, files=files)


def test_submit_poll_fetch_and_replay_gives_the_same_bytes(client, tmp_path):
    photo = Path(sample_path("chelsea")).read_bytes()
    answer = submit(client, params={"size": 96, "strength": 0.75}, photo=photo)
    assert answer.status_code == 202, answer.text
    view = wait(client, answer.json()["id"])
    assert view["status"] == "done", view["error"]
    assert view["params"]["strength"] == 0.75 and view["size"][0] == 96
    assert view["command_line"] == "prisma-abu stylize photo.jpg -o result.png --strength 0.75 --size 96"
    png = client.get(view["result_url"])
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    # the downloaded picture, its input beside it under the name the command line uses: replay is exact
    folder = tmp_path / "downloaded"
    folder.mkdir()
    (folder / "painting.png").write_bytes(png.content)
    (folder / "photo.jpg").write_bytes(client.get(view["inputs"]["photo"]["url"]).content)
    assert main(["replay", str(folder / "painting.png"), "-o", str(folder / "again.png"), "-q"]) == 0
    assert (folder / "again.png").read_bytes() == png.content


def test_the_command_line_parses_back_to_the_same_parameters(client):
    values = {"mask": "otsu", "n3": 60, "rb_rate": 0.9, "layer": None, "size": 64, "precision": "fp32",
              "spots_keep": [[1, 2, 3]]}
    view = submit(client, "mix", values, guide="swirl").json()
    words = shlex.split(view["command_line"])
    assert words[:6] == ["prisma-abu", "mix", "source.jpg", "--guide", "guide.jpg", "-o"]
    args = build_parser().parse_args(words[1:])
    assert params_from_args(MixParams, args) == MixParams.from_dict(view["params"])
    assert MixParams.from_dict(view["params"]).auto is False  # a mask knob given turns auto off, as on the CLI
    assert wait(client, view["id"])["status"] == "done"


def test_a_stored_input_is_reused_by_id_and_progress_streams(client, door):
    # the job waits at the worker's door until the stream has shown it unfinished: a fast machine
    # (a second stylize runs from the stored plan) cannot finish it before the stream opens
    first = submit(client).json()
    door.set()
    assert wait(client, first["id"])["status"] == "done"
    door.clear()
    input_id = first["inputs"]["photo"]["id"]
    second = submit(client, params={"size": 64, "model": "multistyle26:3"}, input=input_id)
    assert second.status_code == 202, second.text
    job = second.json()["id"]
    events = []
    with client.stream("GET", f"/api/jobs/{job}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                door.set()
    assert events[0]["status"] in ("queued", "running") and len(events) >= 2
    assert events[-1]["status"] == "done" and events[-1]["progress"]["fraction"] == 1.0
    assert StylizeParams.from_dict(events[-1]["params"]).model == "multistyle26:3"
    gallery = client.get("/api/jobs").json()
    assert {first["id"], job} <= {j["id"] for j in gallery}


def test_a_bad_knob_is_the_parameter_classes_one_line_and_no_job(client):
    answer = submit(client, params={"strength": 3})
    assert answer.status_code == 400
    assert answer.json()["error"] == "strength: expected a value in [0, 1], got 3.0"
    answer = submit(client, params={"nonsense": 1})
    assert answer.status_code == 400 and "unknown parameter(s) nonsense" in answer.json()["error"]
    assert client.get("/api/jobs").json() == []


def test_a_full_queue_is_503_with_retry_after_and_every_accepted_job_finishes(make_client, door):
    client = make_client(queue=1)  # one running, one waiting; the door holds them, however fast the machine
    input_id = submit(client).json()["inputs"]["photo"]["id"]
    answers = [submit(client, params={"size": 96 + k}, input=input_id) for k in range(6)]
    door.set()
    refused = [a for a in answers if a.status_code == 503]
    assert refused, [a.status_code for a in answers]
    assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
    accepted = [a.json()["id"] for a in answers if a.status_code == 202]
    assert all(wait(client, job)["status"] == "done" for job in accepted)
    assert submit(client, input=input_id).status_code == 202  # room again once they are done


@pytest.mark.slow
def test_the_store_survives_a_restart(make_client, tmp_path, door):
    first = make_client(queue=8)
    input_id = submit(first).json()["inputs"]["photo"]["id"]
    jobs = [submit(first, params={"size": 64 + k}, input=input_id).json()["id"] for k in range(4)]
    first.__exit__(None, None, None)  # the job at the door runs; the rest stay queued in the store
    left = [json.loads((tmp_path / "store" / "jobs" / j / "job.json").read_text())["status"] for j in jobs]
    assert "queued" in left
    door.set()
    second = make_client()
    views = [wait(second, j) for j in jobs]
    assert [v["status"] for v in views] == ["done"] * 4
    assert any(v["resumed"] for v in views)


def test_the_lists_are_what_the_cli_prints(client):
    from prisma_abu.pipeline.stylize import builtin_models

    models = client.get("/api/models").json()
    assert [(m["name"], m["description"]) for m in models if m["builtin"]] == [tuple(m) for m in builtin_models()]
    assert "swirl" in [g["name"] for g in client.get("/api/guides").json()]
    backbones = {b["name"]: b for b in client.get("/api/backbones").json()}
    assert "blocks.1" in backbones["efficientnet_lite0"]["layers"]
    assert "threads" in client.get("/api/devices").json()["environment"]
    forms = client.get("/api/forms").json()["commands"]
    strength = next(k for k in forms["stylize"]["knobs"] if k["name"] == "strength")
    from prisma_abu.params import knobs

    assert (strength["help"], strength["low"], strength["high"]) == \
        (knobs(StylizeParams)["strength"].help, 0.0, 1.0)
    assert not any(k["name"] == "weights" for c in forms.values() for k in c["knobs"])


def test_the_schema_and_the_docs_are_served_offline(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/{job_id}/events", "/api/models"} <= set(schema["paths"])
    docs = client.get("/docs").text
    assert "/openapi.json" in docs and "http" not in docs.split("<body>")[0].replace("http-equiv", "")
    page = client.get("/").text
    assert 'accept="image/*"' in page and "capture" in page and "cdn" not in page.lower()


@pytest.mark.slow
def test_the_dask_backend_renders_on_worker_processes(make_client):
    pytest.importorskip("distributed")
    client = make_client(backend="dask")  # a local cluster of worker processes
    view = wait(client, submit(client).json()["id"])
    assert view["status"] == "done", view["error"]
    assert client.get(view["result_url"]).status_code == 200
