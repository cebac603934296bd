"""What a batch shows: ``contact_sheet.png`` (labelled thumbnails) and an offline ``index.html``."""

from __future__ import annotations

import html
import itertools
import os
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import quote

import numpy as np

from ..errors import InvalidImageError
from ..io import read_image, write_image
from .manifest import MANIFEST, STATUSES, read_manifest, write_text

__all__ = ["write_contact_sheet", "write_index"]

# --- contact sheet and gallery ------------------------------------------------------------------------

_THUMB, _LABEL, _PAD, _HEADER = 160, 30, 6, 26


def _sheet_rows(folder: Path) -> list[dict[str, Any]]:
    rows = {row["output"]: row for row in read_manifest(folder)}
    return [rows[k] for k in sorted(rows, key=lambda out: out.split("/"))]


def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # pragma: no cover - Pillow without FreeType
        return ImageFont.load_default()


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    """``text`` cut (with ``...``) to ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def _thumbnail(folder: Path, row: Mapping[str, Any]):
    from PIL import Image, ImageOps

    if row.get("status") == "failed":
        return None
    try:
        pixels = read_image(folder / row["output"])
    except InvalidImageError:
        return None
    picture = Image.fromarray(np.uint8(np.clip(pixels, 0, 255)), "RGB")
    return ImageOps.contain(picture, (_THUMB, _THUMB))


def _labels(row: Mapping[str, Any]) -> tuple[str, str]:
    folder, _, name = row["output"].rpartition("/")
    return folder, name.rsplit(".", 1)[0]


def _draw_page(folder: Path, rows: Sequence[Mapping[str, Any]], title: str, columns: int):
    from PIL import Image, ImageDraw

    cell_w, cell_h = _THUMB + 2 * _PAD, _THUMB + _LABEL + 2 * _PAD
    n_rows = -(-len(rows) // columns)
    sheet = Image.new("RGB", (max(columns * cell_w, 320), _HEADER + n_rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    font, small = _font(14), _font(10)
    draw.text((_PAD, 5), _fit(draw, title, font, sheet.width - 2 * _PAD), fill="black", font=font)
    for k, row in enumerate(rows):
        x, y = (k % columns) * cell_w + _PAD, _HEADER + (k // columns) * cell_h + _PAD
        thumb = _thumbnail(folder, row)
        if thumb is None:
            draw.rectangle((x, y, x + _THUMB - 1, y + _THUMB - 1), fill=(235, 225, 225), outline=(180, 40, 40))
            draw.text((x + 8, y + _THUMB // 2 - 8), "failed", fill=(180, 40, 40), font=font)
        else:
            sheet.paste(thumb, (x + (_THUMB - thumb.width) // 2, y + (_THUMB - thumb.height) // 2))
        first, second = _labels(row)
        colour = (180, 40, 40) if row.get("status") == "failed" else (20, 20, 20)
        draw.text((x, y + _THUMB + 3), _fit(draw, first, small, _THUMB), fill=(90, 90, 90), font=small)
        draw.text((x, y + _THUMB + 16), _fit(draw, second, small, _THUMB), fill=colour, font=small)
    return sheet


def _counts(rows: Sequence[Mapping[str, Any]]) -> str:
    counts = Counter(row.get("status") for row in rows)
    return ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])


def _columns(rows: Sequence[Mapping[str, Any]]) -> int:
    """One row per source/guide when they all hold the same number of pictures (up to 12), else 8."""
    sizes = set(Counter(_labels(row)[0] for row in rows).values())
    return sizes.pop() if len(sizes) == 1 and max(sizes) <= 12 else 8


def write_contact_sheet(folder: str | os.PathLike, *, columns: int | None = None,
                        per_page: int = 160) -> list[Path]:
    """Labelled thumbnails of every picture in the batch's manifest (failures as red cells).

    Writes ``contact_sheet.png`` (then ``contact_sheet_2.png``... past
    ``per_page`` pictures), sorted by path: one source/guide after the other,
    one per row when they all hold the same number of pictures (``columns``
    default), else 8 to a row.

    Returns
    -------
    list of Path
        The sheets written (none for an empty manifest).
    """
    folder = Path(folder)
    rows = _sheet_rows(folder)
    columns = columns or (_columns(rows) if rows else 8)
    per_page = max(columns, per_page - per_page % columns)
    pages = [rows[i:i + per_page] for i in range(0, len(rows), per_page)]
    written = []
    for number, page in enumerate(pages, 1):
        name = "contact_sheet.png" if number == 1 else f"contact_sheet_{number}.png"
        title = f"prisma_abu batch {folder.name}: {len(rows)} pictures ({_counts(rows)})"
        if len(pages) > 1:
            title += f", page {number}/{len(pages)}"
        sheet = _draw_page(folder, page, title, min(columns, len(page)))
        written.append(write_image(folder / name, np.asarray(sheet),
                                   metadata={"contact_sheet": [row["output"] for row in page]}))
    return written


def _figure(row: Mapping[str, Any]) -> str:
    first, second = _labels(row)
    href = html.escape(quote(row["output"]))
    values = row.get("values") or {}
    tip = html.escape(", ".join(f"{k}={v}" for k, v in values.items()), quote=True)
    if row.get("status") == "failed":
        error = html.escape(str(row.get("error") or ""))
        return (f'<figure class="failed" title="{tip}"><div class="box">failed</div>'
                f"<figcaption>{html.escape(second)}<br><small>{error}</small></figcaption></figure>")
    return (f'<figure title="{tip}"><a href="{href}"><img src="{href}" alt="{html.escape(first)}/'
            f'{html.escape(second)}" loading="lazy"></a><figcaption>{html.escape(second)}</figcaption></figure>')


_STYLE = ("body{font:14px sans-serif;margin:1em;background:#fafafa}h2{font-size:15px;margin:1em 0 .3em}"
          "figure{display:inline-block;vertical-align:top;margin:4px;width:170px}"
          "img{max-width:170px;max-height:170px;display:block}"
          "figcaption{font-size:11px;word-break:break-all}.failed{color:#b22}"
          ".box{width:160px;height:120px;background:#ecdcdc;display:flex;align-items:center;"
          "justify-content:center}")


def write_index(folder: str | os.PathLike) -> Path:
    """``index.html``: every picture of the manifest, grouped by source/guide, offline (relative links)."""
    folder = Path(folder)
    rows = _sheet_rows(folder)
    sheets = sorted(folder.glob("contact_sheet*.png"))
    links = " &middot; ".join([f'<a href="{quote(p.name)}">{html.escape(p.name)}</a>' for p in sheets]
                              + [f'<a href="{MANIFEST}">{MANIFEST}</a>'])
    parts = [f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>prisma_abu batch {html.escape(folder.name)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>prisma_abu batch {html.escape(folder.name)}</h1>",
             f"<p>{len(rows)} pictures ({_counts(rows)}) &middot; {links}</p>"]
    for group, members in itertools.groupby(rows, key=lambda r: _labels(r)[0]):
        parts.append(f"<h2>{html.escape(group.replace('/', ' / '))}</h2>")
        parts.extend(_figure(row) for row in members)
    parts.append("</body></html>\n")
    return write_text(folder / "index.html", "\n".join(parts))

