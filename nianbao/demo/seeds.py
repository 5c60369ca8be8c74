"""The five bundled seed reports and their hand-checked values.

A seed is a real annual report flattened to text (one table cell per line) plus a JSON file
with the values a careful human read off its tables.  The demo portals re-publish each seed
as HTML or .docx; tests then check that the crawler + parser recover the JSON values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

Number = int | float

# Word exports leave bookmark anchors in the text; they are not part of the prose.
_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# A top-level section heading such as "一、总体情况" (seed 003 indents one with a space).
_HEADING = re.compile(r"^([一二三四五六七八九])、\S")
_NUMERALS = "一二三四五六七八九"
# Sections whose prose the demo re-publishes: 一 (overview), 五 (problems), 六 (other matters).
_PROSE_SECTIONS = {"一", "五", "六"}
# A paragraph normally ends with sentence punctuation; title and signature lines do not.
_SENTENCE_END = ("。", "：", ":", "；", ";", "！", "？", ")", "）", "”")
_SHORT_LINE = 40
_STRIP = " \t\u3000\xa0"


@dataclass(frozen=True)
class Seed:
    """One seed report: its raw text, the checked values and the prose to re-publish."""

    id: str
    text: str
    expected: dict[str, Any]
    values: dict[str, Number]
    agency: str
    year: int
    format: str
    narrative: list[tuple[str, list[str]]] = field(default_factory=list)


def _clean(line: str) -> str:
    return _BOOKMARK.sub("", line).strip(_STRIP)


def _is_noise(line: str) -> bool:
    """Lines left over from a lossy conversion: only question marks (002's lost glyphs)."""
    return not line.strip(_STRIP + "?")


def _is_title_or_signature(line: str) -> bool:
    """Short line without sentence punctuation: a title line or the agency/date signature."""
    core = line.strip(_STRIP + "?")
    return len(core) < _SHORT_LINE and not core.endswith(_SENTENCE_END)


def extract_narrative(text: str) -> list[tuple[str, list[str]]]:
    """Split a seed's text into its prose sections as (heading, paragraphs).

    The intro before "一、" comes first with an empty heading; then sections 一, 五 and 六
    (the table sections 二–四 are rendered from the checked values instead).  Headings must
    appear in increasing order, so table rows like "一、本年新收…" or "四、结转下年度…" that sit
    inside section 三 never open a new section.
    """
    sections: list[tuple[str, list[str]]] = []
    current: list[str] | None = []
    intro = current
    seen = -1
    for raw in text.splitlines():
        if raw.startswith("\t"):  # a table cell in the tab-prefixed seeds
            continue
        line = _clean(raw)
        if not line or _is_noise(line):
            continue
        match = _HEADING.match(line)
        if match and _NUMERALS.index(match.group(1)) > seen and len(line) <= _SHORT_LINE:
            seen = _NUMERALS.index(match.group(1))
            if match.group(1) in _PROSE_SECTIONS:
                current = []
                sections.append((line, current))
            else:
                current = None
            continue
        if current is None:
            continue
        if current is intro and _is_title_or_signature(line):
            continue  # title lines above the intro paragraph
        current.append(line)
    if sections:  # the signature (agency, date) trails the last section
        last = sections[-1][1]
        while last and _is_title_or_signature(last[-1]):
            last.pop()
    result = [("", intro)] if intro else []
    return result + [(heading, paras) for heading, paras in sections if paras]


@lru_cache(maxsize=1)
def _load() -> tuple[Seed, ...]:
    root = resources.files("nianbao.demo") / "seeds"
    seeds = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".txt"):
            continue
        stem = entry.name[: -len(".txt")]
        text = entry.read_text(encoding="utf-8")
        expected = json.loads((root / "expected" / f"{stem}.json").read_text(encoding="utf-8"))
        seeds.append(
            Seed(
                id=stem.split("_", 1)[0],
                text=text,
                expected=expected,
                values=dict(expected["values"]),
                agency=expected["agency"],
                year=int(expected["year"]),
                format=str(expected["format"]),
                narrative=extract_narrative(text),
            )
        )
    return tuple(seeds)


def load_seeds() -> list[Seed]:
    """All bundled seeds, sorted by id ("000".."004").  Parsed once, then cached."""
    return list(_load())


def get_seed(seed_id: str) -> Seed:
    """The seed with the given id ("000".."004")."""
    for seed in _load():
        if seed.id == seed_id:
            return seed
    raise KeyError(seed_id)
