"""What the Python verbs return: a picture that is an array, shows itself in a notebook and saves itself
with the parameters ``prisma-abu replay`` reads (:class:`Painting`), and ``mix``'s :class:`MixPainting`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from .io import encode_image, write_image
from .jobs import Job, Rendered, check_can_write, job_metadata
from .params import Params
from .pipeline import MixResult

__all__ = ["Painting", "MixPainting", "IN_MEMORY", "REPR_KNOBS"]


#: looks for a file and finds none: it needs pictures given as files)
IN_MEMORY = "(an array, not a file)"
#: the knobs a Painting's repr shows at most (those that differ from the defaults, in field order)
REPR_KNOBS = 6


class Painting(np.ndarray):
    """A picture a verb painted: an (M, N, 3) uint8 array that knows how it was made.

    It is an ``np.ndarray`` (``np.asarray``, ``Image.fromarray``, slicing and
    arithmetic work as on any array; what they return is a plain array), that a
    notebook shows as a picture (``_repr_png_``), whose ``repr`` is one line
    (command, size, the knobs that differ from the defaults), and that
    :meth:`save` writes with the parameters ``prisma-abu replay`` reads. Writing
    into it (``p[0, 0] = 0``, ``p += 1``) forgets how it was made.
    """

    def __new__(cls, image: np.ndarray, rendered: Rendered | None = None,
                given: dict[str, np.ndarray] | None = None) -> Painting:
        obj = np.asarray(image).view(cls)
        obj._rendered, obj._given = rendered, dict(given or {})
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        same = isinstance(obj, Painting) and obj.shape == self.shape and obj.dtype == self.dtype  # a copy
        self._rendered = getattr(obj, "_rendered", None) if same else None
        self._given = getattr(obj, "_given", {}) if same else {}

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """Arithmetic on plain arrays: ``p / 255`` is an ndarray, not a painting."""
        plain = tuple(x.view(np.ndarray) if isinstance(x, Painting) else x for x in inputs)
        out = kwargs.get("out")
        if out:
            for o in out:
                if isinstance(o, Painting):
                    o._forget()
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, Painting) else o for o in out)
        result = getattr(ufunc, method)(*plain, **kwargs)
        if out:
            return out[0] if len(out) == 1 else out
        return result

    def __getitem__(self, key: Any) -> Any:
        item = super().__getitem__(key)
        return item.view(np.ndarray) if isinstance(item, Painting) else item

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._forget()

    def __reduce__(self) -> tuple:
        """Pickled with how it was made (to and from another process: a worker's painting saves as its own)."""
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.rendered, getattr(self, "_given", {}))

    def __setstate__(self, state: Any) -> None:
        base, self._rendered, self._given = state
        super().__setstate__(base)

    def _forget(self) -> None:
        self._rendered, self._given = None, {}

    @property
    def rendered(self) -> Rendered | None:
        """How it was made (:class:`prisma_abu.jobs.Rendered`: the job, the knobs asked for, the arithmetic);
        None once written into."""
        return getattr(self, "_rendered", None)

    @property
    def replayable(self) -> bool:
        """Whether ``prisma-abu replay`` can render a saved copy again: made by a verb, untouched since, from
        pictures given as files (a path or a bundled name, not an array or a PIL image)."""
        return self.rendered is not None and not getattr(self, "_given", {})

    def __repr__(self) -> str:
        rendered = self.rendered
        if rendered is None or self.ndim != 3:
            return np.ndarray.__repr__(self.view(np.ndarray))
        return f"Painting({rendered.job.command} {self.shape[1]}x{self.shape[0]}{_knobs_text(rendered.requested)})"

    def _repr_png_(self) -> bytes | None:
        """The picture as PNG bytes: what a notebook shows."""
        if self.ndim != 3 or self.shape[2] != 3 or min(self.shape[:2]) < 1:
            return None
        return encode_image(self.view(np.ndarray), "PNG")

    def metadata(self, path: str | os.PathLike | None = None, *, metadata_paths: str = "relative") -> dict[str, Any]:
        """The parameters :meth:`save` stores in a picture at ``path`` (:func:`prisma_abu.jobs.job_metadata`)."""
        rendered = self.rendered
        if rendered is None:
            from .errors import InvalidParameterError

            raise InvalidParameterError("this picture has no parameters: it was written into after it was painted; "
                                        "expected a picture as a verb returned it")
        given = getattr(self, "_given", {})
        files = Job(rendered.job.command, rendered.job.params,
                    {r: p for r, p in rendered.job.inputs.items() if r not in given})
        meta = job_metadata(Rendered(self.view(np.ndarray), files, rendered.requested, rendered.arithmetic), path,
                            metadata_paths=metadata_paths)
        for role, picture in given.items():  # no file to name: replay says so, as for any missing input
            meta["inputs"][role] = {"path": IN_MEMORY,
                                    "sha256": hashlib.sha256(np.ascontiguousarray(picture).tobytes()).hexdigest()}
        return meta

    def save(self, path: str | os.PathLike, *, overwrite: bool = False, metadata_paths: str = "relative") -> Path:
        """Write the picture to ``path`` (``.png``, ``.jpg``, ``.webp``, ``.tif``) atomically, with the
        parameters ``prisma-abu replay`` reads (as the command line writes them: input paths relative to the
        picture's folder, or as ``metadata_paths`` says). Never over one of its inputs (unless ``overwrite``).

        A picture written into since it was painted has no parameters: it is written without them.

        Returns
        -------
        Path
            The file written.
        """
        rendered = self.rendered
        if rendered is None:
            from .io import check_output_path

            return write_image(check_output_path(path), self.view(np.ndarray))
        target = check_can_write(rendered.job, path, overwrite=overwrite)
        return write_image(target, self.view(np.ndarray), metadata=self.metadata(target, metadata_paths=metadata_paths))


def _knobs_text(params: Params) -> str:
    """``, size=64, model='multistyle26:3'``: the knobs that differ from the defaults, at most :data:`REPR_KNOBS`."""
    defaults = type(params)().to_dict()
    changed = [f"{k}={v!r}" for k, v in params.to_dict().items() if defaults.get(k) != v]
    more = len(changed) - REPR_KNOBS
    return "".join(f", {c}" for c in changed[:REPR_KNOBS]) + (f", +{more} more" if more > 0 else "")


class MixPainting(MixResult):
    """What :func:`mix` made (a :class:`~prisma_abu.pipeline.MixResult`: ``.image``, ``.mask``, ``.source``...),
    shown and saved as its ``.image`` (a :class:`Painting`)."""

    def __repr__(self) -> str:
        return repr(self.image).replace("Painting(", "MixPainting(", 1)

    @property
    def rendered(self) -> Rendered | None:
        """See :attr:`Painting.rendered`."""
        return self.image.rendered

    @property
    def replayable(self) -> bool:
        """See :attr:`Painting.replayable`."""
        return self.image.replayable

    def _repr_png_(self) -> bytes | None:
        return self.image._repr_png_()

    def save(self, path: str | os.PathLike, **options: Any) -> Path:
        """Write ``.image`` with its parameters (see :meth:`Painting.save`)."""
        return self.image.save(path, **options)
