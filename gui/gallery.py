"""The arrow-key gallery of a batch, as in the book's style-transfer program.

Up/Down switch the photo, Left/Right switch the guide (with the batch's
other grid values: layer, enhance preset, rb_rate); the guide is shown
top-left, the photo bottom-left and the result on the right.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from pyface.array_image import ArrayImage
from traits.api import HasStrictTraits, Instance, Int, List, Property, Str, cached_property, observe
from traitsui.api import Controller

from prisma_abu.errors import PrismaAbuError

from .model import display_rgb
from .render import load_picture

__all__ = ["GalleryEntry", "GalleryModel", "GalleryController", "entries_from_report", "entries_from_folder",
           "open_gallery", "none_picture"]

#: the input roles of a mix batch (the grid values are everything else)
_ROLES = ("source", "guide")


@dataclass(frozen=True)
class GalleryEntry:
    """One picture of a batch: its inputs, its file (None if it failed) and its grid values."""

    source: str
    guide: str | None
    picture: Path | None
    values: tuple[tuple[str, str], ...] = ()
    error: str | None = None

    @property
    def style(self) -> tuple:
        """What Left/Right step through: the guide and the grid values."""
        return (self.guide, self.values)

    def caption(self) -> str:
        guide = "none" if self.guide is None else Path(self.guide).stem
        parts = [f"{Path(self.source).stem}  ×  {guide}"] + [f"{k} {v}" for k, v in self.values]
        return "   ·   ".join(parts)


def _entry(inputs: Mapping[str, Any], picture: Path | None, values: Mapping[str, Any],
           error: str | None) -> GalleryEntry:
    grid = tuple((k, "none" if v is None else str(v)) for k, v in values.items() if k not in _ROLES)
    guide = inputs.get("guide")
    return GalleryEntry(str(inputs["source"]), None if guide is None else str(guide), picture, grid, error)


def entries_from_report(report: Any) -> list[GalleryEntry]:
    """Entries of a :class:`prisma_abu.batch.BatchReport`, in batch order."""
    entries = []
    for result in report.results:
        item = result.item
        picture = None if result.status == "failed" else Path(report.folder) / item.output
        entries.append(_entry(item.job.inputs, picture, item.values, result.error))
    return entries


def entries_from_folder(folder: str | os.PathLike, outputs: Iterable[str] | None = None) -> list[GalleryEntry]:
    """Entries of a batch folder's manifest (only ``outputs`` if given)."""
    from prisma_abu.batch import read_manifest

    wanted = None if outputs is None else set(outputs)
    entries = []
    for row in read_manifest(folder):
        if wanted is not None and row["output"] not in wanted:
            continue
        picture = None if row.get("status") == "failed" else Path(folder) / row["output"]
        entries.append(_entry(row.get("inputs") or {}, picture, row.get("values") or {}, row.get("error")))
    return entries


class GalleryModel(HasStrictTraits):
    """The batch's pictures on a grid: photos (rows) × guides with their grid values (columns)."""

    entries = List(Instance(GalleryEntry))
    source_index = Int(0)
    style_index = Int(0)

    sources = Property(List(Str), observe="entries")
    styles = Property(List, observe="entries")
    current = Property(Instance(GalleryEntry), observe="entries,source_index,style_index")

    @cached_property
    def _get_sources(self) -> list[str]:
        return list(dict.fromkeys(e.source for e in self.entries))

    @cached_property
    def _get_styles(self) -> list[tuple]:
        return list(dict.fromkeys(e.style for e in self.entries))

    @cached_property
    def _get_current(self) -> GalleryEntry | None:
        if not self.entries:
            return None
        source, style = self.sources[self.source_index], self.styles[self.style_index]
        return next((e for e in self.entries if e.source == source and e.style == style), None)

    def step_source(self, step: int) -> None:
        if self.sources:
            self.source_index = (self.source_index + step) % len(self.sources)

    def step_style(self, step: int) -> None:
        if self.styles:
            self.style_index = (self.style_index + step) % len(self.styles)


def _picture(path: str | os.PathLike | None) -> ArrayImage | None:
    return None if path is None else ArrayImage(data=display_rgb(load_picture(path)))


def none_picture(size: int = 160):
    """A grey square saying "none" (the guide panel of a no-guide entry)."""
    import numpy as np
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), (96, 96, 96))
    draw = ImageDraw.Draw(image)
    draw.text((size // 2, size // 2), "none", fill=(235, 235, 235), anchor="mm", font_size=size // 5)
    return ArrayImage(data=np.ascontiguousarray(np.asarray(image)))


class GalleryController(Controller):
    """Loads the pictures of the current entry; the arrow keys call the ``next_*``/``previous_*`` methods."""

    model = Instance(GalleryModel, ())

    def default_traits_view(self):
        from .views import gallery_view

        return gallery_view

    guide_picture = Instance(ArrayImage)
    source_picture = Instance(ArrayImage)
    result_picture = Instance(ArrayImage)
    caption = Str()
    message = Str()

    # -- what the key bindings call (see views.gallery_keys) --
    def next_source(self, info: Any = None) -> None:
        self.model.step_source(1)

    def previous_source(self, info: Any = None) -> None:
        self.model.step_source(-1)

    def next_guide(self, info: Any = None) -> None:
        self.model.step_style(1)

    def previous_guide(self, info: Any = None) -> None:
        self.model.step_style(-1)

    @observe("model.current", post_init=False)
    def _show(self, event=None) -> None:
        entry = self.model.current
        where = (f"photo {self.model.source_index + 1}/{len(self.model.sources)}, "
                 f"guide {self.model.style_index + 1}/{len(self.model.styles)}")
        if entry is None:
            self.trait_set(guide_picture=None, source_picture=None, result_picture=None,
                           caption="no picture here" if self.model.entries else "no pictures",
                           message="↑/↓ photo   ←/→ guide")
            return
        self.caption = entry.caption()
        problems = []
        pictures = {}
        for name, path in (("source_picture", entry.source), ("guide_picture", entry.guide),
                           ("result_picture", entry.picture)):
            try:
                pictures[name] = _picture(path)
            except PrismaAbuError as exc:
                pictures[name] = None
                problems.append(str(exc))
        if entry.guide is None:
            pictures["guide_picture"] = none_picture()
        self.trait_set(**pictures)
        if entry.picture is None:
            problems.insert(0, f"failed: {entry.error or 'no picture'}")
        self.message = "   ".join([where, "↑/↓ photo   ←/→ guide", *problems])


def open_gallery(entries: Sequence[GalleryEntry], *, parent: Any = None, kind: str = "live") -> GalleryController:
    """Open the gallery window on ``entries``."""
    from .views import gallery_view

    controller = GalleryController(model=GalleryModel(entries=list(entries)))
    controller.edit_traits(view=gallery_view, kind=kind, parent=parent)
    return controller
