"""Reading a table cell as printed: a number, or one of the ways reports leave a cell empty.

A blank cell, a dash and a cell reading 无 are different things on paper and are kept
apart here (``status``), with the raw text; none of them is turned into 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .text import nfkc

NUMBER = "number"
BLANK = "blank"  # the cell exists and is empty
DASH = "dash"  # —, -, / and the like
NONE_WORD = "none"  # 无
ABSENT = "absent"  # the row or column is not in the document at all


@dataclass(frozen=True)
class Cell:
    raw: str | None
    value: int | float | None
    status: str

    @classmethod
    def absent(cls) -> Cell:
        return cls(None, None, ABSENT)


_NUMBER = re.compile(
    r"""^(?P<sign>[+\-−]|增加?|减少?)?\s*
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*
        (?P<unit>万元|元|件|条|个|项|次|人次|家|宗)?$""",
    re.VERBOSE,
)
_DASHES = {"-", "—", "——", "–", "/", "\\", "－", "―", "一", "--", "/ /"}
_NONE_WORDS = {"无", "無", "暂无"}
# Noise that converters leave after numbers: a question mark for an unknown glyph.
_TRAILING_NOISE = re.compile(r"[?？\u00a0\s]+$")
_INNER_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def parse_cell(text: str) -> Cell | None:
    """The cell as a value, or None when the text is a label rather than a value."""
    raw = text
    norm = nfkc(text)
    norm = _TRAILING_NOISE.sub("", norm).strip()
    if "\n" in norm:  # a number wrapped in a narrow cell: 1,31⏎8 or 2⏎件
        joined = _INNER_SPACE.sub("", norm)
        if _NUMBER.match(joined):
            norm = joined
    if not norm:
        return Cell(raw, None, BLANK)
    if norm in _DASHES:
        return Cell(raw, None, DASH)
    if norm in _NONE_WORDS:
        return Cell(raw, None, NONE_WORD)
    match = _NUMBER.match(norm)
    if not match:
        return None
    digits = match["num"].replace(",", "")
    number: int | float = float(digits) if "." in digits else int(digits)
    if match["sign"] in ("-", "−") or (match["sign"] or "").startswith("减"):
        number = -number
    return Cell(raw, number, NUMBER)
