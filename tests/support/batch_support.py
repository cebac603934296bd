"""What the batch tests share: the bundled pictures, tiny network-free parameters, an experiment maker."""

from __future__ import annotations

from pathlib import Path

from prisma_abu.batch import Experiment
from prisma_abu.data import guide_path, sample_path

ROOT = Path(__file__).resolve().parents[2]
CAT, COFFEE = str(sample_path("chelsea")), str(sample_path("coffee"))
SWIRL, BRICK = str(guide_path("swirl")), str(guide_path("brick"))
#: tiny and network-free unless a test asks for a layer
FAST = {"base_width": 48, "n3": 1, "layer": None}
DATE = "2024-05-01"


def _experiment(tmp_path, *, sources=(CAT,), guides=(SWIRL,), params=None, grid=None, **kw) -> Experiment:
    """FAST parameters, except those the grid varies."""
    grid = grid or {}
    fixed = {k: v for k, v in {**FAST, **(params or {})}.items() if k not in grid or k in (params or {})}
    return Experiment(inputs={"source": list(sources), "guide": list(guides)}, out=tmp_path / "out",
                      params=fixed, grid=grid, **{"date": DATE, **kw})


def _outputs(items) -> list[str]:
    return [item.output for item in items]


def _pictures(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.png") if not p.name.startswith("contact_sheet"))


def cli_batch_folder(argv) -> Path:
    """The folder ``prisma-abu batch ARGV`` writes into (``OUT/<date>/<command>-<digest>``)."""
    from prisma_abu.cli import build_parser
    from prisma_abu.cli.batch import experiment_from_args

    return experiment_from_args(build_parser().parse_args(argv)).folder()
