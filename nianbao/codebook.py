"""The codebook: every canonical key with its Chinese label as the official templates print
it, an English label, the section of the report it belongs to and the formats that have it.

Built from parsers/data/report-schema.json (the one list of keys): the Chinese label is the
schema's printed row and column, the English label is spelled from the key's parts. It is
what `nianbao keys` lists, what ships beside every export (codebook.csv, or a header block
in JSON lines) and what `nianbao serve` shows as column descriptions.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TextIO

# The three numbered sections of the official format that carry tables.
SECTIONS = {
    "active": ("二、主动公开政府信息情况", "proactive disclosure"),
    "applications": ("三、收到和处理政府信息公开申请情况", "applications received and handled"),
    "appeals": ("四、政府信息公开行政复议、行政诉讼情况", "administrative review and litigation"),
}

# 第二十条's items, as the section-二 table numbers its blocks.
_ACTIVE_ITEMS = {"rules": "（一）", "normative_docs": "（一）", "licensing": "（五）",
                 "other_services": "（五）", "penalty": "（六）", "coercion": "（六）",
                 "fees": "（八）", "procurement": "（九）"}
# The applicant columns the section-三 table groups under 法人或其他组织.
_ORGANISATIONS = {"commercial", "research", "social_welfare", "legal_service", "other_org"}

# English words for the parts of a key; a part not listed is spelled with spaces.
_ENGLISH = {
    "active": "proactive", "rules": "rules (规章)",
    "normative_docs": "normative documents", "licensing": "administrative licensing",
    "penalty": "administrative penalties", "coercion": "administrative coercion",
    "fees": "administrative fees", "other_services": "other public services",
    "procurement": "government procurement", "in_force": "in force",
    "issued": "issued this year", "repealed": "repealed this year", "made": "made this year",
    "published": "published this year", "total": "total", "change": "change this year",
    "decisions": "decisions", "prev_items": "items the year before", "amount": "amount",
    "items": "items",
    "applications": "applications", "received": "received this year",
    "carried_over": "carried over from last year", "granted": "granted",
    "partially_granted": "partly granted", "withheld": "withheld",
    "state_secret": "state secret", "prohibited_by_law": "prohibited by other law",
    "security_stability": "endangers security or stability",
    "third_party": "third-party rights", "internal_affairs": "internal affairs",
    "process_info": "process information", "enforcement_file": "enforcement case file",
    "admin_query": "administrative enquiry", "unavailable": "unavailable",
    "not_held": "not held by the agency", "needs_creation": "would need to be created",
    "unclear": "still unclear after correction", "not_processed": "not processed",
    "petition": "petition or complaint", "duplicate": "repeated application",
    "publication": "asks for a publication", "excessive": "excessive repeated applications",
    "confirmation": "asks to confirm or reissue", "other": "other",
    "all": "all", "no_correction": "no correction in time", "unpaid_fee": "fee not paid",
    "carried_forward": "carried forward to next year",
    "natural_person": "natural persons", "commercial": "businesses",
    "research": "research institutions", "social_welfare": "public-interest organisations",
    "legal_service": "legal service organisations", "other_org": "other organisations",
    "appeals": "appeals", "review": "administrative review",
    "litigation_direct": "litigation without prior review",
    "litigation_after_review": "litigation after review", "upheld": "upheld",
    "corrected": "corrected", "pending": "pending",
}


@dataclass(frozen=True)
class Entry:
    key: str
    label_zh: str  # row and column as the official template prints them
    label_en: str
    section: str  # "三、收到和处理政府信息公开申请情况"
    section_en: str
    formats: tuple[str, ...]  # ("2019", "2021")
    unit: str | None  # None: a count; "万元": an amount

    @property
    def is_count(self) -> bool:
        return self.unit is None

    def description(self) -> str:
        """One line for a column description: Chinese label / English label."""
        unit = f"（{self.unit}）" if self.unit and self.unit not in self.label_zh else ""
        return f"{self.label_zh}{unit} / {self.label_en}"


def _label_zh(table: str, key: str, row: str, column: str) -> str:
    part, last = key.split(".")[1], key.split(".")[-1]
    # the schema's own notes in ASCII brackets ("(one row, 2019 format)") are not printed
    row = re.sub(r"\s*\([^)]*format\)", "", row)
    if table == "active":
        return f"第二十条第{_ACTIVE_ITEMS.get(part, '')}项 {row}｜{column}"
    if table == "applications" and last in _ORGANISATIONS:
        column = f"法人或其他组织 {column}"
    return f"{row}｜{column}"


def _label_en(key: str) -> str:
    parts = key.split(".")
    words = [_ENGLISH.get(p, p.replace("_", " ")) for p in parts]
    return words[0].capitalize() + ": " + ", ".join(words[1:])


@cache
def entries() -> tuple[Entry, ...]:
    """Every canonical key, in schema order."""
    from nianbao.parsers.schema import load_schema

    out = []
    for spec in load_schema().keys.values():
        section, section_en = SECTIONS.get(spec.table, (spec.table, spec.table))
        out.append(Entry(key=spec.key,
                         label_zh=_label_zh(spec.table, spec.key, spec.row, spec.column),
                         label_en=_label_en(spec.key), section=section, section_en=section_en,
                         formats=tuple(sorted(spec.formats)), unit=spec.unit))
    return tuple(out)


@cache
def by_key() -> dict[str, Entry]:
    return {e.key: e for e in entries()}


def matching(pattern: str | None) -> list[Entry]:
    """Entries whose key matches a glob (``applications.*.total``), or whose labels contain
    the text (``不予公开``, ``secret``); all entries for None."""
    if not pattern:
        return list(entries())
    if any(c in pattern for c in "*?["):
        return [e for e in entries() if fnmatch.fnmatchcase(e.key, pattern)]
    needle = pattern.casefold()
    return [e for e in entries()
            if needle in e.key.casefold() or needle in e.label_zh.casefold()
            or needle in e.label_en.casefold()]


def nearest(word: str, n: int = 3) -> list[str]:
    """The keys closest to a mistyped one (difflib's ratio, on the key's spelling)."""
    keys = [e.key for e in entries()]
    close = difflib.get_close_matches(word, keys, n=n, cutoff=0.6)
    if close:
        return close
    # A pattern or a fragment: the keys sharing the most of its dotted parts.
    parts = {p for p in word.replace("*", "").split(".") if p}
    scored = sorted(keys, key=lambda k: -len(parts & set(k.split("."))))
    return [k for k in scored[:n] if parts & set(k.split("."))]


def unknown_key_message(pattern: str) -> str:
    """The one-line error for a key or pattern that matches nothing."""
    near = nearest(pattern)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return f"no canonical key matches {pattern!r}{hint} (`nianbao keys` lists them)"


CSV_COLUMNS = ("key", "label_zh", "label_en", "section", "section_en", "formats", "unit")


def rows(selected: Iterable[Entry] | None = None) -> Iterator[list[str]]:
    """The codebook as CSV rows (a header first)."""
    yield list(CSV_COLUMNS)
    for e in selected if selected is not None else entries():
        yield [e.key, e.label_zh, e.label_en, e.section, e.section_en, " ".join(e.formats),
               e.unit or ""]


def write_csv(out: TextIO, selected: Iterable[Entry] | None = None) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows(selected))


def codebook_path_for(export_path: Path) -> Path:
    """Where an export's codebook goes: codebook.csv in the export's directory."""
    return Path(export_path).parent / "codebook.csv"


def write_beside(export_path: Path, *, excel: bool = False) -> Path:
    """Write codebook.csv beside an export file (with a BOM when the export has one)."""
    path = codebook_path_for(export_path)
    with open(path, "w", encoding="utf-8-sig" if excel else "utf-8", newline="") as out:
        write_csv(out)
    return path


def header_block() -> dict:
    """The codebook as the first line of a JSON-lines export (``--codebook-header``)."""
    from nianbao.parsers.schema import load_schema

    return {"codebook": {"schema_version": load_schema().version,
                         "keys": [{"key": e.key, "label_zh": e.label_zh, "label_en": e.label_en,
                                   "section": e.section, "formats": list(e.formats),
                                   "unit": e.unit} for e in entries()]}}
