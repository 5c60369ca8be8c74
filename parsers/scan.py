"""Scanned reports (图片版): page images read into the same Document as every other format.

A page goes through:

1. **Pages.** A tall image (portals post a report as one "long picture") is cut into
   pages at blank bands, so that each page's own tilt can be undone.
2. **Deskew.** The tilt is the median angle of the long straight lines (table rulings,
   found by a probabilistic Hough transform); the page is turned back by it.
3. **Ruling lines.** Horizontal and vertical strokes longer than any character
   (morphological opening) make each table's grid: the distinct line positions cut it into
   slots, and two neighbouring slots with no line between them belong to one merged cell.
   A cell is a token at its top-left slot (row identity, column, column span), exactly
   as an HTML cell with rowspan/colspan is, so the labels are matched and the values
   filed by the same `parsers.tables.read_tables` as every other format.
4. **Text.** A cell's ink (rulings removed) is cut into lines by its row profile; each
   line image is read by the OCR engine (parsers.ocr). Text outside tables becomes the
   document's prose lines (title, agency, year for the metadata).

Each value keeps the confidence of the cell it was read from, and the document says how
many pages it read: a bound on pages and on time stops a huge scan, with a note.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .ocr import engine as load_engine
from .schema import load_schema
from .tables import Token, TokenTuple, read_tables
from .text import has_cjk, nfkc
from .values import NUMBER, Cell, parse_cell

MAX_PAGES = 40  # pages OCR'd per document; the official report is 3-8 pages
MAX_SECONDS = 240.0  # OCR time per document (the parser pool's limit is 300 s)
MAX_PIXELS = 60_000_000  # one image (a 300 dpi A4 page is 8.7 M)


class ScanError(ValueError):
    """An image that cannot be decoded."""


@dataclass
class ScanReading:
    lines: list[str] = field(default_factory=list)  # prose, in reading order
    tokens: list[TokenTuple] = field(default_factory=list)  # table cells
    confidences: list[float] = field(default_factory=list)  # one per token
    pages: int = 0  # pages read
    pages_total: int = 0  # pages the document has
    seconds: float = 0.0
    engine: str = ""
    bound: str | None = None  # why reading stopped early, if it did
    notes: list[str] = field(default_factory=list)
    # the column lines of the last table read, for a table continued on the next page
    last_columns: list[int] = field(default_factory=list)
    continued: bool = False  # the page starts with the table the page before ended with


def decode_image(data: bytes) -> np.ndarray:
    """Grayscale pixels of a JPEG/PNG/GIF/BMP/TIFF/WebP image (Pillow: it reads them all
    and says why a broken one fails)."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.width * im.height > MAX_PIXELS:
                    raise ScanError(f"image of {im.width}x{im.height} pixels is over the "
                                    f"{MAX_PIXELS} pixel limit")
                return np.asarray(im.convert("L"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise ScanError(f"not a readable image ({exc})") from exc


def read_scan(pages: list[Callable[[], np.ndarray]] | list[np.ndarray], *,
              engine_name: str = "rapidocr", max_pages: int | None = None,
              max_seconds: float | None = None) -> ScanReading:
    """Read page images (or callables that make them: a PDF page is rendered only when
    it is read) within the bounds on pages and time (default MAX_PAGES, MAX_SECONDS)."""
    max_pages = MAX_PAGES if max_pages is None else max_pages
    max_seconds = MAX_SECONDS if max_seconds is None else max_seconds
    ocr = load_engine(engine_name)
    out = ScanReading(engine=ocr.name)
    start = time.monotonic()
    queue = list(pages)
    out.pages_total = len(queue)
    index = 0
    while queue:
        if index >= max_pages:
            out.bound = f"pages: read {index} of {out.pages_total} (limit {max_pages})"
            break
        if time.monotonic() - start > max_seconds:
            out.bound = (f"time: read {index} of {out.pages_total} pages in "
                         f"{time.monotonic() - start:.0f} s (limit {max_seconds:g} s)")
            break
        item = queue.pop(0)
        image = item() if callable(item) else item
        parts = split_tall(image)
        if len(parts) > 1:  # a long picture: its pages go first, each counted
            queue[:0] = parts[1:]
            out.pages_total += len(parts) - 1
            image = parts[0]
        start_token = len(out.tokens)
        _read_page(image, index, ocr, out)
        if start_token and out.continued:
            _join_split_row(out, start_token)
        index += 1
    out.pages = index
    out.seconds = time.monotonic() - start
    if out.bound:
        out.notes.append(f"OCR stopped early ({out.bound}): later pages unread")
    return out


# -- pages and tilt ----------------------------------------------------------------------


def _ink(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0 (Otsu's threshold after a light blur against scanner speckle)."""
    import cv2

    blurred = cv2.GaussianBlur(gray, (3, 3), 0)
    _t, ink = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return ink


def split_tall(gray: np.ndarray) -> list[np.ndarray]:
    """A picture taller than a page cut at blank bands into page-sized parts."""
    h, w = gray.shape
    page = int(w * 1.5)
    if h <= page * 1.2:
        return [gray]
    ink = _ink(gray)
    rows = ink.sum(axis=1) > 255 * max(2, w // 400)
    blank = ~rows
    cuts, start = [], 0
    while h - start > page * 1.2:
        target = start + page
        # the middle of the blank band nearest the page length (within ±40%)
        best = None
        lo, hi = start + int(page * 0.6), min(h - 1, start + int(page * 1.4))
        y = lo
        while y < hi:
            if blank[y]:
                end = y
                while end < hi and blank[end]:
                    end += 1
                if end - y >= 8:
                    mid = (y + end) // 2
                    if best is None or abs(mid - target) < abs(best - target):
                        best = mid
                y = end
            y += 1
        cut = best if best is not None else target
        cuts.append(cut)
        start = cut
    bounds = [0, *cuts, h]
    return [gray[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b - a > 20]


def deskew(gray: np.ndarray) -> np.ndarray:
    """The page turned so that its long lines are level."""
    import cv2

    h, w = gray.shape
    # Long horizontal strokes (table rulings, underlines); each one's slope by a fit.
    ink = _ink(gray)
    level = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_RECT, (max(30, w // 30), 1)))
    count, labels, stats, _c = cv2.connectedComponentsWithStats(level, connectivity=8)
    angles = []
    for i in range(1, count):
        x, y, bw, bh, _area = stats[i]
        if bw < w // 4 or bh > bw // 8:
            continue
        ys, xs = np.nonzero(labels[y:y + bh, x:x + bw] == i)
        slope = np.polyfit(xs, ys, 1)[0]
        angles.append(float(np.degrees(np.arctan(slope))))
    if not angles:
        return gray
    angle = float(np.median(angles))
    if abs(angle) < 0.05:
        return gray
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (w, h), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)


# -- tables ------------------------------------------------------------------------------


@dataclass
class _Grid:
    xs: list[int]  # vertical line positions
    ys: list[int]  # horizontal line positions
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 of the table
    cells: list[tuple[int, int, int, int]]  # (row, col, rowspan, colspan) in slots


def _positions(profile: np.ndarray, minimum: int) -> list[int]:
    """Centres of the runs of ``profile`` over ``minimum`` (one per ruling line)."""
    on = profile >= minimum
    out, i, n = [], 0, len(on)
    while i < n:
        if on[i]:
            j = i
            while j < n and on[j]:
                j += 1
            out.append((i + j - 1) // 2)
            i = j
        i += 1
    return out


def _rulings(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal and vertical line masks (strokes longer than any character), their gaps
    closed, and the strokes themselves as found (what is taken out of the text)."""
    import cv2

    h, w = ink.shape
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (max(40, w // 25), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, w // 42))))
    exact = cv2.bitwise_or(horizontal, vertical)
    # Close the small gaps that noise and JPEG leave in a line.
    horizontal = cv2.dilate(horizontal, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    vertical = cv2.dilate(vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 9)))
    return horizontal, vertical, exact


def _grids(horizontal: np.ndarray, vertical: np.ndarray) -> list[_Grid]:
    import cv2

    h, w = horizontal.shape
    lines = cv2.bitwise_or(horizontal, vertical)
    count, _labels, stats, _c = cv2.connectedComponentsWithStats(lines, connectivity=8)
    grids = []
    for i in range(1, count):
        x, y, bw, bh, _area = stats[i]
        if bw < w // 5 or bh < 20:
            continue
        sub_h = horizontal[y:y + bh, x:x + bw] > 0
        sub_v = vertical[y:y + bh, x:x + bw] > 0
        ys = _positions(sub_h.sum(axis=1), max(30, bw // 40))
        xs = _positions(sub_v.sum(axis=0), max(15, bh // 60))
        if len(xs) < 2 or len(ys) < 2:
            continue
        cells = _merge(sub_h, sub_v, xs, ys)
        grids.append(_Grid([x + c for c in xs], [y + r for r in ys], (x, y, x + bw, y + bh),
                           cells))
    grids.sort(key=lambda g: g.box[1])
    return grids


def _merge(sub_h: np.ndarray, sub_v: np.ndarray, xs: list[int], ys: list[int]):
    """Slots joined where no ruling separates them; each cell as (row, col, rows, cols)."""
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def covered(mask: np.ndarray, fixed: int, lo: int, hi: int, axis: int) -> bool:
        # the share of the segment with a line within ±3 px of the position
        if hi - lo < 4:
            return True
        a, b = max(0, fixed - 3), fixed + 4
        band = mask[lo:hi, a:b] if axis == 0 else mask[a:b, lo:hi]
        hits = band.any(axis=1) if axis == 0 else band.any(axis=0)
        inner = hits[2:-2] if len(hits) > 6 else hits
        return inner.mean() > 0.6

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not covered(sub_v, xs[c + 1], ys[r], ys[r + 1], 0):
                parent[find(r * nc + c)] = find(r * nc + c + 1)
            if r + 1 < nr and not covered(sub_h, ys[r + 1], xs[c], xs[c + 1], 1):
                parent[find(r * nc + c)] = find((r + 1) * nc + c)
    spans: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            root = find(r * nc + c)
            span = spans.setdefault(root, [r, c, r, c])
            span[0], span[1] = min(span[0], r), min(span[1], c)
            span[2], span[3] = max(span[2], r), max(span[3], c)
    cells = [(r0, c0, r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in spans.values()]
    cells.sort()
    return cells


# -- text lines --------------------------------------------------------------------------


def _text_lines(ink: np.ndarray, x0: int, y0: int, x1: int, y1: int,
                min_height: int) -> list[tuple[int, int, int, int]]:
    """Boxes of the lines of text inside a region (row profile, then each line's extent)."""
    region = ink[y0:y1, x0:x1]
    if region.size == 0:
        return []
    rows = region.sum(axis=1) // 255
    on = rows >= 1
    boxes = []
    i, n = 0, len(on)
    while i < n:
        if on[i]:
            j = i
            while j < n and (on[j] or (j + 2 < n and on[j + 1:j + 3].any())):
                j += 1
            if j - i >= min_height and rows[i:j].sum() >= 2 * min_height:
                cols = np.nonzero(region[i:j].sum(axis=0))[0]
                boxes.append((x0 + int(cols[0]), y0 + i, x0 + int(cols[-1]) + 1, y0 + j))
            i = j
        i += 1
    return boxes


PAD_Y, PAD_X = 4, 2  # measured best on the scan corpus (more margin reads worse)


def _crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A line's pixels with a white margin (the recogniser drops a glyph at the edge)."""
    h, w = gray.shape
    x0, y0, x1, y1 = box
    crop = gray[max(0, y0 - PAD_Y):min(h, y1 + PAD_Y), max(0, x0 - 2):min(w, x1 + 2)]
    return np.pad(crop, ((0, 0), (PAD_X, PAD_X)), constant_values=int(np.median(crop)))


def _widen(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape
    side = max(0, 2 * h - w) // 2
    return np.pad(crop, ((0, 0), (side, side)), constant_values=int(np.median(crop)))


# Letters the recogniser gives for a lone zero (a bare "0" often reads as "O"). Not "l"
# or "|" for 1: a dash cell (/) reads as those too.
_DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "〇": "0", "D": "0", "Q": "0"})
_LATIN = re.compile(r"[ODQo〇]")


# "一" between two characters read as a dash (上-年项目数量).
_DASH_FOR_ONE = re.compile(r"(?<=[\u4e00-\u9fff])[-－‐—](?=[\u4e00-\u9fff])")


_UNIT = re.compile(r"(万元|元|件|条|个|项|次|人次|家|宗)$")
# 件's left part (亻) read as a digit 1 after a zero (0件 as 01件): no count is printed
# with a leading zero, so the 1 is the unit's stroke, not a digit.
_RADICAL_ONE = re.compile(r"^(0+)1$")


def _as_read(text: str) -> str:
    """A cell's text; look-alike letters in a cell that is otherwise a number (a unit may
    follow) read as the digits they stand for: no table cell of a report is a Latin
    letter. The confidence stays the engine's, so such a value is still marked uncertain."""
    unit = _UNIT.search(text)
    stem = text[:unit.start()] if unit else text
    if has_cjk(stem):
        return _DASH_FOR_ONE.sub("一", text)
    if unit and unit[0] == "件" and _RADICAL_ONE.match(stem):
        return "0件"
    if _LATIN.search(stem):
        digits = stem.translate(_DIGIT_LOOKALIKES) + (unit[0] if unit else "")
        cell = parse_cell(digits)
        if cell is not None and cell.status == NUMBER:
            return digits
    return text


def _read_page(gray: np.ndarray, page: int, ocr, out: ScanReading) -> None:
    import cv2

    out.continued = False
    gray = deskew(gray)
    ink = _ink(gray)
    horizontal, vertical, exact = _rulings(ink)
    grids = _grids(horizontal, vertical)
    # The rulings (and a pixel around them: their blurred edge) are not text; text that
    # nearly touches a line (cells printed top-left) keeps its pixels.
    lines_mask = cv2.dilate(exact, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    text_ink = cv2.bitwise_and(ink, cv2.bitwise_not(lines_mask))
    # Remove isolated specks (noise) that would make lines of their own.
    text_ink = cv2.morphologyEx(text_ink, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (2, 2)))
    # The line images are cut from the page with the rulings painted over in the paper's
    # colour: a stroke of the cell's border in a crop reads as a character (or as none).
    paper = int(np.median(gray))
    gray = gray.copy()
    gray[cv2.dilate(lines_mask, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))) > 0] = paper
    min_height = max(5, gray.shape[1] // 250)
    crops: list[np.ndarray] = []
    page_items: list[tuple[int, str, object]] = []  # (top y, kind, payload) in page order

    outside = text_ink.copy()
    for t, grid in enumerate(grids):
        x0, y0, x1, y1 = grid.box
        outside[y0:y1 + 1, x0:x1 + 1] = 0
        # A table that goes on from the page before (nothing above it on this page) keeps
        # that page's columns: its lines are placed among the earlier ones (a merged label
        # column there may be one here).
        index = list(range(len(grid.xs)))
        if t == 0:
            out.continued = bool(out.last_columns) and not _text_lines(
                text_ink, 0, 0, gray.shape[1], max(0, y0 - 2), min_height)
        if t == 0 and out.continued:
            near = [min(range(len(out.last_columns)),
                        key=lambda k, x=x: abs(out.last_columns[k] - x)) for x in grid.xs]
            tolerance = max(6, gray.shape[1] // 150)
            if all(abs(out.last_columns[k] - x) <= tolerance
                   for k, x in zip(near, grid.xs, strict=True)) and \
                    len(set(near)) == len(near):
                index = near
        cells = []
        for r, c, rows, cols in grid.cells:
            cx0, cx1 = grid.xs[c], grid.xs[c + cols]
            cy0, cy1 = grid.ys[r], grid.ys[r + rows]
            boxes = _text_lines(text_ink, cx0 + 2, cy0 + 2, cx1 - 1, cy1 - 1, min_height)
            cells.append(((page, t, r), index[c], index[c + cols] - index[c], boxes))
        page_items.append((y0, "table", cells))
        columns = out.last_columns if index != list(range(len(grid.xs))) else grid.xs
    if grids:
        out.last_columns = columns
    for box in _text_lines(outside, 0, 0, gray.shape[1], gray.shape[0], min_height):
        page_items.append((box[1], "prose", box))
    page_items.sort(key=lambda item: item[0])

    pending: list[tuple[str, int, list]] = []  # (kind, index, the line boxes)
    for _y, kind, payload in page_items:
        if kind == "table":
            for row, col, span, boxes in payload:
                out.tokens.append(Token("", row, col, span))
                out.confidences.append(1.0)
                pending.append(("cell", len(out.tokens) - 1, boxes))
                crops.extend(_crop(gray, b) for b in boxes)
        else:
            out.lines.append("")
            pending.append(("prose", len(out.lines) - 1, [payload]))
            crops.append(_crop(gray, payload))
    results = ocr.recognize(crops)
    # A lone narrow glyph (one character of a wrapped label, a "0" printed at a cell's
    # edge) can come back empty: read again with a white margin to twice its height.
    empty = [i for i, (text, _s) in enumerate(results) if not text.strip()]
    if empty:
        for i, again in zip(empty, ocr.recognize([_widen(crops[i]) for i in empty]),
                            strict=True):
            results[i] = again
    at = 0
    again: list[tuple[int, str, tuple[int, int, int, int]]] = []
    for kind, index, boxes in pending:
        parts = results[at:at + len(boxes)]
        at += len(boxes)
        text = "".join(t for t, _s in parts)
        if kind == "prose":
            out.lines[index] = text
            continue
        text = _as_read(text)
        old = out.tokens[index]
        out.tokens[index] = Token(text, old.row, old.col, old.span)
        out.confidences[index] = round(min((s for _t, s in parts), default=1.0), 4)
        if len(boxes) == 1 and _UNIT.fullmatch(text):
            again.append((index, text, boxes[0]))
    # A unit with no number ("件"): the recogniser dropped a narrow digit before it (a
    # "0"). The part before the unit is read again on its own.
    if again:
        cut = []
        for _index, unit, (x0, y0, x1, y1) in again:
            width = int((y1 - y0) * 0.95 * len(unit))
            cut.append(_crop(gray, (x0, y0, max(x0 + 2, x1 - width), y1)))
        for (index, unit, _box), (digits, score) in zip(again, ocr.recognize(cut),
                                                       strict=True):
            text = _as_read(digits + unit)  # the crop may hold the unit's first stroke
            cell = parse_cell(text)
            if cell is not None and cell.status == NUMBER and "." not in text:
                old = out.tokens[index]
                out.tokens[index] = Token(text, old.row, old.col, old.span)
                out.confidences[index] = round(min(out.confidences[index], score), 4)


def _join_split_row(out: ScanReading, start: int) -> None:
    """A table row cut by a page break: the first row of the new page, if every cell of it
    with text sits under a cell of the last row before the break and none of them is a
    value, is the rest of that row's labels (6.属于四类过 | 程性信息). Only where the page
    starts with the table the page before ended with."""
    if start >= len(out.tokens):
        return
    first = out.tokens[start].row
    cont = [i for i in range(start, len(out.tokens)) if out.tokens[i].row == first]
    last = out.tokens[start - 1].row
    before = {out.tokens[i].col: i for i in range(start - 1, -1, -1)
              if out.tokens[i].row == last}
    texts = [(i, out.tokens[i].text) for i in cont if out.tokens[i].text.strip()]
    if not texts or any(out.tokens[i].col not in before
                        or out.tokens[before[out.tokens[i].col]].span != out.tokens[i].span
                        for i, _t in texts):
        return
    if any(parse_cell(text) is not None for _i, text in texts):
        return  # a value of its own: a new row
    for i, text in texts:
        j = before[out.tokens[i].col]
        old = out.tokens[j]
        out.tokens[j] = Token(old.text + text, old.row, old.col, old.span)
        out.confidences[j] = min(out.confidences[j], out.confidences[i])
    for i in reversed(cont):
        del out.tokens[i]
        del out.confidences[i]


def value_sources(tokens: list[TokenTuple]) -> dict[str, int]:
    """Which token each filed value came from (its index), by reading growing prefixes of
    the tokens: the table reader files values in token order. The one place this module
    calls the label matching (through `read_tables`)."""
    sources: dict[str, int] = {}
    # Prefixes at row ends are enough to place most values; a row's values are then
    # matched to its value tokens in order.
    for end in range(1, len(tokens) + 1):
        if end < len(tokens) and tokens[end][1] == tokens[end - 1][1]:
            continue
        reading = read_tables(tokens[:end])
        fresh = [key for key in reading.values if key not in sources]
        if not fresh:
            continue
        start = end
        while start > 0 and tokens[start - 1][1] == tokens[end - 1][1]:
            start -= 1
        row = list(range(start, end))
        for key in fresh:
            raw = reading.values[key].raw
            match = next((i for i in row if tokens[i][0] == raw), None)
            if match is None:
                match = row[-1]
            else:
                row.remove(match)
            sources[key] = match
    return sources


# -- where the page images come from -------------------------------------------------------

IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00",
               b"MM\x00*")
MIN_PAGE_WIDTH = 400  # px: narrower pictures in a page are icons, logos, QR codes


def is_image(body: bytes) -> bool:
    """A picture by its signature (a BMP's "BM" only with its reserved bytes zero: text
    may start with those two letters)."""
    return (body.startswith(IMAGE_MAGIC) or (body[:4] == b"RIFF" and body[8:12] == b"WEBP")
            or (body[:2] == b"BM" and len(body) > 26 and body[6:10] == b"\0\0\0\0"))


def pdf_pages(body: bytes, dpi: int = 150) -> list[Callable[[], np.ndarray]]:
    """Each page of a PDF rendered to grayscale when it is read (at 150 dpi, and at least
    1240 px wide: the size the recogniser reads 9 pt text best at)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(body)

    def render(index: int) -> np.ndarray:
        page = pdf[index]
        width = page.get_width() or 595
        scale = max(dpi / 72, 1240 / width)
        bitmap = page.render(scale=scale, grayscale=True)
        pixels = bitmap.to_numpy()
        return pixels[:, :, 0].copy() if pixels.ndim == 3 else pixels.copy()

    return [lambda i=i: render(i) for i in range(len(pdf))]


def docx_pictures(body: bytes) -> list[bytes]:
    """The pictures of a DOCX body in document order (as word/document.xml embeds them)."""
    import io
    import zipfile

    from lxml import etree

    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        media = sorted(n for n in names if n.startswith("word/media/"))
        if "word/_rels/document.xml.rels" not in names:
            return [archive.read(n) for n in media]  # no relationships: in name order
        rels = etree.fromstring(archive.read("word/_rels/document.xml.rels"), parser)
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        document = etree.fromstring(archive.read("word/document.xml"), parser)
        out = []
        for el in document.iter():
            target = targets.get(el.get(f"{rel_ns}embed") or "")
            if target:
                path = target.lstrip("/") if target.startswith("/") else f"word/{target}"
                if path in names:
                    out.append(archive.read(path))
        return out


def html_image_urls(body: bytes, base: str | None) -> list[str]:
    """The <img> sources of a page's body, absolute, in page order, once each."""
    from urllib.parse import urljoin

    from lxml import etree

    root = etree.HTML(body or b"<html></html>")
    if root is None:
        return []
    seen, out = set(), []
    for img in root.iter("img"):
        src = (img.get("src") or img.get("data-src") or "").strip()
        if not src or src.startswith("data:"):
            continue
        url = urljoin(base or "", src)
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out


def read_pictures(pictures: list[bytes], *, strict: bool = False, **bounds) -> ScanReading:
    """OCR of pictures (decoded up front, so that icons and logos can be left out); with
    ``strict`` a picture that cannot be decoded is an error (a document that is one)."""
    pages = []
    skipped = 0
    for data in pictures:
        try:
            image = decode_image(data)
        except ScanError:
            if strict:
                raise
            skipped += 1
            continue
        if image.shape[1] >= MIN_PAGE_WIDTH:
            pages.append(image)
    reading = read_scan(pages, **bounds)
    if skipped:
        reading.notes.append(f"{skipped} picture(s) could not be decoded")
    return reading


def title_line(lines: list[str]) -> str | None:
    """The report's title among the first OCR'd lines (the first that names a report)."""
    return next((line for line in lines[:8] if "报告" in line or "年报" in line), None)


_POINT_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")


def recount(cells: dict[str, Cell]) -> bool:
    """Counts whose thousands separator was read as a point (2,189 as 2.189): a count is
    never fractional, so the point is a misread comma. True when any cell changed."""
    schema = load_schema()
    changed = False
    for key, cell in cells.items():
        if (cell.status == NUMBER and isinstance(cell.value, float) and cell.raw
                and schema.keys[key].unit is None
                and _POINT_THOUSANDS.match(nfkc(cell.raw).strip())):
            cells[key] = Cell(cell.raw, int(nfkc(cell.raw).strip().replace(".", "")), NUMBER)
            changed = True
    return changed


def ocr_summary(reading: ScanReading, values: dict, sources: dict[str, int]) -> dict:
    """The report JSON's ``ocr`` object: what was read and how sure each value is."""
    cells = {}
    for key in values:
        index = sources.get(key)
        if index is not None:
            cells[key] = {"ocr": True, "confidence": reading.confidences[index]}
    return {"engine": reading.engine, "pages": reading.pages,
            "pages_total": reading.pages_total, "seconds": round(reading.seconds, 2),
            "bound": reading.bound, "cells": cells}
