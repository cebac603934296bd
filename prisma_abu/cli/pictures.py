"""Running a picture command over its inputs: files, folders or ``-``; outputs, progress, ``--json``.

Every picture command (``dream``, ``mix``, ``mask``, ``features``, ``style``,
``stylize``, ``replay``) takes one or more inputs and goes through
:func:`run_pictures`:

* inputs: files, folders (their pictures, by name) or ``-`` (a picture on stdin);
* outputs: ``-o FILE`` for one input, ``-o DIR`` (an existing folder, a name
  ending in ``/``, or any ``-o`` with several inputs or a folder) for one
  picture per input, ``-o -`` for PNG on stdout; without ``-o``,
  ``out/<stem>_<command>.png`` — default names never overwrite (``_1``, ``_2``...);
* ``--json``: one JSON object per picture on stdout (input, output, command,
  parameters, seconds, device, precision, status, error);
* a progress bar with a total and an ETA on stderr (not with ``-q``, not when
  stderr is no terminal); exit 0 all written, 1 some failed (the rest
  written), 2 bad usage or no picture written.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..data import IMAGE_SUFFIXES, find_picture
from ..errors import InvalidParameterError, PrismaAbuError
from ..io import WRITABLE_SUFFIXES, read_stream, write_stream
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE

__all__ = ["Source", "expand_sources", "plan_outputs", "run_pictures", "DEFAULT_FOLDER", "STDIO", "COMMAND_KNOBS",
           "unused_knobs"]

#: where pictures go when no ``-o`` is given
DEFAULT_FOLDER = Path("out")
#: the name of standard input / output
STDIO = "-"


@dataclass(frozen=True)
class Source:
    """One input: ``path`` to read (a temporary copy for stdin) and the ``name`` it is known by."""

    path: str
    name: str

    @property
    def stem(self) -> str:
        return "stdin" if self.name == STDIO else Path(self.name).stem


def expand_sources(entries: Sequence[str], stdin_folder: Path | None = None) -> list[Source]:
    """Files as given, folders as their pictures (sorted by name), ``-`` as the picture on stdin.

    Raises
    ------
    InvalidParameterError
        A folder without pictures, or ``-`` given twice.
    """
    out: list[Source] = []
    for entry in entries:
        if entry == STDIO:
            if any(s.name == STDIO for s in out):
                raise InvalidParameterError("-: standard input can be read once; expected '-' at most once")
            out.append(Source(_read_stdin(stdin_folder), STDIO))
        elif os.path.isdir(entry):
            pictures = sorted(p for p in Path(entry).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not pictures:
                raise InvalidParameterError(f"{entry}: holds no pictures; expected .jpg, .png, ... files")
            out.extend(Source(str(p), str(p)) for p in pictures)
        else:
            out.append(Source(entry, entry))
    return out


def _read_stdin(folder: Path | None) -> str:
    data = read_stream(getattr(sys.stdin, "buffer", None))
    if not data:
        raise InvalidParameterError("-: standard input is empty; expected a picture's bytes")
    fd, path = tempfile.mkstemp(prefix="prisma-abu-stdin-", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def _many(sources: Sequence[Source], entries: Sequence[str]) -> bool:
    return len(sources) > 1 or any(os.path.isdir(e) for e in entries)


def _unique(folder: Path, stem: str, suffix: str, taken: set[Path]) -> Path:
    """``folder/stem.suffix``, or with ``_1``, ``_2``... when that exists or is already planned."""
    candidate, n = folder / f"{stem}{suffix}", 0
    while candidate in taken or candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = folder / f"{stem}_{n}{suffix}"
    taken.add(candidate)
    return candidate


def plan_outputs(sources: Sequence[Source], entries: Sequence[str], output: str | None, command: str,
                 suffix: str = ".png") -> list[str]:
    """One output per source (see the module docstring); ``-`` for stdout."""
    if output == STDIO:
        if len(sources) != 1 or _many(sources, entries):
            raise InvalidParameterError("-o -: standard output takes one picture; expected one input")
        return [STDIO]
    folder_mode = output is None or output.endswith(("/", os.sep)) or os.path.isdir(output) \
        or _many(sources, entries)
    if not folder_mode:
        return [output]  # type: ignore[list-item]
    folder = DEFAULT_FOLDER if output is None else Path(output)
    if output is not None and not folder.is_dir() and not output.endswith(("/", os.sep)) \
            and folder.suffix.lower() in WRITABLE_SUFFIXES:
        raise InvalidParameterError(f"{output}: {len(sources)} pictures need a folder; expected -o DIR "
                                    f"(a name without a picture suffix, or ending in /)")
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(f"{folder}: is a file; expected a folder for {len(sources)} pictures")
    taken: set[Path] = set()
    return [str(_unique(folder, f"{s.stem}_{command}", suffix, taken)) for s in sources]


class _Bars:
    """The progress bars: one over the pictures (several inputs), one over each picture's steps."""

    def __init__(self, enabled: bool, pictures: int, log: bool = False) -> None:
        self.enabled, self.log = enabled, log
        self.outer = None
        if enabled and pictures > 1:
            from tqdm import tqdm

            self.outer = tqdm(total=pictures, unit="pic", file=sys.stderr, dynamic_ncols=True, position=0)

    def steps(self, total: int | None, label: str):
        """(callback, close) for one picture: ``total`` steps, or None for an instant one."""
        if not self.enabled and self.log and total:
            from ..pipeline.progress import LogSteps

            return LogSteps(label, total), lambda: None
        if not self.enabled or not total:
            return None, lambda: None
        from tqdm import tqdm

        bar = tqdm(total=total, unit="step", desc=label, file=sys.stderr, dynamic_ncols=True, leave=False,
                   position=1 if self.outer is not None else 0)
        return _StepCallback(bar), bar.close

    def picture_done(self) -> None:
        if self.outer is not None:
            self.outer.update(1)

    def write(self, text: str) -> None:
        if self.outer is not None:
            self.outer.write(text, file=sys.stderr)
        else:
            print(text, file=sys.stderr)

    def close(self) -> None:
        if self.outer is not None:
            self.outer.close()


class _StepCallback:
    """The engines' ``callback(a, b, value)``: one step per call; ``postfix`` shows current figures."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, *args: Any) -> None:
        self.bar.update(1)

    def postfix(self, **values: Any) -> None:
        self.bar.set_postfix(values, refresh=False)


#: ``make_job(source) -> Job`` for one input
MakeJob = Callable[[Source], Any]
#: ``steps(job) -> total`` progress steps of one job (None: instant)
Steps = Callable[[Any], "int | None"]


def run_pictures(args: argparse.Namespace, command: str, make_job: MakeJob, *, steps: Steps | None = None,
                 callback_factory: Callable[[Any, str, Any], Any] | None = None,
                 requested: Callable[[Source], Any] | None = None, entries: Sequence[str] | None = None,
                 describe: Callable[[Any], str | None] | None = None) -> int:
    """Render one picture per input, write each, report each; returns the exit code.

    ``callback_factory(job, output, bar_callback)`` may wrap the progress callback
    (style transfer's monitor); ``requested(source)`` gives the parameters a
    replay repeats; ``describe(rendered)`` a line for stderr after each picture
    (what ``auto`` chose), unless ``-q`` or ``--json``.
    """
    entries = list(entries if entries is not None else args.inputs)
    if getattr(args, "json", False) and args.output == STDIO:
        raise InvalidParameterError("--json and -o -: both write to standard output; expected one of them")
    from .batch import _sigterm_as_interrupt

    with ExitStack() as stack:
        stack.enter_context(_sigterm_as_interrupt())  # SIGTERM as Ctrl-C: a .part being written goes, exit 143
        stdin_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="prisma-abu-")))
        sources = expand_sources(entries, stdin_dir)
        outputs = plan_outputs(sources, entries, args.output, command)
        tty = sys.stderr.isatty()
        bars = _Bars(not args.quiet and tty, len(sources),  # a callback_factory (style) logs its own lines
                     log=not args.quiet and not tty and callback_factory is None)
        stack.callback(bars.close)
        failures = 0
        for source, output in zip(sources, outputs):
            numbered = output not in (STDIO, args.output)  # a name we chose: taken atomically when written
            try:
                _one(args, command, source, output, make_job, steps, callback_factory, requested, bars, describe,
                     numbered)
            except PrismaAbuError as exc:
                if len(sources) == 1:
                    raise
                failures += 1
                bars.write(f"prisma-abu: error: {source.name}: {exc}")
                _report(args, command, source, None, None, 0.0, f"{type(exc).__name__}: {exc}", bars)
            bars.picture_done()
    if failures == 0:
        return EXIT_OK
    return EXIT_FAILED if failures < len(sources) else EXIT_USAGE


def _write_numbered(job, output: str, options: dict) -> tuple[Path, Any]:
    """Render, then write under ``output`` or the next free ``_N`` name, chosen atomically (concurrent runs
    into one folder each keep their picture)."""
    from ..io import WRITABLE_SUFFIXES, encode_image, write_bytes_new_name
    from ..jobs import Rendered, job_metadata, render_job

    rendered = render_job(job, callback=options["callback"])
    if options["requested"] is not None:
        rendered = Rendered(rendered.image, rendered.job, options["requested"], rendered.arithmetic)
    meta = job_metadata(rendered, output, metadata_paths=options["metadata_paths"],
                        stored_paths=options["stored_paths"])
    data = encode_image(rendered.image, WRITABLE_SUFFIXES[Path(output).suffix.lower()], metadata=meta)
    return write_bytes_new_name(output, data), rendered


def done_before(job, output: str, command: str) -> Path | None:
    """A picture beside ``output`` (``STEM_COMMAND.png`` or ``STEM_COMMAND_N.png``) whose metadata records
    ``job``: a rerun into the same folder skips it (as batches do)."""
    from ..batch import same_job
    from ..io import read_metadata

    planned = Path(output)
    base = re.sub(r"_\d+$", "", planned.stem)
    name = re.compile(re.escape(base) + r"(_\d+)?" + re.escape(planned.suffix))
    try:
        candidates = sorted(p for p in planned.parent.glob(f"{glob.escape(base)}*{planned.suffix}")
                            if name.fullmatch(p.name))
    except OSError:
        return None
    for candidate in candidates:
        try:
            if same_job(read_metadata(candidate), job, candidate):
                return candidate
        except (PrismaAbuError, OSError):
            continue
    return None


def _one(args, command, source, output, make_job, steps, callback_factory, requested, bars, describe,
         numbered=False) -> None:
    from ..jobs import check_can_write, run_job, run_job_to_bytes

    job = make_job(source)
    if numbered and hasattr(args, "force") and not args.force and source.name != STDIO and requested is None:
        there = done_before(job, output, command)
        if there is not None:
            if not args.quiet:
                bars.write(f"{Path(source.name).name}: done before: {there} (--force redoes it)")
            _report(args, command, source, str(there), None, 0.0, None, bars)
            return
    stored = {role: STDIO for role, path in job.inputs.items() if path == source.path and source.name == STDIO}
    if output != STDIO:
        check_can_write(job, output, overwrite=getattr(args, "overwrite", False))
        same = Path(output).resolve() == Path(source.path).resolve()
        if same and not getattr(args, "overwrite", False):
            raise InvalidParameterError(f"{output}: is the input picture itself; expected another output name "
                                        f"(or --overwrite)")
    callback, close = bars.steps(steps(job) if steps is not None else None, Path(source.name).name)
    if callback_factory is not None:
        callback = callback_factory(job, output, callback)
    start = time.perf_counter()
    options = {"callback": callback, "metadata_paths": getattr(args, "metadata_paths", "relative"),
               "requested": requested(source) if requested is not None else None, "stored_paths": stored}
    try:
        if output == STDIO:
            data, rendered = run_job_to_bytes(job, **options)
            write_stream(getattr(sys.stdout, "buffer", None), data)
        elif numbered:
            path, rendered = _write_numbered(job, output, options)
        else:
            path, rendered = run_job(job, output, overwrite=getattr(args, "overwrite", False),
                                     with_rendered=True, **options)
    finally:
        close()
    seconds = time.perf_counter() - start
    written = STDIO if output == STDIO else str(path)
    _report(args, command, source, written, rendered, seconds, None, bars)
    line = describe(rendered) if describe is not None and not args.quiet and not getattr(args, "json", False) \
        else None
    if line:
        bars.write(f"{Path(source.name).name}: {line}")


def _report(args, command, source, output, rendered, seconds, error, bars=None) -> None:
    """The line each picture prints on stdout: its path, or with ``--json`` a JSON object; while a bar is on
    the terminal, through tqdm (the bar is lifted, the line printed, the bar redrawn: never mid-bar)."""
    def say(line: str) -> None:
        if bars is not None and bars.outer is not None:
            from tqdm import tqdm

            tqdm.write(line, file=sys.stdout)
            sys.stdout.flush()
        else:
            print(line, flush=True)

    if getattr(args, "json", False):
        params = None if rendered is None else {"kind": rendered.job.params.kind, **rendered.job.params.to_dict()}
        say(json.dumps({
            "input": source.name, "output": output, "command": command, "status": "failed" if error else "done",
            "error": error, "seconds": round(seconds, 4), "params": params,
            "precision": None if rendered is None else rendered.arithmetic.get(
                "precision", getattr(rendered.job.params, "precision", None)),
            "device": None if rendered is None else rendered.arithmetic.get("device", "cpu"),
            "threads": None if rendered is None else rendered.arithmetic.get("threads"),
        }, sort_keys=True))
    elif output is not None and output != STDIO:
        say(output)


def iter_styles(values: Sequence[str]) -> Iterator[str]:
    """``--style a.jpg,b.jpg --style c.jpg`` -> a.jpg, b.jpg, c.jpg."""
    for value in values:
        for part in value.split(","):
            if part.strip():
                yield find_picture(part.strip())


#: the knobs a command that takes mix's parameters reads (its ``--help`` shows only these); a command not named
#: here reads all of its class's knobs. ``mask``: the mask's own knobs, the size, the device (``saliency``);
#: ``features``: the size alone. tests/cli/test_help_options.py checks the others change nothing.
COMMAND_KNOBS: dict[str, tuple[str, ...]] = {
    "mask": ("mask", "dd", "cb", "auto", "std_factor", "loop_factor", "spots_keep", "spots_drop", "all_mask",
             "size", "square", "keep_size", "device"),
    "features": ("size", "square", "keep_size"),
}


def unused_knobs(command: str, cls: type) -> tuple[str, ...]:
    """The knobs of ``cls`` that ``command`` does not read: the ``skip`` of its options."""
    import dataclasses

    used = COMMAND_KNOBS.get(command)
    return () if used is None else tuple(f.name for f in dataclasses.fields(cls) if f.name not in used)
