"""A parsed report, and its JSON form (interfaces.md, "Report JSON")."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checks import CheckFailure
from .schema import load_schema
from .values import Cell


@dataclass
class Report:
    is_report: bool  # False for guides, notices and other pages that are not annual reports
    document_type: str  # "html" | "docx" | "pdf" | "doc" | "wps" | "text"
    # "parsed" | "no-table" | "image-only" | "not-a-report" (parsers.classify), or
    # "needs-review": read by OCR with a failed identity (parsers.NEEDS_REVIEW)
    status: str = "parsed"
    title: str | None = None
    agency: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    division_code: str | None = None
    year: int | None = None
    published: str | None = None
    format: str | None = None
    cells: dict[str, Cell] = field(default_factory=dict)  # every key of the format
    checks_failed: list[CheckFailure] = field(default_factory=list)
    encoding: str | None = None
    encoding_source: str | None = None
    notes: list[str] = field(default_factory=list)
    # A scan read by OCR: engine, pages, bound hit, each value's confidence (parsers.scan)
    ocr: dict | None = None

    def values(self) -> dict[str, int | float | None]:
        return {key: cell.value for key, cell in self.cells.items()}

    def to_json(self, url: str | None = None, source: dict | None = None) -> dict:
        out = {
            "agency": self.agency, "province": self.province, "city": self.city,
            "district": self.district, "division_code": self.division_code, "year": self.year,
            "format": self.format, "status": self.status, "title": self.title, "url": url,
            "published": self.published,
            "values": self.values(),
            "checks_failed": [c.to_json() for c in self.checks_failed],
        }
        if self.ocr is not None:
            out["ocr"] = self.ocr
        if source is not None:
            out["source"] = source
        return out


def number(key: str, value: float | int | None) -> int | float | None:
    """A stored number in its printed type: integers for counts, floats where a unit allows."""
    if value is None:
        return None
    if load_schema().keys[key].unit is None and float(value).is_integer():
        return int(value)
    return value
