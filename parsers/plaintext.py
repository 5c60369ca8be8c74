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
        elif tabbed and in_cell:
            tokens[-1] += line.strip()  # a cell's text continued on the next line
        else:
            tokens.append(line.strip())
            in_cell = False
    if not tabbed:
        tokens = [t for t in tokens if t]
    lines = [line for line in (clean(t) for t in tokens) if line]
    doc = Document(kind="text", lines=lines, tokens=[Token(t) for t in tokens])
    doc.title = _title(lines)
    return doc


def _title(lines: list[str]) -> str | None:
    for index, line in enumerate(lines[:4]):
        if "年度报告" in line:
            start = 0 if index and all(len(x) < 40 for x in lines[:index]) else index
            return "".join(lines[start:index + 1])
    return None
