"""A labelled grid of pictures (one photo in every style, a texture comparison): one array out."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from prisma_abu.errors import InvalidParameterError
from prisma_abu.ops.color import as_uint8, check_rgb

__all__ = ["labelled_grid"]

_LABEL, _PAD = 22, 6


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def labelled_grid(pictures: Sequence[np.ndarray], labels: Sequence[str], *, cell: int = 256,
                  columns: int = 6, title: str = "") -> np.ndarray:
    """Pictures fitted into ``cell``-pixel squares, ``columns`` to a row, each with its label below.

    Parameters
    ----------
    pictures : sequence of (M, N, 3) arrays
        RGB 0..255.
    labels : sequence of str
        One per picture (cut to fit).
    cell : int
        The side of each picture's square, px.
    columns : int
    title : str
        A line above the grid.

    Returns
    -------
    (H, W, 3) ndarray of uint8
    """
    if len(pictures) != len(labels) or not pictures:
        raise InvalidParameterError(f"expected one label per picture and at least one, got {len(pictures)} "
                                    f"pictures and {len(labels)} labels")
    columns = max(1, min(columns, len(pictures)))
    rows = -(-len(pictures) // columns)
    head = _LABEL if title else 0
    w, h = columns * (cell + _PAD) + _PAD, head + rows * (cell + _LABEL + _PAD) + _PAD
    sheet = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(sheet)
    font = _font(13)
    if title:
        draw.text((_PAD, 4), title, fill="black", font=font)
    for k, (picture, label) in enumerate(zip(pictures, labels)):
        x = _PAD + (k % columns) * (cell + _PAD)
        y = head + _PAD + (k // columns) * (cell + _LABEL + _PAD)
        thumb = ImageOps.contain(Image.fromarray(as_uint8(check_rgb(picture, name="picture"))), (cell, cell))
        sheet.paste(thumb, (x + (cell - thumb.width) // 2, y + (cell - thumb.height) // 2))
        text = label
        while text and draw.textlength(text, font=font) > cell:
            text = text[:-1]
        draw.text((x, y + cell + 3), text if text == label else text[:-1] + "…", fill="black", font=font)
    return np.asarray(sheet)
