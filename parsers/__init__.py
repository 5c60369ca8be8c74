"""Turn an archived document into a report: metadata, every table cell under a canonical key,
and the accounting checks.

    >>> from parsers import parse_document
    >>> report = parse_document(body, content_type="text/html; charset=gbk")
    >>> report.to_json()["values"]["applications.received.total"]
"""

from __future__ import annotations

from .checks import CheckFailure, check
from .document import Document
from .docx import DocxError, read_docx
from .encoding import charset_from_content_type, decode
from .html import read_html
from .metadata import Hints, extract
from .plaintext import read_text
from .report import Report
from .schema import load_schema
from .tables import detect_format, read_tables
from .values import Cell

PARSER_VERSION = "0.1.0"

__all__ = ["PARSER_VERSION", "Cell", "CheckFailure", "Hints", "ParseError", "Report",
           "UnsupportedDocument", "parse_document", "sniff"]


class ParseError(ValueError):
    """The document could not be read (broken file, unknown format)."""


class UnsupportedDocument(ParseError):
    """A format this version cannot read yet."""


def sniff(body: bytes, content_type: str | None = None, name: str | None = None) -> str:
    """The document type from its bytes first, then the server's word and the file name."""
    head = body[:512].lstrip()
    lowered = (content_type or "").lower()
    name = (name or "").lower().split("?")[0]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if b"<html" in head.lower() or b"<!doctype" in head.lower() or "html" in lowered:
        return "html"
    if name.endswith((".html", ".htm", ".shtml", ".jsp", ".php", ".asp", ".aspx")):
        return "html"
    return "text"


def parse_document(body: bytes, *, content_type: str | None = None, name: str | None = None,
                   hints: Hints | None = None) -> Report:
    """Parse one document as it was fetched (or read from disk)."""
    kind = sniff(body, content_type, name)
    if kind == "html":
        doc = read_html(body, charset_from_content_type(content_type))
    elif kind == "docx":
        try:
            doc = read_docx(body)
        except DocxError as exc:
            raise ParseError(str(exc)) from exc
    elif kind == "text":
        text, encoding, source = decode(body, charset_from_content_type(content_type))
        doc = read_text(text)
        doc.encoding, doc.encoding_source = encoding, source
    else:
        raise UnsupportedDocument(f"{kind.upper()} documents are not supported yet")
    return build_report(doc, hints)


def build_report(doc: Document, hints: Hints | None = None) -> Report:
    reading = read_tables(doc.tokens)
    meta = extract(doc, hints)
    fmt = detect_format(reading.values)
    report = Report(
        is_report=bool(reading.values), document_type=doc.kind, title=meta.title,
        agency=meta.agency, year=meta.year, published=meta.published, format=fmt,
        encoding=doc.encoding, encoding_source=doc.encoding_source,
        notes=doc.notes + reading.notes,
    )
    if meta.region:
        report.province, report.city = meta.region.province, meta.region.city
        report.district, report.division_code = meta.region.district, meta.region.division_code
    schema = load_schema()
    if fmt:
        formats = {"2019", "2021"} if fmt == "mixed" else {fmt}
        keys = schema.keys_for(formats)
    else:
        # Tables with only rows both formats share: those keys, and nothing format-specific.
        formats = set()
        keys = [k for k, spec in schema.keys.items() if len(spec.formats) == 2]
        keys = keys if reading.values else []
    report.cells = {key: reading.values.get(key) or Cell.absent() for key in keys}
    report.checks_failed = check(report.cells, formats or {"2019", "2021"})
    return report
