"""The feed-forward model viewer of seed 000: ↑/↓ switch the photo, ←/→ the style model.

The style picture is top-left (a model without one shows a swatch: its style
on a neutral pattern, with its name), the photo bottom-left, the painting on
the right. Paintings are made off the UI thread at ``size`` px, kept in a
cache, and the four neighbours of the current one are made next, so the
arrows feel instant once the viewer has warmed up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from pyface.api import GUI
from pyface.array_image import ArrayImage
from traits.api import Bool, HasStrictTraits, Instance, Int, List, Str, observe
from traitsui.api import Controller, HGroup, ImageEditor, UItem, VGroup, View
from traitsui.key_bindings import KeyBinding, KeyBindings

from prisma_abu.errors import PrismaAbuError

from .messages import error_text
from .model import display_rgb

__all__ = ["ViewerModel", "ViewerController", "ModelEntry", "default_models", "open_viewer", "viewer_view",
           "viewer_main"]

#: results kept (photo, model) -> painting
CACHE_SIZE = 96


@dataclass(frozen=True)
class ModelEntry:
    """One style model: its spec (``multistyle26:7``, ``arbitrary``, a file), a label, a style picture."""

    spec: str
    label: str
    style_image: str | None = None
    model_file: str | None = None


def default_models(models_dir: str | None = None, guides: Sequence[str] = ()) -> list[ModelEntry]:
    """The 26 built-in styles, the model files of ``models_dir`` (or the model folder), and ``arbitrary`` with
    each of ``guides`` as its style picture."""
    from prisma_abu.pipeline.stylize import model_files

    entries = [ModelEntry(f"multistyle26:{i}", f"multistyle26:{i}") for i in range(26)]
    files = _files_in(models_dir) if models_dir is not None else [p for p, _, _ in model_files()]
    entries += [ModelEntry(Path(p).name, Path(p).name, model_file=p) for p in files]
    entries += [ModelEntry("arbitrary", f"arbitrary: {Path(g).stem}", style_image=str(g)) for g in guides]
    return entries


def _files_in(folder: str) -> list[str]:
    suffixes = (".pth", ".model", ".t7", ".onnx")
    return sorted(str(p) for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in suffixes)


def _swatch(size: int) -> np.ndarray:
    """A neutral pattern (grey ramps and a disc) a style is shown on when the model has no style picture."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    picture = np.stack([200 * xx + 30, 160 * yy + 50, 120 + 80 * (1 - xx)], axis=2)
    picture[((yy - 0.5) ** 2 + (xx - 0.5) ** 2) < 0.06] = (230, 210, 190)
    return picture


class ViewerModel(HasStrictTraits):
    """Photos × models; which pair is shown."""

    photos = List(Str)
    models = List(Instance(ModelEntry))
    photo_index = Int(0)
    model_index = Int(0)
    size = Int(512)
    busy = Bool(False)
    status = Str()
    error = Str()

    def current(self) -> tuple[int, int]:
        return self.photo_index, self.model_index

    def step_photo(self, step: int) -> None:
        if self.photos:
            self.photo_index = (self.photo_index + step) % len(self.photos)

    def step_model(self, step: int) -> None:
        if self.models:
            self.model_index = (self.model_index + step) % len(self.models)


class ViewerController(Controller):
    """Paints off the UI thread, caches, prefetches the neighbours; the arrow keys call ``next_*``/``previous_*``."""

    model = Instance(ViewerModel, ())
    style_picture = Instance(ArrayImage)
    photo_picture = Instance(ArrayImage)
    result_picture = Instance(ArrayImage)
    caption = Str()
    shown = Int(0)  # paintings shown so far (tests wait on it)
    hits = Int(0)  # of them, shown from the cache at once

    def __init__(self, *args: Any, paint: Callable[[np.ndarray, ModelEntry], np.ndarray] | None = None,
                 **traits: Any) -> None:
        # the cache and the worker exist before the model is set (setting it shows the first pair)
        self._paint_fn = paint or _paint
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._photos: dict[int, np.ndarray] = {}
        self._pending: dict[tuple[int, int], Future] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prisma-viewer")
        self._closed = False
        super().__init__(*args, **traits)

    def default_traits_view(self):
        return viewer_view

    # -- the keys --
    def next_photo(self, info: Any = None) -> None:
        self.model.step_photo(1)

    def previous_photo(self, info: Any = None) -> None:
        self.model.step_photo(-1)

    def next_model(self, info: Any = None) -> None:
        self.model.step_model(1)

    def previous_model(self, info: Any = None) -> None:
        self.model.step_model(-1)

    # -- pictures --
    def photo(self, index: int) -> np.ndarray:
        """The photo at the viewer's size (read once)."""
        from prisma_abu.api import as_picture
        from prisma_abu.pipeline import check_rgb as check

        with self._lock:
            if index not in self._photos:
                from PIL import Image

                picture = Image.fromarray(np.uint8(check(as_picture(self.model.photos[index]))))
                picture.thumbnail((self.model.size, self.model.size), Image.Resampling.LANCZOS)
                self._photos[index] = np.asarray(picture, dtype=np.float32)
            return self._photos[index]

    def cached(self, key: tuple[int, int]) -> np.ndarray | None:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        return None

    def _make(self, key: tuple[int, int]) -> np.ndarray:
        found = self.cached(key)
        if found is not None:
            return found
        entry = self.model.models[key[1]]
        if entry.style_image is None and self.cached((-1, key[1])) is None:
            swatch = self._paint_fn(_swatch(160), entry)  # the model's style on a neutral pattern, for top-left
            with self._lock:
                self._cache[(-1, key[1])] = swatch
        painting = self._paint_fn(self.photo(key[0]), entry)
        with self._lock:
            self._cache[key] = painting
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return painting

    def _submit(self, key: tuple[int, int]) -> Future:
        with self._lock:
            future = self._pending.get(key)
            if future is None or future.done():
                future = self._pool.submit(self._make, key)
                self._pending[key] = future
        return future

    def _neighbours(self, key: tuple[int, int]) -> list[tuple[int, int]]:
        p, m = key
        n_p, n_m = len(self.model.photos), len(self.model.models)
        around = [(p, (m + 1) % n_m), (p, (m - 1) % n_m), ((p + 1) % n_p, m), ((p - 1) % n_p, m)]
        return [k for k in dict.fromkeys(around) if k != key]

    @observe("model.photo_index,model.model_index", post_init=True)
    def _show(self, event=None) -> None:
        m = self.model
        if not m.photos or not m.models:
            self.caption = "no photos" if not m.photos else "no models"
            return
        key = m.current()
        entry = m.models[key[1]]
        self.caption = (f"{Path(m.photos[key[0]]).name}  ×  {entry.label}   (photo {key[0] + 1}/{len(m.photos)}, "
                        f"model {key[1] + 1}/{len(m.models)}; ↑/↓ photo, ←/→ model)")
        try:
            self.photo_picture = ArrayImage(data=display_rgb(self.photo(key[0])))
            self.style_picture = ArrayImage(data=display_rgb(self._style_picture(entry)))
        except PrismaAbuError as exc:
            m.error = error_text(exc)
            return
        ready = self.cached(key)
        if ready is not None:
            self.hits += 1
            self._display(key, ready)
            return
        m.trait_set(busy=True, status=f"painting {entry.label}...")
        self._submit(key).add_done_callback(lambda f, key=key: GUI.invoke_later(self._finished, key, f))

    def _style_picture(self, entry: ModelEntry) -> np.ndarray:
        """The painting a model takes, or its swatch once the worker has painted it (the bare pattern until then)."""
        if entry.style_image is not None:
            from prisma_abu.api import as_picture

            return as_picture(entry.style_image)
        swatch = self.cached((-1, self.model.models.index(entry)))
        return _swatch(160) if swatch is None else swatch

    def _finished(self, key: tuple[int, int], future: Future) -> None:
        if self._closed or key != self.model.current():
            return  # the user moved on: this one stays in the cache
        try:
            painting = future.result()
        except Exception as exc:  # a broken model file: said in the window, the others still work
            self.model.trait_set(busy=False, error=error_text(exc), status="")
            return
        self._display(key, painting)

    def _display(self, key: tuple[int, int], painting: np.ndarray) -> None:
        self.result_picture = ArrayImage(data=display_rgb(painting))
        self.style_picture = ArrayImage(data=display_rgb(self._style_picture(self.model.models[key[1]])))
        self.model.trait_set(busy=False, error="", status=f"{len(self._cache)} paintings cached")
        self.shown += 1
        for neighbour in self._neighbours(key):
            if not self._closed and self.cached(neighbour) is None:
                self._submit(neighbour)

    def shutdown(self) -> None:
        """Stop painting: what is queued is dropped, what runs finishes; results arriving later are ignored."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


def _paint(photo: np.ndarray, entry: ModelEntry) -> np.ndarray:
    from prisma_abu.api import as_picture
    from prisma_abu.params import StylizeParams
    from prisma_abu.pipeline import stylize

    style = None if entry.style_image is None else as_picture(entry.style_image)
    return stylize(photo, StylizeParams(model=entry.spec), style_image=style, model_file=entry.model_file)


viewer_keys = KeyBindings(
    KeyBinding(binding1="Down", method_name="next_photo", description="next photo"),
    KeyBinding(binding1="Up", method_name="previous_photo", description="previous photo"),
    KeyBinding(binding1="Right", method_name="next_model", description="next model"),
    KeyBinding(binding1="Left", method_name="previous_model", description="previous model"),
)


def _pane(name: str, label: str, size: int) -> VGroup:
    editor = ImageEditor(scale=True, preserve_aspect_ratio=True, allow_upscaling=True, allow_clipping=True)
    return VGroup(UItem(f"controller.{name}", editor=editor, width=size, height=size, springy=True, resizable=True),
                  label=label, show_border=True, springy=True)


viewer_view = View(
    VGroup(
        UItem("controller.caption", style="readonly"),
        HGroup(VGroup(_pane("style_picture", "Style", 220), _pane("photo_picture", "Photo", 220)),
               _pane("result_picture", "Painting", 520)),
        HGroup(UItem("object.status", style="readonly", springy=True),
               UItem("object.error", style="readonly", style_sheet="color: #b00020; font-weight: bold;")),
    ),
    key_bindings=viewer_keys,
    title="prisma_abu — model viewer (↑/↓ photo, ←/→ model)",
    resizable=True,
    width=1000,
    height=720,
)


def open_viewer(photos: Sequence[str], models: Sequence[ModelEntry], *, size: int = 512, kind: str = "live",
                paint: Callable[[np.ndarray, ModelEntry], np.ndarray] | None = None) -> ViewerController:
    """Open the viewer window on ``photos`` × ``models``."""
    controller = ViewerController(model=ViewerModel(photos=list(photos), models=list(models), size=size),
                                  paint=paint)
    controller.edit_traits(view=viewer_view, kind=kind)
    return controller


def viewer_main(argv: Sequence[str] | None = None) -> int:
    """``prisma-abu viewer``: open the viewer and run until it closes; returns the exit code."""
    import argparse
    import sys

    from prisma_abu.data import guide_images, sample_images

    from .app import display_problem

    parser = argparse.ArgumentParser(prog="prisma-abu viewer")
    parser.add_argument("--photos", action="append")
    parser.add_argument("--models")
    parser.add_argument("--guides", action="append")
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args(argv)
    problem = display_problem()
    if problem is not None:
        print(f"prisma-abu viewer: error: {problem}", file=sys.stderr)
        return 2
    photos = _pictures(args.photos) if args.photos else [str(p) for p in sample_images()]
    guides = _pictures(args.guides) if args.guides else [str(p) for p in guide_images()]
    if not photos:
        print("prisma-abu viewer: error: no photos; expected --photos PHOTO|DIR", file=sys.stderr)
        return 2
    controller = ViewerController(model=ViewerModel(photos=photos, models=default_models(args.models, guides),
                                                    size=args.size))
    controller.configure_traits(view=viewer_view)
    controller.shutdown()
    return 0


def _pictures(entries: Sequence[str]) -> list[str]:
    from prisma_abu.data import IMAGE_SUFFIXES

    out: list[str] = []
    for entry in entries:
        path = Path(entry)
        if path.is_dir():
            out += sorted(str(p) for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            out.append(str(path))
    return out
