"""PDF files with a text layer: ruled tables rebuilt from the lines the PDF draws.

The engine is PDFium (pypdfium2): it gives every character with its box and every path
object with its bounds, fast (a five-page report in a few milliseconds), and it maps CJK
glyphs through the font's own tables where pdfminer prints ``(cid:N)``. The grid of a
table is rebuilt from its ruling lines, so a merged cell (a missing line between two grid
slots) is one cell with a span, exactly the shape the HTML and DOCX readers produce, and
a blank cell is still a cell. Column positions are snapped to one set of x positions for
the whole document, so a table that runs across pages keeps its columns.

A PDF with (almost) no text but with images is a scan: the document says so
(``image_only``) and is not read as an empty report. A PDF whose CJK fonts carry no
Unicode map (no ``ToUnicode`` and no usable ``cmap``: pdfminer prints ``(cid:N)``, PDFium
returns glyph numbers as characters) has no readable text either: PDFium flags every such
character, and a document with many of them is ``unmapped_text``, never read for values.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from . import labels
from .document import Document
from .tables import Token
from .text import clean, label_key
from .values import parse_cell

MAX_PAGES = 200  # annual reports run to 10-30 pages; more is not a report (or is hostile)
MAX_CHARS = 400_000
_TOL = 2.0  # points: lines closer than this are the same line
UNMAPPED_SHARE = 0.05  # more characters than this without a Unicode mapping: unreadable


class PdfError(ValueError):
    pass


@dataclass
class _Char:
    ch: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def xc(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def yc(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class _Page:
    chars: list[_Char]
    horizontal: list[tuple[float, float, float]]  # (y, x0, x1)
    vertical: list[tuple[float, float, float]]  # (x, y0, y1)
    images: int = 0
    unmapped: int = 0  # characters PDFium could not map to Unicode


@dataclass
class _Table:
    xs: list[float]
    ys: list[float]  # top to bottom (descending)
    cells: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1


def read_pdf(body: bytes) -> Document:
    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as exc:
        raise PdfError(f"not a readable PDF file: {exc}") from exc
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise PdfError(f"PDF has {count} pages (limit {MAX_PAGES})")
        pages = [_read_page(pdf[i]) for i in range(count)]
    finally:
        pdf.close()
    if sum(len(p.chars) for p in pages) > MAX_CHARS:
        raise PdfError(f"PDF text layer over {MAX_CHARS} characters")
    return _document(pages)


def _read_page(page: pdfium.PdfPage) -> _Page:
    textpage = page.get_textpage()
    chars: list[_Char] = []
    unmapped = 0
    try:
        for i in range(textpage.count_chars()):
            code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
            if code in (0, 0xFFFE, 0xFFFF) or pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1:
                continue
            if pdfium_c.FPDFText_HasUnicodeMapError(textpage.raw, i) == 1:
                unmapped += 1
            ch = chr(code)
            if ch.isspace():
                continue
            # The loose box is the glyph's em square: the same height for every character of
            # a line (a tight box of 一 or “ is a sliver that looks like a line of its own).
            x0, y0, x1, y1 = textpage.get_charbox(i, loose=True)
            chars.append(_Char(ch, x0, y0, x1, y1))
    finally:
        textpage.close()
    horizontal, vertical = [], []
    images = 0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE],
                                max_depth=2):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images += 1
            continue
        left, bottom, right, top = obj.get_bounds()
        width, height = right - left, top - bottom
        if width <= 3 < height:
            vertical.append(((left + right) / 2, bottom, top))
        elif height <= 3 < width:
            horizontal.append(((bottom + top) / 2, left, right))
        elif width > 3 and height > 3 and width * height < 600_000:
            # A rectangle (cells drawn as boxes): its four edges.
            horizontal += [(bottom, left, right), (top, left, right)]
            vertical += [(left, bottom, top), (right, bottom, top)]
    page.close()
    return _Page(chars, horizontal, vertical, images, unmapped)


def _cluster(values: list[float]) -> list[float]:
    """Positions within _TOL of each other become one (their mean)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= _TOL:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(group) / len(group) for group in out]


def _nearest(sorted_values: list[float], v: float) -> int | None:
    i = bisect.bisect_left(sorted_values, v)
    best = None
    for j in (i - 1, i):
        if 0 <= j < len(sorted_values) and abs(sorted_values[j] - v) <= _TOL:
            if best is None or abs(sorted_values[j] - v) < abs(sorted_values[best] - v):
                best = j
    return best


def _tables(page: _Page) -> list[_Table]:
    """Each group of touching ruling lines with at least a 2×2 grid is a table."""
    segments = [("h", *s) for s in page.horizontal] + [("v", *s) for s in page.vertical]
    if len(segments) > 20_000:
        raise PdfError("too many ruling lines on one page")
    parent = list(range(len(segments)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    hs = [i for i, s in enumerate(segments) if s[0] == "h"]
    vs = [i for i, s in enumerate(segments) if s[0] == "v"]
    for i in hs:
        _, y, x0, x1 = segments[i]
        for j in vs:
            _, x, y0, y1 = segments[j]
            if x0 - _TOL <= x <= x1 + _TOL and y0 - _TOL <= y <= y1 + _TOL:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(segments)):
        groups.setdefault(find(i), []).append(i)
    tables = []
    for members in groups.values():
        h = [segments[i][1:] for i in members if segments[i][0] == "h"]
        v = [segments[i][1:] for i in members if segments[i][0] == "v"]
        xs, ys = _cluster([s[0] for s in v]), _cluster([s[0] for s in h])[::-1]
        if len(xs) >= 2 and len(ys) >= 2:
            tables.append(_grid(xs, ys, h, v))
    tables.sort(key=lambda t: -t.ys[0])
    return tables


def _grid(xs: list[float], ys: list[float], h: list, v: list) -> _Table:
    """Cells of a ruled grid: a boundary with no line drawn along it joins two slots."""
    rows, cols = len(ys) - 1, len(xs) - 1

    def vline(r: int, j: int) -> bool:  # a line at xs[j] through the middle of band r
        mid = (ys[r] + ys[r + 1]) / 2
        return any(abs(x - xs[j]) <= _TOL and y0 - _TOL <= mid <= y1 + _TOL for x, y0, y1 in v)

    def hline(i: int, c: int) -> bool:  # a line at ys[i] through the middle of column c
        mid = (xs[c] + xs[c + 1]) / 2
        return any(abs(y - ys[i]) <= _TOL and x0 - _TOL <= mid <= x1 + _TOL for y, x0, x1 in h)

    table = _Table(xs, ys)
    taken = [[False] * cols for _ in range(rows)]
    for r in range(rows):
        for c in range(cols):
            if taken[r][c]:
                continue
            c1 = c
            while c1 + 1 < cols and not vline(r, c1 + 1) and not taken[r][c1 + 1]:
                c1 += 1
            r1 = r
            while r1 + 1 < rows and not any(hline(r1 + 1, cc) for cc in range(c, c1 + 1)):
                r1 += 1
            for rr in range(r, r1 + 1):
                for cc in range(c, c1 + 1):
                    taken[rr][cc] = True
            table.cells.append((r, c, r1, c1))
    return table


def _text(chars: list[_Char]) -> str:
    """Characters in reading order: lines top to bottom, each left to right."""
    if not chars:
        return ""
    chars = sorted(chars, key=lambda ch: -ch.yc)
    lines: list[list[_Char]] = [[chars[0]]]
    for ch in chars[1:]:
        line = lines[-1]
        if ch.yc >= min(c.y0 for c in line):
            line.append(ch)
        else:
            lines.append([ch])
    out = []
    for line in lines:
        line.sort(key=lambda ch: ch.x0)
        text = line[0].ch
        for prev, ch in zip(line, line[1:], strict=False):
            gap = ch.x0 - prev.x1
            if gap > 0.6 * max(prev.y1 - prev.y0, 1):
                text += " "
            text += ch.ch
        out.append(text)
    return "\n".join(out)


def _document(pages: list[_Page]) -> Document:
    page_tables = [_tables(page) for page in pages]
    columns = _cluster([x for tables in page_tables for t in tables for x in t.xs])
    lines: list[str] = []
    # Per page, per table: the cells as (first band, last band, token).
    grids: list[list[list[tuple[int, int, Token]]]] = []
    for page_no, (page, tables) in enumerate(zip(pages, page_tables, strict=True)):
        in_table: set[int] = set()
        grids.append([])
        for table_no, table in enumerate(tables):
            owner: dict[tuple[int, int], int] = {}
            for index, (r0, c0, r1, c1) in enumerate(table.cells):
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        owner[(r, c)] = index
            contents: dict[int, list[_Char]] = {}
            ys_up = table.ys[::-1]
            for n, ch in enumerate(page.chars):
                c = bisect.bisect_right(table.xs, ch.xc) - 1
                r_up = bisect.bisect_right(ys_up, ch.yc) - 1
                if not (0 <= c < len(table.xs) - 1 and 0 <= r_up < len(ys_up) - 1):
                    continue
                r = len(table.ys) - 2 - r_up
                contents.setdefault(owner[(r, c)], []).append(ch)
                in_table.add(n)
            cells = []
            for index, (r0, c0, r1, c1) in enumerate(table.cells):
                first = _nearest(columns, table.xs[c0])
                last = _nearest(columns, table.xs[c1 + 1])
                col = first if first is not None else c0
                span = max(1, (last - first) if first is not None and last is not None else 1)
                token = Token(_text(contents.get(index, [])), (page_no, table_no, r0), col, span)
                cells.append((r0, r1, token))
            grids[-1].append(cells)
        rest = [ch for n, ch in enumerate(page.chars) if n not in in_table]
        lines += [line for line in (clean(x) for x in _text(rest).split("\n")) if line]
    for before, after in zip(grids, grids[1:], strict=False):
        if before and after:
            _join_split_row(before[-1], after[0])
    tokens = [token for page in grids for table in page for _r0, _r1, token in table]
    doc = Document(kind="pdf", lines=lines, tokens=tokens)
    characters = sum(len(p.chars) for p in pages)
    doc.image_only = bool(pages) and characters < 20 * len(pages) and any(p.images for p in pages)
    unmapped = sum(p.unmapped for p in pages)
    if characters and unmapped > UNMAPPED_SHARE * characters:
        doc.unmapped_text = True
        doc.notes.append(f"PDF text layer unreadable: {unmapped} of {characters} characters "
                         "have no Unicode mapping (fonts without ToUnicode, pdfminer's "
                         "(cid:N)); the values need OCR or the original file")
    doc.title = _title(lines)
    return doc


def _is_value(text: str) -> bool:
    cell = parse_cell(text)
    return cell is not None and cell.status != "blank"


def _join_split_row(end: list[tuple[int, int, Token]], start: list[tuple[int, int, Token]]) -> None:
    """A row the page break cut in two: its label continues at the top of the next page.

    Only when the next page's first row has exactly the cells of the last row before the
    break and no value of its own (the values sit in the top half, above the break).
    """
    if not end or not start:
        return
    last_band = max(r1 for _r0, r1, _t in end)
    tail = sorted(((i, t) for i, (_r0, r1, t) in enumerate(end) if r1 == last_band),
                  key=lambda it: it[1].col)
    head = sorted(((i, t) for i, (r0, _r1, t) in enumerate(start) if r0 == 0),
                  key=lambda it: it[1].col)
    def join(i: int, t: Token, j: int, u: Token) -> None:
        r0, r1, _ = end[i]
        end[i] = (r0, r1, Token(t.text + u.text, t.row, t.col, t.span))
        start[j] = (0, start[j][1], Token("", t.row, u.col, u.span))

    same_layout = [(t.col, t.span) for _i, t in tail] == [(t.col, t.span) for _i, t in head]
    if (same_layout and any(t.text.strip() for _i, t in head)
            and not any(_is_value(t.text) for _i, t in head)):
        for (i, t), (j, u) in zip(tail, head, strict=True):
            join(i, t, j, u)
        return
    # A merged label cell the break cut through (（六）其 | 他处理): the part below the
    # break starts no label of its own and means nothing alone.
    below = {(u.col, u.span): (j, u) for j, u in head}
    for i, t in tail:
        j, u = below.get((t.col, t.span), (None, None))
        if u is None or not t.text.strip() or not u.text.strip():
            continue
        if _is_value(t.text) or _is_value(u.text) or _LABEL_START.match(u.text):
            continue
        if not _means_something(u.text):
            join(i, t, j, u)


_LABEL_START = re.compile(r"^\s*[（(]?[一二三四五六七八九十\d]+[）)、.．]")


def _means_something(text: str) -> bool:
    t = label_key(text)
    return bool(labels.section_marker(t) or labels.appeal_group(t) or labels.appeal_outcome(t)
                or labels.applicant_column(t) or labels.active_column(t)
                or labels.active_row(t) or labels.application_group(t)
                or labels.application_row(t, None))


def _title(lines: list[str]) -> str | None:
    for index, line in enumerate(lines[:6]):
        if "年度报告" in line or "年报" in line:
            start = index - 1 if index and len(lines[index - 1]) < 40 else index
            return "".join(lines[start:index + 1])
    return None
