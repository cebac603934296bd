"""The verbs for scripts: ``dream``, ``mix``, ``style`` on a path, a PIL image or an array.

>>> import prisma_abu
>>> painted = prisma_abu.mix("sample/chelsea.jpg", "prisma_gd/swirl.jpg", n3=1)   # doctest: +SKIP
>>> painted.image.shape, painted.mask.shape                                      # doctest: +SKIP
((480, 480, 3), (480, 480))

Each verb takes its parameter object (``params=``) and/or its knobs by name
(``n3=1``, ``size=320``; the old spellings too), reads what it is given, and
renders it as the command line does (:func:`prisma_abu.jobs.render_job`).
``dream``, ``style`` and ``stylize`` return a :class:`Painting`: an (M, N, 3)
uint8 array (anything that takes an array takes it) that a notebook shows as
a picture, with a short ``repr`` and ``save(path)``, which writes the
parameters ``prisma-abu replay`` reads. ``mix`` returns a :class:`MixPainting`:
a :class:`~prisma_abu.pipeline.MixResult` (``.image``, a Painting, and
``.mask``...) that shows and saves the same way. Anything that is not a
picture raises :class:`~prisma_abu.errors.InvalidImageError`.

Without a ``callback`` of your own, a run that lasts writes where it stands on
stderr every few seconds (``dream: step 40/120``, the command line's lines
in a log); pass ``callback=`` to follow it yourself instead.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any, Callable, Sequence, Union

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

from .errors import InvalidImageError
from .io import check_picture_size, read_image
from .jobs import Job, Rendered, render_job, render_mix_job
from .params import DreamParams, MixParams, Params, StyleParams, StylizeParams
from .paintings import IN_MEMORY, MixPainting, Painting
from .pipeline import MixResult

__all__ = ["dream", "mix", "style", "stylize", "as_picture", "Painting", "MixPainting", "Picture", "IN_MEMORY"]

#: what the verbs read: a path, a bundled picture's name (``"chelsea"``), a PIL image or an (M, N, 3) array
Picture = Union[str, "os.PathLike[str]", "Image.Image", np.ndarray]


def as_picture(picture: Picture, name: str = "picture") -> np.ndarray:
    """``picture`` as an (M, N, 3) float32 RGB array in 0..255.

    A path is read (:func:`prisma_abu.io.read_image`; a bundled picture by name too, ``"chelsea"``,
    ``"swirl"``: :func:`prisma_abu.data.find_picture`); a PIL image is
    converted to RGB; an array must be (M, N, 3) and finite. Each passes the
    reader's bomb guard (:func:`prisma_abu.io.check_picture_size`): no strip
    over 1000:1, no side over 65500 pixels.

    Raises
    ------
    InvalidImageError
        A list, a 1-D or 4-D array, NaN, a dtype that is not a number, a missing file, a strip...
    """
    if isinstance(picture, (str, os.PathLike)):
        from .data import find_picture

        return read_image(find_picture(picture) if isinstance(picture, str) else picture)
    if hasattr(picture, "convert") and hasattr(picture, "size"):  # a PIL image: EXIF-rotated, as a path is
        from PIL import ImageOps

        check_picture_size(name, *picture.size)
        return np.asarray(ImageOps.exif_transpose(picture).convert("RGB"), dtype=np.float32)
    if not isinstance(picture, np.ndarray):
        raise InvalidImageError(f"{name}: expected a path, a PIL image or an (M, N, 3) array, "
                                f"got {type(picture).__name__}")
    from .pipeline import check_rgb

    array = check_rgb(picture, name)
    check_picture_size(name, array.shape[1], array.shape[0])
    return array


def _callback(callback: Any, label: str, total: int | None) -> Any:
    """The user's callback, checked; without one, :class:`~prisma_abu.pipeline.progress.LogSteps`'s lines."""
    if callback is not None and not callable(callback):
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"callback: expected a function or None, got {type(callback).__name__}")
    if callback is None:
        from .pipeline.progress import LogSteps

        return LogSteps(label, total)
    return callback


def _mask(mask: Any) -> Any:
    if mask is None or isinstance(mask, np.ndarray):
        return mask
    from .errors import InvalidParameterError

    raise InvalidParameterError(f"mask: expected an (M, N) array or a mask knob string, got {type(mask).__name__}")


def _params(cls: type[Params], params: Params | None, knobs: dict[str, Any]) -> Any:
    given = getattr(cls, "given", None)  # MixParams: a mask knob given turns auto off, as on the command line
    if given is not None and knobs:
        knobs = given(knobs)
    if params is None:
        return cls.from_dict(knobs)
    if not isinstance(params, cls):
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"params: expected {cls.__name__}, got {type(params).__name__}")
    return params.replace(**knobs) if knobs else params


#: the path a picture given as an array or a PIL image is stored under in a saved picture's metadata (replay
@dataclasses.dataclass(frozen=True)
class _GivenJob(Job):
    """A job some of whose inputs are pictures in memory (an array, a PIL image) rather than files."""

    pictures: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def input_image(self, role: str) -> np.ndarray | None:
        return self.pictures[role] if role in self.pictures else super().input_image(role)

    def with_params(self, params: Params) -> Job:
        return dataclasses.replace(self, params=params)


def _job(command: str, params: Params, pictures: dict[str, tuple[Any, str]],
         files: dict[str, str | None] | None = None) -> Job:
    """``command`` on ``pictures`` (role -> (a path, a bundled name, a PIL image or an array; its name)): paths
    are the job's files as on the command line, the others read now (as_picture) and kept in memory."""
    from .data import find_picture

    inputs: dict[str, str | None] = dict(files or {})
    given: dict[str, np.ndarray] = {}
    for role, (picture, name) in pictures.items():
        if picture is None:
            inputs[role] = None  # as the command line stores an input not given
        elif isinstance(picture, (str, os.PathLike)):
            inputs[role] = find_picture(picture) if isinstance(picture, str) else os.fspath(picture)
        else:
            given[role], inputs[role] = as_picture(picture, name), IN_MEMORY
    return _GivenJob(command, params, inputs, given) if given else Job(command, params, inputs)


def _painting(rendered: Rendered, job: Job) -> Painting:
    return Painting(rendered.image, rendered, getattr(job, "pictures", None))


def dream(picture: Picture, params: DreamParams | None = None, *, guide: Picture | None = None, end: str | None = None,
          callback: Callable | None = None, **knobs: Any) -> Painting:
    """DeepDream ``picture`` (see :func:`prisma_abu.pipeline.dream`); returns a :class:`Painting`.

    ``end="inception_4c/output"`` is the DeepDream notebook's spelling of ``layers=("inception_4c/output",)``
    (that layer is the Caffe GoogLeNet's: ``backbone="bvlc_googlenet"`` or ``"googlenet"``).
    """
    if end is not None:
        if "layers" in knobs or "layer" in knobs:
            from .errors import InvalidParameterError

            raise InvalidParameterError("end and layers: expected one of them (end is the notebook's layers=)")
        knobs = {**knobs, "layers": (end,)}

    from .pipeline.progress import dream_steps

    p = _params(DreamParams, params, knobs)
    log = _callback(callback, "dream", dream_steps(p))
    job = _job("dream", p, {"image": (picture, "picture"), "guide": (guide, "guide")})
    return _painting(render_job(job, callback=log), job)


def mix(photo: Picture, guide: Picture | None = None, params: MixParams | None = None, *,
        mask: np.ndarray | str | None = None, callback: Callable | None = None, **knobs: Any) -> MixPainting:
    """abu's Prisma on ``photo`` with ``guide`` (see :func:`prisma_abu.pipeline.mix`); returns a
    :class:`MixPainting` (``.image``, ``.mask``...).

    ``mask`` is a mask array (on where >= 128) or, as a string, the ``mask`` knob (``"otsu+stdmean"``); a
    mask array is no knob: that picture is saved without parameters.
    """
    if isinstance(mask, str):
        knobs, mask = {**knobs, "mask": mask}, None

    p = _params(MixParams, params, knobs)
    from .pipeline.progress import mix_steps

    log = _callback(callback, "mix", mix_steps(p, guide is not None))
    mask = _mask(mask)
    if mask is not None:  # a mask of the caller's own: no job renders that, so no replay either
        from . import pipeline

        g = None if guide is None else as_picture(guide, "guide")
        result = pipeline.mix(as_picture(photo, "photo"), g, p, mask=mask, callback=log)
        return _mix_painting(result, Painting(result.image))
    job = _job("mix", p, {"source": (photo, "photo"), "guide": (guide, "guide")})
    result, rendered = render_mix_job(job, callback=log)
    return _mix_painting(result, _painting(rendered, job))


def _mix_painting(result: MixResult, image: Painting) -> MixPainting:
    return MixPainting(**{**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)}, "image": image})


def style(content: Picture, styles: Picture | Sequence[Picture], params: StyleParams | None = None, *,
          mask: Picture | None = None, init_image: Picture | None = None, callback: Callable | None = None,
          **knobs: Any) -> Painting:
    """Gatys style transfer of ``content`` in one or more ``styles`` (see :func:`prisma_abu.pipeline.style`);
    returns a :class:`Painting`."""
    p = _params(StyleParams, params, knobs)
    if isinstance(styles, (str, os.PathLike, np.ndarray)) or hasattr(styles, "convert"):
        styles = [styles]
    if not isinstance(styles, (list, tuple)) or not styles:
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"styles: expected a picture or a non-empty list of pictures, "
                                    f"got {type(styles).__name__}")
    from .pipeline.progress import style_steps

    log = _callback(callback, "style", style_steps(p))
    job = _job("style", p, {"content": (content, "content"),
                            **{f"style{i}": (s, f"style {i}") for i, s in enumerate(styles)},
                            "mask_file": (mask, "mask"), "init_image": (init_image, "init_image")})
    return _painting(render_job(job, callback=log), job)


def stylize(photo: Picture, params: StylizeParams | None = None, *, style_image: Picture | None = None,
            callback: Callable | None = None, **knobs: Any) -> Painting:
    """Paint ``photo`` with a feed-forward style network (see :func:`prisma_abu.pipeline.stylize`).

    ``model=`` is a built-in network (``"multistyle26:7"``, a blend ``"multistyle26:3=0.5,12=0.5"``,
    ``"arbitrary"``) or a model file you own (``.pth``, ``.t7``, ``.onnx``); ``style_image=`` is the painting
    ``arbitrary`` takes (given alone, it chooses ``arbitrary``). Returns a :class:`Painting`.
    """
    from .pipeline.stylize import model_spec

    if style_image is not None and params is None and "model" not in knobs:
        knobs = {**knobs, "model": "arbitrary"}
    p, model_file = model_spec(_params(StylizeParams, params, knobs))
    log = _callback(callback, "stylize", None)
    job = _job("stylize", p, {"photo": (photo, "photo"), "style_image": (style_image, "style_image")},
               files={"model": model_file})
    return _painting(render_job(job, callback=log), job)
