"""Plain text reports, as portals' "text versions" and converters print them.

The delimiter is inferred from the document: Word's text export (every table cell a
line starting with a tab; a cell's own line breaks continue without one), a row a line
with cells between tabs, between pipes (markdown, with or without its separator rows,
and the full-width ｜), or between runs of spaces (then each cell keeps its screen
columns, so a blank cell is put back where it stands), or one cell a line and nothing
else. Every cell becomes a token, and the section headings between tables tell the table
reader where it is.
"""

from __future__ import annotations

import bisect
import re

from .document import Document
from .tables import Token
from .text import clean_each
from .values import parse_cell

_NOISE = re.compile(r"^[?？\s]*$")
# A cell of a space-aligned row: text whose spaces come one at a time (two or more spaces,
# ideographic too, end a cell).
_SPACE_CELL = re.compile(
    r"[^ \u3000\u00a0\t]+(?:[ \u3000\u00a0](?![ \u3000\u00a0])[^ \u3000\u00a0\t]+)*")
_PIPE = re.compile(r"[|｜]")
# Characters a monospaced screen shows two columns wide (Unicode East Asian Width W and F:
# CJK, kana, hangul, full-width forms; emoji and rare scripts aside); the ambiguous ones
# (“ — …) count one, as terminals do.
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
                   "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60"
                   "\uffe0-\uffe6\U00020000-\U0003fffd]+")
_MARKDOWN_RULE = re.compile(r"^\s*[|｜]?\s*:?-{2,}:?\s*(?:[|｜]\s*:?-{2,}:?\s*)*[|｜]?\s*$")
_VALUE = re.compile(r"^(?:[+\-−]?[\d０-９][\d０-９,，.]*(?:万元|元|件)?[?？]?|[—\-/－―]+|无)$")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")


def read_text(text: str) -> Document:
    raw_lines = text.splitlines()
    delimiter = _delimiter(raw_lines)
    tabbed = delimiter == "cell-lines"
    aligned = delimiter in ("tab", "pipe", "pipe-framed")
    tokens: list[tuple[str, int | None]] = []  # (text, table row) in reading order
    in_cell = False
    row = 0
    for line in raw_lines:
        line = _BOOKMARK.sub("", line)
        if tabbed and line.startswith("\t"):
            tokens.append((line.strip(), row))
            in_cell = True
        elif tabbed and in_cell and line and not line.strip():
            continue  # a cell's line of spaces; only a truly empty line ends the row
        elif not line.strip():
            in_cell = False
            row += 1  # Word's export ends each table row with an empty line
        elif _NOISE.match(line) or (delimiter != "space" and _MARKDOWN_RULE.match(line)):
            continue
        elif tabbed and in_cell and "\t" not in line:
            tokens[-1] = (tokens[-1][0] + line.strip(), tokens[-1][1])  # a cell's next line
        else:
            tokens.append((line if aligned or delimiter == "space" else line.strip(), None))
            in_cell = False
            row += 1
    if not tabbed:
        tokens = [t for t in tokens if t[0].strip()]
    lines = [line for line in clean_each([_unpipe(t) if delimiter.startswith("pipe") else t
                                          for t, _row in tokens]) if line]
    rows: list[list[str] | None] = []
    positions: list[list[tuple[int, int]] | None] = []
    for t, _row_id in tokens:
        parts, where = _cells(t, delimiter)
        rows.append(parts if len(parts) > 1 else None)
        positions.append(where)
    notes = _fill_blanks(rows, positions) if delimiter == "space" else []
    cells: list[Token] = []
    for n, (t, row_id) in enumerate(tokens):
        parts = rows[n]
        if parts is not None:  # an aligned row: its cells share a row
            cells += [Token(p, ("line", n)) for p in parts]
        else:
            cells.append(Token(t.strip(), ("row", row_id) if row_id is not None else None))
    doc = Document(kind="text", lines=lines, tokens=cells, notes=notes)
    doc.title = _title(lines)
    return doc


def _delimiter(lines: list[str]) -> str:
    """How the document's tables separate cells, from how many lines look like rows:
    "pipe-framed" (| a | b |, markdown) or "pipe" (a | b, ｜ too), "tab" (a row a line,
    cells between tabs),
    "cell-lines" (Word's text export: a cell a line, led by a tab) or "space" (runs of
    spaces, or one cell a line)."""
    piped = [line.strip(" \u3000\r\n") for line in lines
             if line.count("|") + line.count("｜") >= 2]
    if len(piped) >= 3:
        # Framed (markdown: | a | b |) when most rows start and end with a pipe; else a
        # leading or trailing pipe is a blank first or last cell.
        framed = sum(1 for line in piped if line[:1] in "|｜" and line[-1:] in "|｜")
        return "pipe-framed" if framed >= 0.8 * len(piped) else "pipe"
    if sum(1 for line in lines if line.count("\t") >= 3) >= 5:
        return "tab"
    if sum(1 for line in lines if line.startswith("\t")) >= 10:
        return "cell-lines"
    return "space"


def _unpipe(line: str) -> str:
    return " ".join(p.strip() for p in _PIPE.split(line.strip().strip("|｜")))


def _cells(line: str, delimiter: str) -> tuple[list[str], list[tuple[int, int]] | None]:
    """A table row as its cells (and, where runs of spaces align them, each cell's columns
    on a monospaced screen: CJK characters are two wide); any other line as itself.

    Tabs and pipes separate cells wherever they stand, and an empty field between two is a
    blank cell. Two or more spaces separate cells in a text without tabs or pipes. A single
    space separates cells only in a run of values after a label
    (``一、本年新收政府信息公开申请数量 5 1 0 0``), never inside prose.
    """
    if delimiter.startswith("pipe"):
        if not _PIPE.search(line):
            return [line.strip()], None
        body = line.strip(" \u3000\r\n")
        if delimiter == "pipe-framed":
            body = body[1:] if body[:1] in "|｜" else body
            body = body[:-1] if body[-1:] in "|｜" else body
        return [p.strip() for p in _PIPE.split(body)], None
    stripped = line.strip(" \u3000\r\n")
    if delimiter == "tab":
        parts = stripped.split("\t")
        return [p.strip() for p in parts], None
    if delimiter == "space":
        matches = list(_SPACE_CELL.finditer(line.rstrip()))
        if len(matches) > 1:
            width = _width_prefix(line)
            return ([m.group().strip() for m in matches],
                    [(width(m.start()), width(m.end())) for m in matches])
    words = stripped.split(" ")
    values = 0
    while values < len(words) and _VALUE.match(words[len(words) - 1 - values]):
        values += 1
    if values >= 2 and values < len(words):
        return [" ".join(words[: len(words) - values]), *words[len(words) - values:]], None
    if values >= 2 and values == len(words):
        return words, None
    return [line], None


def _width_prefix(line: str):
    """Offset in the line -> its column on a monospaced screen (wide characters count 2).

    The line's runs of wide characters are found once; an offset's column is the offset
    plus the wide characters before it (the runs before it, and its own run so far)."""
    if line.isascii():
        return int
    starts: list[int] = []
    ends: list[int] = []
    before = [0]  # wide characters in the runs before run k
    for match in _WIDE.finditer(line):
        starts.append(match.start())
        ends.append(match.end())
        before.append(before[-1] + match.end() - match.start())

    def width(offset: int) -> int:
        k = bisect.bisect_right(starts, offset) - 1
        return offset if k < 0 else offset + before[k] + min(offset, ends[k]) - starts[k]
    return width


def _fill_blanks(rows: list[list[str] | None],
                 positions: list[list[tuple[int, int]] | None]) -> list[str]:
    """Blank cells of a space-aligned table, put back where they stand.

    A blank cell prints as nothing, so a row of values shows fewer cells than its table
    has columns. In a run of rows of values, the columns are found from where the values
    stand: the spans of screen positions that values of different rows overlap, or, where
    values are aligned differently from row to row, the spans the values of the fullest
    rows cover. A short row gets a blank cell in each column it prints nothing in. Where
    the columns cannot be told apart, the row is left as printed and a note says so.
    """
    notes: list[str] = []
    n = 0
    while n < len(rows):
        run = []
        while n < len(rows) and rows[n] is not None and positions[n] is not None and any(
                parse_cell(c) is not None for c in rows[n]):
            run.append(n)
            n += 1
        n += 1
        values = {i: [k for k, c in enumerate(rows[i]) if parse_cell(c) is not None]
                  for i in run}
        spans = {i: [positions[i][k] for k in values[i]] for i in run}
        widest = max((len(v) for v in values.values()), default=0)
        # The header right above the run; failing that, the one above the rows of labels
        # alone that broke the table into runs (a row whose every value is blank prints
        # its label only, which reads as a line of text).
        columns = run and (_header_columns(rows, positions, run, spans)
                           or _header_columns(rows, positions, run, spans, past_labels=True))
        columns = columns or None
        by_header = columns is not None
        if columns and len(columns) > widest:
            widest = len(columns)  # the header has columns no row fills: blanks
        short = [i for i in run if len(values[i]) < widest]
        if not short:
            continue
        if not columns and len(run) > 1:
            columns = _merged_columns(spans, widest) or _full_row_columns(spans, widest)
        for i in short:
            slots = None if not columns else (_under_header(spans[i], columns) if by_header
                                              else _place(spans[i], columns))
            if slots is None:
                notes.append(f"text table: row {rows[i][0]!r} prints {len(values[i])} of "
                             f"{widest} values and its columns cannot be told apart")
                continue
            cells: list[str] = [""] * len(columns)
            for k, j in zip(values[i], slots, strict=True):
                cells[j] = rows[i][k]
            first = values[i][0]
            rows[i] = rows[i][:first] + cells
    return notes


def _header_columns(rows: list[list[str] | None], positions: list, run: list[int],
                    spans: dict[int, list[tuple[int, int]]],
                    past_labels: bool = False) -> list[tuple[int, int]] | None:
    """Columns as the header prints them: the header cells above the run that no cell of a
    lower header line stands under (the leaves of a merged header), right of the labels.
    Only where every value of the run stands under exactly one of them.

    With past_labels, lines of one cell between rows of values (a row's label with every
    value blank) do not end the search."""
    # The labels' area: columns of the header over it (its corner cell) hold no values.
    labels_end = max((b for i in run for c, (_a, b) in zip(rows[i], positions[i], strict=True)
                      if c and parse_cell(c) is None), default=0)
    first_value = min((row[0][0] for row in spans.values() if row), default=0)
    # Up the table to its header: past rows of values (an earlier run of the same table)
    # and rows of labels alone (every value blank), to the lines of labels over the values.
    lines: list[list[tuple[int, int]]] = []
    j = run[0] - 1
    crossable = past_labels  # the line below was a row of values (or a label crossed)
    while j >= max(0, run[0] - 80):
        if rows[j] is None or positions[j] is None:
            # Only a label between rows of values: a line over a header line is a heading.
            if lines or not crossable:
                break
            j -= 1
            continue
        crossable = past_labels and any(parse_cell(c) is not None for c in rows[j])
        # a line of labels reaching over the values, or standing right of the row labels
        # (a narrow header over wide columns whose numbers sit further right)
        header = all(parse_cell(c) is None for c in rows[j] if c) and (
            any(b > first_value for _a, b in positions[j])
            or any(a >= labels_end for a, _b in positions[j][1:]))
        if header:
            lines.insert(0, positions[j])
        elif lines:
            break
        j -= 1
    if not lines:
        return None
    leaves = [(a, b) for n, line in enumerate(lines) for a, b in line
              if a >= labels_end and not any(c < b and a < d for lower in lines[n + 1:]
                                             for c, d in lower)]
    leaves.sort()
    if len(leaves) < 2:
        return None
    # Each leaf heads the screen columns up to the next leaf's start (a header left-aligned
    # over right-aligned numbers, or centred over wider ones, still stands over them).
    columns = [(a, b) for (a, _e), (b, _f) in zip(leaves, leaves[1:] + [(1 << 30, 0)],
                                                  strict=True)]
    placed = {i: _under_header(row, columns) for i, row in spans.items()}
    if any(slots is None for slots in placed.values()):
        return None
    # A header that only happens to sit above values that are not aligned must not place
    # them. One row: each value stands under its leaf's own text, or right of the whole
    # header in its last column (no other column can hold it). More rows: the values
    # under one leaf stand over each other (most of them: a row may align differently).
    if len(spans) == 1:
        ((row_spans, slots),) = ((spans[i], placed[i]) for i in spans)
        last = len(leaves) - 1
        if any(not (leaves[j][0] < end and start < leaves[j][1])
               and not (j == last and start >= leaves[j][1])
               for (start, end), j in zip(row_spans, slots, strict=True)):
            return None
        return columns
    under: dict[int, list[tuple[int, int]]] = {}
    for i, row in spans.items():
        for span, j in zip(row, placed[i], strict=True):
            under.setdefault(j, []).append(span)
    stacked = [v for v in under.values() if len(v) > 1]
    agree = sum(1 for v in stacked for k, (a, b) in enumerate(v)
                if any(c < b and a < d for m, (c, d) in enumerate(v) if m != k))
    if agree < 0.8 * sum(len(v) for v in stacked):
        return None
    return columns


def _under_header(row: list[tuple[int, int]], columns: list[tuple[int, int]]) -> list[int] | None:
    """The header column of each value: the last one starting at or before the value's
    last character; None if a value stands left of every column or two share one."""
    starts = [a for a, _b in columns]
    slots: list[int] = []
    for _start, end in row:
        j = bisect.bisect_right(starts, end - 1) - 1
        if j < 0 or (slots and j <= slots[-1]):
            return None
        slots.append(j)
    return slots


def _merged_columns(spans: dict[int, list[tuple[int, int]]],
                    widest: int) -> list[tuple[int, int]] | None:
    """Columns as the spans that values of different rows overlap, if every row's values
    then fall in distinct columns."""
    merged: list[list[int]] = []
    for start, end in sorted(span for row in spans.values() for span in row):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    columns = [(a, b) for a, b in merged]
    if len(columns) != widest or any(_place(row, columns, exact=True) is None
                                    for row in spans.values()):
        return None
    return columns


def _full_row_columns(spans: dict[int, list[tuple[int, int]]],
                      widest: int) -> list[tuple[int, int]] | None:
    """Columns as the spans the values of the fullest rows cover, if those do not overlap."""
    full = [row for row in spans.values() if len(row) == widest]
    columns = [(min(row[j][0] for row in full), max(row[j][1] for row in full))
               for j in range(widest)]
    if any(b[0] < a[1] for a, b in zip(columns, columns[1:], strict=False)):
        return None
    return columns


def _place(row: list[tuple[int, int]], columns: list[tuple[int, int]],
           exact: bool = False) -> list[int] | None:
    """The column of each value of a row (left to right, one value a column), or None."""
    slots = []
    for start, end in row:
        inside = [j for j, (a, b) in enumerate(columns) if a < end and start < b]
        if len(inside) == 1:
            j = inside[0]
        elif exact or inside:
            return None
        else:  # between columns: the nearest one
            centre = (start + end) / 2
            j = min(range(len(columns)), key=lambda j: abs(sum(columns[j]) / 2 - centre))
        if slots and j <= slots[-1]:
            return None
        slots.append(j)
    return slots


def _title(lines: list[str]) -> str | None:
    for index, line in enumerate(lines[:4]):
        if "年度报告" in line:
            start = 0 if index and all(len(x) < 40 for x in lines[:index]) else index
            return "".join(lines[start:index + 1])
    return None
