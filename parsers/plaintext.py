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
from .text import clean

_NOISE = re.compile(r"^[?？\s]*$")
# Columns of a tab- or space-aligned row: a tab, or two or more spaces (ideographic too).
_COLUMN_GAP = re.compile(r"\t|[ \u3000\u00a0]{2,}")
_VALUE = re.compile(r"^(?:[+\-−]?[\d０-９][\d０-９,，.]*(?:万元|元|件)?[?？]?|[—\-/－―]+|无)$")
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")


def read_text(text: str) -> Document:
    raw_lines = text.splitlines()
    tabbed = sum(1 for line in raw_lines if line.startswith("\t")) >= 10
    tokens: list[str] = []
    in_cell = False
    for line in raw_lines:
        line = _BOOKMARK.sub("", line)
        if tabbed and line.startswith("\t"):
            tokens.append(line.strip())
            in_cell = True
        elif not line.strip():
            in_cell = False
        elif _NOISE.match(line):
            continue
        elif tabbed and in_cell and "\t" not in line:
            tokens[-1] += line.strip()  # a cell's text continued on the next line
        else:
            tokens.append(line.strip())
            in_cell = False
    if not tabbed:
        tokens = [t for t in tokens if t]
    lines = [line for line in (clean(t) for t in tokens) if line]
    cells = [cell for t in tokens for cell in _cells(t)]
    doc = Document(kind="text", lines=lines, tokens=[Token(t) for t in cells])
    doc.title = _title(lines)
    return doc


def _cells(line: str) -> list[str]:
    """An aligned row as its cells; any other line as itself.

    A tab separates cells (an empty field between two tabs is a blank cell); two or more
    spaces do too. A single space separates cells only in a run of values after a label
    (``一、本年新收政府信息公开申请数量 5 1 0 0``), never inside prose.
    """
    stripped = line.strip(" \u3000")
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
