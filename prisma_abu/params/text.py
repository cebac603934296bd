"""Parameter and experiment files' text read as a table: TOML or JSON, its size and nesting bounded."""

from __future__ import annotations

import json
import tomllib
from typing import Any

from ..errors import InvalidParameterError

__all__ = ["load_text", "PARAMS_TEXT_LIMIT", "PARAMS_DEPTH_LIMIT"]


#: the largest parameter or experiment file read (characters), and the deepest nesting it may have
PARAMS_TEXT_LIMIT, PARAMS_DEPTH_LIMIT = 4 << 20, 32


def load_text(text: str, fmt: str, where: str = "", expected: str | None = None) -> dict[str, Any]:
    """A TOML or JSON document as a table, its size and nesting bounded (no RecursionError, no huge file).

    Parameters
    ----------
    text : str
    fmt : {"toml", "json"}
    where : str
        Starts each message (``"experiment.toml: "``); empty for none.
    expected : str, optional
        What the document should be (default ``"TOML parameters"``).

    Raises
    ------
    InvalidParameterError
        Too long, not valid, nested deeper than :data:`PARAMS_DEPTH_LIMIT`,
        or not a table.
    """
    label = fmt.upper()
    expected = expected or f"{label} parameters"
    if not isinstance(text, str) or len(text) > PARAMS_TEXT_LIMIT:
        size = f"{len(text)} characters" if isinstance(text, str) else type(text).__name__
        raise InvalidParameterError(f"{where}expected {expected} of at most {PARAMS_TEXT_LIMIT} characters, "
                                    f"got {size}")
    deep = f"{where}expected {expected} nested at most {PARAMS_DEPTH_LIMIT} deep, got deeper"
    try:
        data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except RecursionError:
        raise InvalidParameterError(deep) from None
    except ValueError as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise InvalidParameterError(f"{where}expected {expected}, got invalid {label} ({exc})") from None
    if not isinstance(data, dict):
        raise InvalidParameterError(f"{where}expected a {label} object, got {type(data).__name__}")
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > PARAMS_DEPTH_LIMIT:
            raise InvalidParameterError(deep)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return data
