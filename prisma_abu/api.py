"""The verbs for scripts: ``dream``, ``mix``, ``style`` on a path, a PIL image or an array.

>>> import prisma_abu
>>> painted = prisma_abu.mix("sample/chelsea.jpg", "prisma_gd/swirl.jpg", n3=1)   # doctest: +SKIP
>>> painted.image.shape, painted.mask.shape                                      # doctest: +SKIP
((480, 480, 3), (480, 480))

Each verb takes its parameter object (``params=``) and/or its knobs by name
(``n3=1``, ``size=320``; the old spellings too), reads what it is given, and
returns arrays (``mix`` a :class:`~prisma_abu.pipeline.MixResult` with
``.image`` and ``.mask``). Anything that is not a picture raises
:class:`~prisma_abu.errors.InvalidImageError`.

Without a ``callback`` of your own, a run that lasts writes where it stands on
stderr every few seconds (``dream: step 40/120``, the command line's lines
in a log); pass ``callback=`` to follow it yourself instead.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence

import numpy as np

from .errors import InvalidImageError
from .io import check_picture_size, read_image
from .params import DreamParams, MixParams, Params, StyleParams, StylizeParams

__all__ = ["dream", "mix", "style", "stylize", "as_picture"]

Picture = "str | os.PathLike | PIL.Image.Image | np.ndarray"


def as_picture(picture: Any, name: str = "picture") -> np.ndarray:
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
    from .pipeline import as_rgb

    array = as_rgb(picture, name)
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


def dream(picture: Any, params: DreamParams | None = None, *, guide: Any = None, end: str | None = None,
          callback: Callable | None = None, **knobs: Any) -> np.ndarray:
    """DeepDream ``picture`` (see :func:`prisma_abu.pipeline.dream`); returns (M, N, 3) uint8.

    ``end="inception_4c/output"`` is the DeepDream notebook's spelling of ``layers=("inception_4c/output",)``
    (that layer is the Caffe GoogLeNet's: ``backbone="bvlc_googlenet"`` or ``"googlenet"``).
    """
    from . import pipeline

    if end is not None:
        if "layers" in knobs or "layer" in knobs:
            from .errors import InvalidParameterError

            raise InvalidParameterError("end and layers: expected one of them (end is the notebook's layers=)")
        knobs = {**knobs, "layers": (end,)}

    from .pipeline.progress import dream_steps

    p = _params(DreamParams, params, knobs)
    g = None if guide is None else as_picture(guide, "guide")
    return pipeline.dream(as_picture(picture), p, guide=g, callback=_callback(callback, "dream", dream_steps(p)))


def mix(photo: Any, guide: Any = None, params: MixParams | None = None, *, mask: np.ndarray | str | None = None,
        callback: Callable | None = None, **knobs: Any):
    """abu's Prisma on ``photo`` with ``guide`` (see :func:`prisma_abu.pipeline.mix`); returns a MixResult.

    ``mask`` is a mask array (on where >= 128) or, as a string, the ``mask`` knob (``"otsu+stdmean"``).
    """
    from . import pipeline

    if isinstance(mask, str):
        knobs, mask = {**knobs, "mask": mask}, None

    p = _params(MixParams, params, knobs)
    g = None if guide is None else as_picture(guide, "guide")
    from .pipeline.progress import mix_steps

    log = _callback(callback, "mix", mix_steps(p, g is not None))
    return pipeline.mix(as_picture(photo, "photo"), g, p, mask=_mask(mask), callback=log)


def style(content: Any, styles: Any | Sequence[Any], params: StyleParams | None = None, *, mask: Any = None,
          init_image: Any = None, callback: Callable | None = None, **knobs: Any) -> np.ndarray:
    """Gatys style transfer of ``content`` in one or more ``styles`` (see :func:`prisma_abu.pipeline.style`)."""
    from . import pipeline

    p = _params(StyleParams, params, knobs)
    if isinstance(styles, (str, os.PathLike, np.ndarray)) or hasattr(styles, "convert"):
        styles = [styles]
    if not isinstance(styles, (list, tuple)) or not styles:
        from .errors import InvalidParameterError

        raise InvalidParameterError(f"styles: expected a picture or a non-empty list of pictures, "
                                    f"got {type(styles).__name__}")
    pictures = [as_picture(s, f"style {i}") for i, s in enumerate(styles)]
    m = None if mask is None else as_picture(mask, "mask")
    init = None if init_image is None else as_picture(init_image, "init_image")
    from .pipeline.progress import style_steps

    return pipeline.style(as_picture(content, "content"), pictures, p, mask=m, init_image=init,
                          callback=_callback(callback, "style", style_steps(p)))


def stylize(photo: Any, params: StylizeParams | None = None, *, style_image: Any = None,
            callback: Callable | None = None, **knobs: Any) -> np.ndarray:
    """Paint ``photo`` with a feed-forward style network (see :func:`prisma_abu.pipeline.stylize`).

    ``model=`` is a built-in network (``"multistyle26:7"``, a blend ``"multistyle26:3=0.5,12=0.5"``,
    ``"arbitrary"``) or a model file you own (``.pth``, ``.t7``, ``.onnx``); ``style_image=`` is the painting
    ``arbitrary`` takes (given alone, it chooses ``arbitrary``). Returns (M, N, 3) uint8.
    """
    from . import pipeline
    from .pipeline.stylize import model_spec

    if style_image is not None and params is None and "model" not in knobs:
        knobs = {**knobs, "model": "arbitrary"}
    p, model_file = model_spec(_params(StylizeParams, params, knobs))
    painting = None if style_image is None else as_picture(style_image, "style_image")
    return pipeline.stylize(as_picture(photo, "photo"), p, style_image=painting, model_file=model_file,
                            callback=_callback(callback, "stylize", None))
