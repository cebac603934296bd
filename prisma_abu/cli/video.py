"""``prisma-abu stylize clip.mp4``: a video painted frame by frame, its audio kept, its parameters stored."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import InvalidParameterError, PrismaAbuError
from ..jobs import Job
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE

__all__ = ["stylize_videos"]


def _output(args: argparse.Namespace, video: str, many: bool) -> tuple[Path, bool]:
    """(the output, whether it is a name we chose: then taken atomically when written, ``_N`` if it exists)."""
    if args.output == "-":
        raise InvalidParameterError("-o -: a video cannot go to standard output; expected -o FILE.mp4")
    if args.output is None or many or Path(args.output).is_dir() or args.output.endswith("/"):
        return Path(args.output or "out") / f"{Path(video).stem}_stylize.mp4", True
    return Path(args.output), False


def stylize_videos(args: argparse.Namespace, params: Any, models: dict[str, str | None], videos: list[str]) -> int:
    """Paint each video; exit codes as the picture commands'."""
    if len(videos) != len(args.inputs):
        raise InvalidParameterError("stylize: expected videos or pictures, not both in one command")
    failures = 0
    for video in videos:
        try:
            _one(args, params, models, video, *_output(args, video, len(videos) > 1))
        except PrismaAbuError as exc:
            if len(videos) == 1:
                raise
            failures += 1
            print(f"prisma-abu: error: {video}: {exc}", file=sys.stderr)
    if failures == 0:
        return EXIT_OK
    return EXIT_FAILED if failures < len(videos) else EXIT_USAGE


def _one(args: argparse.Namespace, params: Any, models: dict[str, str | None], video: str, out: Path,
         numbered: bool) -> None:
    from ..io import check_output_folder
    from ..pipeline.stylize import stylize_frames
    from ..video import open_video, write_video
    from .batch import _sigterm_as_interrupt

    if out.resolve() == Path(video).resolve():
        raise InvalidParameterError(f"{out}: is the input video itself; expected another output name")
    check_output_folder(out.parent)
    info, frames = open_video(video)
    job = Job("stylize", params, {"video": video, **{role: p for role, p in models.items() if p}})
    style_image = job.input_image("style_image")
    resolved, meta = _video_metadata(job, style_image, args.temporal)
    painted = stylize_frames(frames, resolved.params, style_image=style_image, model_file=job.inputs.get("model"),
                             temporal=args.temporal)
    there = _done_before(out, meta) if numbered and not getattr(args, "force", False) else None
    if there is not None:
        if not args.quiet:
            print(f"{Path(video).name}: done before: {there} (--force redoes it)", file=sys.stderr)
        _report(args, video, there, 0.0, meta, info)
        return
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=info.frames or None, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=False)
        painted = _counted(painted, lambda: bar.update(1))
    elif not args.quiet:  # a log, a pipe: a line every few seconds, as the picture commands write
        from ..pipeline.progress import LogSteps

        painted = _counted(painted, LogSteps(Path(video).name, info.frames or None))
    start = time.perf_counter()
    try:
        with _sigterm_as_interrupt():  # killed (SIGTERM, Ctrl-C): the temporary .part goes, nothing half-written
            out = write_video(out, painted, info.fps, audio_from=video if info.has_audio else None, metadata=meta,
                              new_name=numbered)
    except OSError as exc:  # a full disk, a size limit: name the output, not its (removed) temporary
        if exc.errno is None or exc.filename is None or not str(exc.filename).endswith(".part"):
            raise
        raise OSError(exc.errno, exc.strerror, str(out)) from None
    finally:
        if bar is not None:
            bar.close()
    _report(args, video, out, time.perf_counter() - start, meta, info)


def _video_metadata(job: Job, style_image: Any, temporal: float) -> tuple[Job, dict[str, Any]]:
    """The job as it runs (device resolved once, :func:`prisma_abu.commands.resolve_job`) and what the video
    stores: a picture's metadata (:func:`prisma_abu.jobs.job_metadata`, inputs by name and sha256), its
    temporal blend, and the network's identity and run plan."""
    from ..commands import Rendered, resolve_job
    from ..jobs import job_metadata
    from ..pipeline.stylize import model_identity

    resolved, arithmetic = resolve_job(job)
    arithmetic = {**arithmetic, **model_identity(resolved.params, job.inputs.get("model"), style_image)}
    meta = job_metadata(Rendered(None, resolved, job.params, arithmetic),
                        stored_paths={role: Path(p).name for role, p in job.inputs.items() if p})
    return resolved, {**meta, "temporal": temporal}


def _report(args: argparse.Namespace, video: str, out: Path, seconds: float, meta: dict, info: Any) -> None:
    if args.json:  # what ran, as a picture's --json says it (issue 20: not "cpu" whatever ran)
        ran = meta["arithmetic"]
        print(json.dumps({"input": video, "output": str(out), "command": "stylize", "status": "done", "error": None,
                          "seconds": round(seconds, 3), "params": meta["params"],
                          "frames": info.frames, "device": ran["device"], "precision": ran["precision"],
                          "threads": ran.get("threads")}, sort_keys=True))
    else:
        print(out)


def _done_before(out: Path, meta: dict) -> Path | None:
    """A video beside ``out`` (``STEM_stylize.mp4`` or ``STEM_stylize_N.mp4``) painted by the same job: the same
    parameters, temporal blend and inputs (by sha256). A rerun into the folder skips it, as pictures do."""
    from ..errors import PrismaAbuError
    from ..video import read_video_metadata

    def job(m: dict) -> tuple:
        shas = {role: entry.get("sha256") for role, entry in (m.get("inputs") or {}).items()
                if isinstance(entry, dict)}
        return m.get("command"), m.get("requested", m.get("params")), m.get("temporal"), shas  # as asked

    name = re.compile(re.escape(out.stem) + r"(_\d+)?" + re.escape(out.suffix))
    try:
        candidates = sorted(p for p in out.parent.iterdir() if name.fullmatch(p.name))
    except OSError:
        return None
    for candidate in candidates:
        try:
            if job(read_video_metadata(candidate)) == job(meta):
                return candidate
        except (PrismaAbuError, OSError, AttributeError):
            continue
    return None


def _counted(frames, tick):
    for frame in frames:
        tick()
        yield frame
