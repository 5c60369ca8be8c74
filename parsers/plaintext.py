"""Plain text reports, as portals' "text versions" and converters print them.

Two layouts are common: Word's text export, where every table cell is a line starting
with a tab (a cell's own line breaks continue without one), and a flatter one with one
cell per line and nothing else. Either way each line becomes a token, and the section
headings between tables tell the table reader where it is.
"""

from __future__ import annotations

import re

from .document import Document
from .tables import Token
from .text import clean_each

_NOISE = re.compile(r"^[?？\s]*$")
# Columns of a tab- or space-aligned row: a tab, or two or more spaces (ideographic too).
_COLUMN_GAP = re.compile(r"\t|[ \u3000\u00a0]{2,}")
_VALUE = re.compile(r"^(?:[+\-−]?[\d０-９][\d０-９,，.]*(?:万元|元|件)?[?？]?|[—\-/－―]+|无)$")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")


def read_text(text: str) -> Document:
    raw_lines = text.splitlines()
    # A tab- or space-aligned export prints a table row per line (several tabs a line);
    # Word's text export prints a cell per line, each led by one tab.
    aligned = sum(1 for line in raw_lines if line.count("\t") >= 3) >= 5
    tabbed = not aligned and sum(1 for line in raw_lines if line.startswith("\t")) >= 10
    tokens: list[tuple[str, int | None]] = []  # (text, table row) in reading order
    in_cell = False
    row = 0
    for line in raw_lines:
        line = _BOOKMARK.sub("", line)
        if tabbed and line.startswith("\t"):
            tokens.append((line.strip(), row))
            in_cell = True
        elif not line.strip():
            in_cell = False
            row += 1  # Word's export ends each table row with an empty line
        elif _NOISE.match(line):
            continue
        elif tabbed and in_cell and "\t" not in line:
            tokens[-1] = (tokens[-1][0] + line.strip(), tokens[-1][1])  # a cell's next line
        else:
            tokens.append((line if aligned else line.strip(), None))
            in_cell = False
            row += 1
    if not tabbed:
        tokens = [t for t in tokens if t[0].strip()]
    lines = [line for line in clean_each([t for t, _row in tokens]) if line]
    cells: list[Token] = []
    for n, (t, row_id) in enumerate(tokens):
        parts = _cells(t)
        if len(parts) > 1:  # an aligned row: its cells share a row
            cells += [Token(p, ("line", n)) for p in parts]
        else:
            cells.append(Token(parts[0].strip(), ("row", row_id) if row_id is not None else None))
    doc = Document(kind="text", lines=lines, tokens=cells)
    doc.title = _title(lines)
    return doc


def _cells(line: str) -> list[str]:
    """An aligned row as its cells; any other line as itself.

    A tab separates cells (an empty field between two tabs is a blank cell); two or more
    spaces do too. A single space separates cells only in a run of values after a label
    (``一、本年新收政府信息公开申请数量 5 1 0 0``), never inside prose.
    """
    stripped = line.strip(" \u3000\r\n")
    parts = _COLUMN_GAP.split(stripped)
    if len(parts) > 1:
        return [p.strip() for p in parts]
    words = stripped.split(" ")
    values = 0
    while values < len(words) and _VALUE.match(words[len(words) - 1 - values]):
        values += 1
    if values >= 2 and values < len(words):
        return [" ".join(words[: len(words) - values]), *words[len(words) - values:]]
    if values >= 2 and values == len(words):
        return words
    return [line]


def _title(lines: list[str]) -> str | None:
    for index, line in enumerate(lines[:4]):
        if "年度报告" in line:
            start = 0 if index and all(len(x) < 40 for x in lines[:index]) else index
            return "".join(lines[start:index + 1])
    return None
