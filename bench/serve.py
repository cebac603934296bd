"""`prisma-abu serve` under load, against 127.0.0.1 only: throughput, latency, refusals, and a SIGKILL.

1. The reference: ``prisma-abu stylize`` on a folder of the same pictures
   (384-512 px crops of the bundled photos), in this run, on this machine.
2. Load: ``--clients`` concurrent clients submit ``--jobs-total`` jobs (stylize
   at 384-512 px, every ``--mix-every``-th a mix with the default look), each
   waiting for its picture (a style of the 26 each; the throughput phase runs
   the CLI's own job, its default style, on each picture once); a 503 is counted as refused and retried after its
   Retry-After. Reported: completed, refused, failed, lost (accepted and
   never finished: must be 0), p50/p99 latency (accepted -> done), and the
   stylize throughput in pictures/s against the reference.
3. Kill: more jobs are submitted, the server is killed (SIGKILL) while they
   run, then started again on the same store: every accepted job must end
   done or failed (lost: must be 0).

Bounded in count (``--jobs-total``, ``--kill-jobs``) and time (``--max-seconds``).

    python bench/serve.py [--clients 40] [--jobs-total 80] [--workers 2] [--max-seconds 300]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]


def pictures(folder: Path, count: int) -> list[Path]:
    """``count`` JPEGs, 384-512 px on the longer side, cut from the bundled photos."""
    from PIL import Image

    from prisma_abu.data import sample_images

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    photos = [Image.open(p).convert("RGB") for p in sample_images()]
    out = []
    for k in range(count):
        img = photos[k % len(photos)]
        side = rng.randint(384, 512)
        w, h = img.size
        crop = img.crop((rng.randint(0, w // 8), rng.randint(0, h // 8), w - rng.randint(0, w // 8), h))
        crop.thumbnail((side, side))
        path = folder / f"pic{k:02d}.jpg"
        crop.save(path, quality=92)
        out.append(path)
    return out


def cli_reference(folder: Path, out: Path) -> tuple[float, float, int]:
    """Seconds ``prisma-abu stylize FOLDER`` takes (wall, and the pictures' own seconds), and how many it wrote."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "prisma_abu.cli", "stylize", str(folder), "-o", str(out) + "/",
                           "-q", "--json"], check=True, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return wall, sum(r.get("seconds", 0) for r in rows), len(rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(store: Path, port: int, workers: int, queue: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "prisma_abu.cli", "serve", "--host", HOST, "--port", str(port),
                             "--store", str(store), "--jobs", str(workers), "--queue", str(queue), "-q"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    import httpx

    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://{HOST}:{port}/api/forms", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("serve: the server did not start in 60 s")


class Load:
    """Clients submitting jobs and waiting for them; every outcome counted."""

    def __init__(self, base: str, files: list[Path], deadline: float, vary_styles: bool = True) -> None:
        self.base, self.files, self.deadline, self.vary = base, files, deadline, vary_styles
        self.lock = threading.Lock()
        self.accepted: dict[str, dict] = {}
        self.refused = self.errors = 0

    def submit(self, client, k: int, mix: bool) -> str | None:
        path = self.files[k % len(self.files)]
        command = "mix" if mix else "stylize"
        params = {"precision": "fp32"} if mix else {"model": f"multistyle26:{k % 26}"} if self.vary else {}
        while time.monotonic() < self.deadline:
            with path.open("rb") as fh:
                answer = client.post(f"{self.base}/api/jobs", data={"command": command, "params": json.dumps(params)},
                                     files={"photo": (path.name, fh, "image/jpeg")}, timeout=60)
            if answer.status_code == 503:
                with self.lock:
                    self.refused += 1
                time.sleep(min(10.0, float(answer.headers.get("retry-after", 1))) * random.uniform(0.5, 1.0))
                continue
            if answer.status_code != 202:
                with self.lock:
                    self.errors += 1
                return None
            job = answer.json()["id"]
            with self.lock:
                self.accepted[job] = {"command": command, "accepted": time.monotonic(), "status": "queued"}
            return job
        return None

    def wait(self, client, job: str) -> None:
        """Follow the job's server-sent events (as the page does) until it ends; reconnect if the server went."""
        while time.monotonic() < self.deadline:
            try:
                with client.stream("GET", f"{self.base}/api/jobs/{job}/events", timeout=60) as stream:
                    for line in stream.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        status = json.loads(line[5:])["status"]
                        if status in ("done", "failed"):
                            with self.lock:
                                self.accepted[job].update(status=status, done=time.monotonic())
                            return
            except Exception:  # the server is down (the kill): try again
                pass
            time.sleep(0.5)

    def client(self, jobs: list[tuple[int, bool]], wait: bool = True) -> None:
        import httpx

        with httpx.Client() as client:
            for k, mix in jobs:
                job = self.submit(client, k, mix)
                if job is not None and wait:
                    self.wait(client, job)


def run_clients(load: Load, total: int, clients: int, mix_every: int, wait: bool = True) -> float:
    work = [(k, mix_every > 0 and k % mix_every == mix_every - 1) for k in range(total)]
    shares = [work[c::clients] for c in range(clients)]
    start = time.perf_counter()
    threads = [threading.Thread(target=load.client, args=(share, wait)) for share in shares if share]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--jobs-total", type=int, default=80, help="jobs of the load phase")
    parser.add_argument("--pictures", type=int, default=16, help="distinct pictures (the CLI's folder)")
    parser.add_argument("--mix-every", type=int, default=10, help="every N-th job is a mix (0: none)")
    parser.add_argument("--workers", type=int, default=2, help="the server's --jobs")
    parser.add_argument("--queue", type=int, default=16, help="the server's --queue")
    parser.add_argument("--kill-jobs", type=int, default=16, help="jobs submitted before the SIGKILL")
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.max_seconds

    with tempfile.TemporaryDirectory(prefix="prisma-abu-bench-serve-") as tmp:
        tmp = Path(tmp)
        files = pictures(tmp / "pictures", args.pictures)
        cli_wall, cli_s, cli_n = cli_reference(tmp / "pictures", tmp / "cli")
        print(f"reference: prisma-abu stylize on a folder of {cli_n} pictures: {cli_wall:.1f} s wall "
              f"({cli_n / cli_wall:.2f} pictures/s with its start-up), {cli_s:.1f} s in the pictures "
              f"({cli_n / cli_s:.2f} pictures/s)")

        port, store = free_port(), tmp / "store"
        base = f"http://{HOST}:{port}"
        server = start_server(store, port, args.workers, args.queue)
        # warm the workers (the first job of each loads its network), then the load proper
        warm = Load(base, files, deadline)
        run_clients(warm, args.workers * 2, args.workers * 2, 0)
        stylize_only = Load(base, files, deadline, vary_styles=False)  # the CLI's job: its default model
        s_wall = run_clients(stylize_only, args.pictures, args.clients, 0)
        s_done = sum(1 for j in stylize_only.accepted.values() if j["status"] == "done")
        load = Load(base, files, deadline)
        wall = run_clients(load, args.jobs_total, args.clients, args.mix_every)
        jobs = load.accepted.values()
        done = [j for j in jobs if j["status"] == "done"]
        latencies = [j["done"] - j["accepted"] for j in done]
        lost_load = sum(1 for j in jobs if j["status"] not in ("done", "failed"))
        print(f"load: {args.clients} clients, {args.jobs_total} jobs (every {args.mix_every}th a mix), server "
              f"--jobs {args.workers} --queue {args.queue}: completed {len(done)}, refused (503) {load.refused}, "
              f"failed {sum(1 for j in jobs if j['status'] == 'failed')}, errors {load.errors}, lost {lost_load}")
        print(f"latency accepted->done: p50 {percentile(latencies, 0.5):.2f} s, p99 {percentile(latencies, 0.99):.2f} s;"
              f" {len(done) / wall:.2f} pictures/s over {wall:.1f} s")
        rate = s_done / s_wall
        print(f"stylize only, the {args.pictures} pictures, {args.clients} clients: {rate:.2f} pictures/s = "
              f"{rate / (cli_n / cli_wall):.2f}x prisma-abu stylize on the folder (wall), "
              f"{rate / (cli_n / cli_s):.2f}x its pictures' own time")

        # the kill: submit, SIGKILL mid-load, restart on the same store, every accepted job ends
        killing = Load(base, files, deadline)
        submitter = threading.Thread(target=run_clients, args=(killing, args.kill_jobs, args.clients, 4, False))
        submitter.start()
        end = time.monotonic() + 60
        while len(killing.accepted) < max(1, args.kill_jobs // 2) and time.monotonic() < end:
            time.sleep(0.05)
        time.sleep(0.5)
        os.killpg(server.pid, signal.SIGKILL)  # the server and its worker processes, at once
        server.wait()
        submitter.join()
        accepted = dict(killing.accepted)
        records = {p.parent.name: json.loads(p.read_text())["status"] for p in (store / "jobs").glob("*/job.json")}
        unfinished = sum(1 for job in accepted if records.get(job) in ("queued", "running"))
        server = start_server(store, port, args.workers, args.queue)
        try:
            import httpx

            with httpx.Client() as client:
                for job in accepted:
                    killing.wait(client, job)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        ends = [j["status"] for j in killing.accepted.values()]
        lost = sum(1 for s in ends if s not in ("done", "failed"))
        print(f"SIGKILL mid-load: {len(accepted)} accepted, {unfinished} unfinished at the kill; after the restart "
              f"done {ends.count('done')}, failed {ends.count('failed')}, lost {lost}")
    return 0 if lost == 0 and lost_load == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
