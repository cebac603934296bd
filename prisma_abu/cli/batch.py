"""``prisma-abu batch``: an experiment file and/or options -> one batch run -> exit code.

Exit codes: 0 every picture done or already there, 1 some failed (see the
summary and the manifest), 2 bad input (nothing rendered).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import typing
from pathlib import Path
from typing import Any

from ..data import find_picture
from ..errors import InvalidParameterError

__all__ = ["register", "run", "experiment_from_args"]

EXIT_OK, EXIT_FAILED = 0, 1
_DRY_RUN_ROWS = 10
_SHORTCUTS = ("layer", "enhance", "rb_rate", "mask")
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")

_EPILOG = """\
examples:
  prisma-abu batch docs/experiment.toml --dry-run
  prisma-abu batch --source sample/chelsea.jpg sample/coffee.jpg --guide prisma_gd none \\
      --layer blocks.1,blocks.2 --enhance none,Sharpness --set size=320 -o out/batch --jobs 2
  prisma-abu batch docs/experiment.toml --backend dask --scheduler tcp://10.0.0.5:8786

Pictures go to OUT/<date>/<source>/<guide or none_gd>/_<enhance>_<layer>_<rb_rate>_<mask>.png,
with manifest.jsonl, contact_sheet.png and index.html beside them. <date> is today unless
--date says otherwise; a rerun with the same date skips the pictures already there
(--date latest resumes the newest batch under OUT). Options override the experiment file.
"""


def register(subparsers: Any) -> None:
    """Add the ``batch`` sub-command."""
    from ..batch import BACKENDS, MAX_PICTURES

    p = subparsers.add_parser(
        "batch", help="render a grid of parameters (sources x guides x layers x ...) into a folder",
        description="Render every combination of inputs and grid values; resumable, parallel.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", nargs="?", help="experiment file (.toml; see docs/experiment.toml)")
    p.add_argument("--command", help="what to render: mix (default), dream, or style (contents x styles)")
    p.add_argument("--source", dest="sources", nargs="+", action="extend", metavar="F", type=find_picture,
                   help="source pictures, folders or globs (dream: the images; style: the contents)")
    p.add_argument("--guide", dest="guides", nargs="+", action="extend", metavar="G", type=find_picture,
                   help="guide pictures, folders, globs or 'none' (a plain dream); style: the styles")
    for name in _SHORTCUTS:
        p.add_argument("--" + name.replace("_", "-"), dest=f"axis_{name}", metavar="V,...",
                       help=f"{name} values, comma separated (same as --set {name}=V,...)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="FIELD=V1,V2",
                   help="any parameter field as a comma list (one value: fixed)")
    p.add_argument("--device", metavar="DEVICE",
                   help="where the networks run (same as --set device=DEVICE): auto (default; with several GPUs "
                        "one worker per GPU), cpu, cuda, cuda:N or mps")
    p.add_argument("-o", "--output", "--out", dest="out", metavar="DIR", help="output folder (pictures go to OUT/<date>/<command>-<digest>/, one folder per batch)")
    p.add_argument("--ext", help="picture format: png (default), jpg, webp, tif")
    p.add_argument("--jobs", type=int, help="worker processes (loky, default 1) or tasks at once (dask)")
    p.add_argument("--backend", choices=BACKENDS, help="loky (default, this machine) or dask (a cluster)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="Dask scheduler (default: a local cluster)")
    p.add_argument("--date", help="today (default), latest, YYYY-MM-DD or YYYY_MM_DD")
    p.add_argument("--force", action="store_true", help="render every picture again, even those there")
    p.add_argument("--dry-run", action="store_true",
                   help="print the count, the first pictures and an estimate of the time (one picture rendered "
                        "in memory); write nothing")
    p.add_argument("--no-estimate", action="store_true", help="with --dry-run: no estimate (it reads earlier manifests under OUT; nothing is rendered either way)")
    p.add_argument("--max-pictures", type=int, default=MAX_PICTURES, metavar="N",
                   help=f"refuse a grid of more pictures than this (default {MAX_PICTURES:,})")
    p.add_argument("--json", action="store_true", help="print one JSON object per picture (its manifest row, "
                                                       "the output's full path) and a last one with the totals")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


# --- options -> experiment -----------------------------------------------------------------------

def _convert(name: str, hint: Any, text: str) -> Any:
    args = typing.get_args(hint)
    base = next((a for a in args if a is not type(None)), hint) if type(None) in args else hint
    if text.strip().lower() == "none" and (type(None) in args or hint is None):
        return None
    try:
        if base is bool:
            low = text.strip().lower()
            if low not in _TRUE + _FALSE:
                raise ValueError(text)
            return low in _TRUE
        if base in (int, float):
            return base(text)
    except ValueError:
        raise InvalidParameterError(f"{name}: expected {base.__name__} values, got {text!r}") from None
    if typing.get_origin(base) is tuple:
        raise InvalidParameterError(f"{name}: a tuple field; expected it in the experiment file's [grid]")
    return text.strip()


def _values(kind: Any, name: str, text: str) -> list[Any]:
    """``"1.0,0.88"`` -> ``[1.0, 0.88]``, typed by the field."""
    name = kind.params_cls.aliases().get(name, name)
    if name not in kind.fields():
        raise InvalidParameterError(
            f"unknown field {name} for {kind.command}; expected some of: {', '.join(kind.fields())}")
    hint = typing.get_type_hints(kind.params_cls).get(name)
    parts = [t for t in text.split(",") if t.strip()]
    if not parts:
        raise InvalidParameterError(f"{name}: expected values separated by commas, got {text!r}")
    return [_convert(name, hint, t) for t in parts]


def _axes(args: argparse.Namespace) -> list[tuple[str, str]]:
    axes = [(name, getattr(args, f"axis_{name}")) for name in _SHORTCUTS
            if getattr(args, f"axis_{name}") is not None]
    for text in args.sets:
        name, sep, values = text.partition("=")
        if not sep or not name.strip():
            raise InvalidParameterError(f"--set: expected FIELD=V1,V2,..., got {text!r}")
        if "=" in values:
            pairs = " ".join(f"--set {part.strip()}" for part in text.split(",") if part.strip())
            raise InvalidParameterError(f"--set {text}: one field per --set; expected {pairs}")
        axes.append((name.strip().replace("-", "_"), values))
    device = getattr(args, "device", None)
    if device is not None:
        if "," in device:
            raise InvalidParameterError(f"--device: expected one device, got {device!r}")
        axes.append(("device", device))
    return axes


def _absolute(entry: str) -> str:
    return entry if entry.strip().lower() == "none" else os.path.abspath(os.path.expanduser(entry))


def experiment_from_args(args: argparse.Namespace):
    """The :class:`~prisma_abu.batch.Experiment` the file and the options describe."""
    from ..batch import experiment_from_dict, job_kind, read_experiment_file

    data: dict[str, Any] = {"batch": {}, "params": {}, "grid": {}}
    base_dir = Path.cwd()
    if args.experiment:
        data.update(read_experiment_file(args.experiment))
        data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
        base_dir = Path(args.experiment).resolve().parent
    batch = data.setdefault("batch", {})
    if isinstance(batch, dict):
        kind = job_kind(args.command or batch.get("command", "mix"))
        from ..batch import role_key
        for key in ("command", "ext", "jobs", "backend", "scheduler", "date"):
            if getattr(args, key) is not None:
                batch[key] = getattr(args, key)
        if args.out is not None:
            batch["out"] = _absolute(args.out)
        if args.sources:
            batch[role_key(kind.roles[0])] = [_absolute(e) for e in args.sources]
        if args.guides:
            batch[role_key(kind.roles[1])] = [_absolute(e) for e in args.guides]
        if "out" not in batch:
            raise InvalidParameterError("no output folder: expected -o OUT or out = \"...\" in [batch]")
        aliases = kind.params_cls.aliases()
        for name, text in _axes(args):
            values = _values(kind, name, text)
            name = aliases.get(name, name)
            params, grid = data.setdefault("params", {}), data.setdefault("grid", {})
            for table in (params, grid):
                if isinstance(table, dict):
                    for key in [k for k in table if aliases.get(k, k) == name]:
                        table.pop(key)
            target = params if len(values) == 1 else grid
            if isinstance(target, dict):
                target[name] = values[0] if len(values) == 1 else values
    return experiment_from_dict(data, base_dir=base_dir)


# --- running ---------------------------------------------------------------------------------------

def _shape(items: list, experiment: Any, count: int) -> str:
    """``2 source x 3 guide x 2 layer``: the number of values per axis."""
    from ..batch import expand_inputs, job_kind

    kind = job_kind(experiment.command)
    counts = []
    for role in kind.roles:
        entries = experiment.inputs.get(role, (None,) if role in kind.optional_roles else ())
        counts.append((role, len(expand_inputs(entries, role=role, optional=role in kind.optional_roles))))
    counts += [(name, len(values)) for name, values in experiment.grid.items()]
    return " x ".join(f"{c} {n}" for n, c in counts if c > 1) or "1 combination"


def _dry_run(experiment: Any, folder: Path, force: bool, estimate: bool, max_pictures: int) -> int:
    """The count (from the axes, nothing built), the first pictures, then an estimate from recorded times:
    nothing rendered, nothing written."""
    import itertools

    from ..batch import count_pictures, iter_items

    count = count_pictures(experiment)
    first = list(itertools.islice(iter_items(experiment), _DRY_RUN_ROWS))
    there = [(folder / i.output).exists() for i in first]
    limit = f" (more than {max_pictures:,}: refused without --max-pictures {count})" if count > max_pictures else ""
    print(f"{count:,} pictures in {folder}{limit}: {_shape(first, experiment, count)}", flush=True)
    for item, exists in zip(first, there):
        print(f"  {item.output}{'  [there: rendered again with --force]' if exists and force else ''}"
              f"{'  [there]' if exists and not force else ''}")
    if count > len(first):
        print(f"  ... and {count - len(first):,} more")
    if estimate and first:
        print(_estimate(experiment, count), flush=True)
    return EXIT_OK


def _estimate(experiment: Any, count: int) -> str:
    """From the seconds earlier batches of this command recorded under OUT (median), times the count, over
    the workers: nothing is rendered, so a dry run takes seconds."""
    import statistics

    from ..batch import recorded_seconds

    jobs = experiment.jobs or 1
    seconds = recorded_seconds(experiment.out, experiment.command)
    if not seconds:
        return (f"estimate: none yet (no earlier {experiment.command} batch recorded under {experiment.out}; "
                f"the manifest of a first run gives one)")
    median = statistics.median(seconds)
    return (f"estimate: about {_duration(median * count / jobs)} for all ({median:.2f} s a picture, the median of "
            f"{len(seconds)} recorded under {experiment.out}; {jobs} worker{'s' if jobs > 1 else ''})")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


class _Bar:
    """The tqdm bar (with ETA) on stderr, fed by the engine's progress callback."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.bar = quiet, None

    def __call__(self, rendered: int, total: int, result: Any) -> None:
        if result is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="pic", file=sys.stderr, disable=self.quiet or not total,
                            dynamic_ncols=True, leave=False)  # the summary line follows
            return
        self.bar.update(1)
        if result.status == "failed" and not self.quiet:
            self.bar.write(f"failed: {result.item.output}: {result.error}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _summary(report: Any) -> None:
    print(f"batch {report.folder}: {len(report.done)} done, {len(report.skipped)} skipped, "
          f"{len(report.failed)} failed in {report.seconds:.1f} s")
    for result in report.failed:
        print(f"  failed: {result.item.output}: {result.error}")
    for sheet in report.sheets:
        print(f"contact sheet: {sheet}")
    if report.index is not None:
        print(f"gallery: {report.index}")


def run(args: argparse.Namespace) -> int:
    """``prisma-abu batch``; PrismaAbuError (bad input) is left to ``main`` (exit 2)."""
    from ..batch import expand

    experiment = experiment_from_args(args)
    _check_devices(experiment)
    date = experiment.resolve_date()
    folder = Path(experiment.out) / date / experiment.batch_name()
    if args.dry_run:
        return _dry_run(experiment, folder, args.force, not args.no_estimate, args.max_pictures)
    items = expand(experiment, max_pictures=args.max_pictures)
    with _sigterm_as_interrupt():
        return _render(args, experiment, items, folder, date)


def _check_devices(experiment) -> None:
    """A device the batch names that this machine lacks is refused before anything is written.

    On a Dask cluster the workers' own devices count, so nothing is checked here.
    """
    if experiment.backend == "dask":
        return
    from ..pipeline.models import resolve_device

    named = [experiment.params.get("device"), *experiment.grid.get("device", ())]
    for device in dict.fromkeys(d for d in named if isinstance(d, str)):
        resolve_device(device)


class Terminated(KeyboardInterrupt):
    """SIGTERM (timeout, systemd, docker), handled as Ctrl-C: workers stopped, nothing left running."""

    exit_code = 143


@contextlib.contextmanager
def _sigterm_as_interrupt():
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _render(args: argparse.Namespace, experiment: Any, items: list, folder: Path, date: str) -> int:
    from ..batch import run_batch

    bar = _Bar(args.quiet)
    try:
        report = run_batch(items, folder, jobs=experiment.jobs, backend=experiment.backend,
                           scheduler=experiment.scheduler, force=args.force, progress=bar, date=date)
    finally:
        bar.close()
    if args.json:
        _json_summary(report, date)
    else:
        _summary(report)
    return EXIT_OK if report.ok else EXIT_FAILED


def _json_summary(report: Any, date: str) -> None:
    import json

    for result in report.results:
        print(json.dumps({**result.row(date), "output": str(report.folder / result.item.output)},
                         sort_keys=True, default=str))
    print(json.dumps({"folder": str(report.folder), "done": len(report.done), "skipped": len(report.skipped),
                      "failed": len(report.failed), "seconds": round(report.seconds, 3),
                      "sheets": [str(s) for s in report.sheets],
                      "index": None if report.index is None else str(report.index)}, sort_keys=True))
