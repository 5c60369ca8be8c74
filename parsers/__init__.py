"""Turn an archived document into a report: metadata, every table cell under a canonical key,
and the accounting checks.

    >>> from parsers import parse_document
    >>> report = parse_document(body, content_type="text/html; charset=gbk")
    >>> report.to_json()["values"]["applications.received.total"]
"""

from __future__ import annotations

from collections.abc import Callable

from . import narrative, scan
from .checks import CheckFailure, check
from .classify import IMAGE_ONLY, NO_TABLE, NOT_A_REPORT, PARSED, STATUSES, classify
from .document import Document
from .docx import DocxError, read_docx
from .encoding import charset_from_content_type, decode
from .html import HtmlError, read_html
from .legacy import ConversionError, to_docx
from .metadata import Hints, extract, mend_read_agency, title_of
from .pdf import PdfError, read_pdf
from .plaintext import read_text
from .report import Report
from .schema import load_schema
from .tables import TableError, detect_format, read_tables
from .values import Cell

PARSER_VERSION = "0.2.0"

__all__ = ["IMAGE_ONLY", "NEEDS_REVIEW", "NOT_A_REPORT", "NO_TABLE", "PARSED", "PARSER_VERSION",
           "STATUSES",
           "Cell", "CheckFailure", "Hints", "ParseError", "Report", "UnsupportedDocument",
           "parse_document", "sniff"]

# Bounds on what one document may cost (a hostile or broken file is an error, not a hang).
MAX_BYTES = {"html": 16 << 20, "text": 16 << 20, "docx": 64 << 20, "pdf": 96 << 20,
             "doc": 64 << 20, "wps": 64 << 20, "image": 64 << 20}
NEEDS_REVIEW = "needs-review"  # read by OCR, and an identity fails: maybe a misread


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
    if scan.is_image(body):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # Kingsoft .wps and Word 97 .doc are both OLE compound files.
        return "wps" if name.endswith(".wps") else "doc"
    if b"<html" in head.lower() or b"<!doctype" in head.lower() or "html" in lowered:
        return "html"
    if name.endswith((".html", ".htm", ".shtml", ".jsp", ".php", ".asp", ".aspx")):
        return "html"
    return "text"


def read_document(body: bytes, kind: str, content_type: str | None = None) -> Document:
    """The lines and table tokens of an HTML, DOCX, PDF or text payload (``kind`` as
    ``sniff`` names it): the one reader per form, for the parser and for page text."""
    if kind == "html":
        return read_html(body, charset_from_content_type(content_type))
    if kind == "docx":
        return read_docx(body)
    if kind == "pdf":
        return read_pdf(body)
    text, encoding, source = decode(body, charset_from_content_type(content_type))
    doc = read_text(text)
    doc.encoding, doc.encoding_source = encoding, source
    return doc


def parse_document(body: bytes, *, content_type: str | None = None, name: str | None = None,
                   hints: Hints | None = None,
                   images: Callable[[str], bytes | None] | None = None,
                   ocr: bool = True) -> Report:
    """Parse one document as it was fetched (or read from disk).

    A scan (an image, an image-only PDF or DOCX, a PDF whose fonts map no text) is read by
    OCR unless ``ocr`` is False. ``images`` gives the bytes of a URL (from the archive) for
    an HTML page whose tables are pictures; ``name`` is then the page's URL.

    Raises ParseError (with a reason) for a broken, oversized or unconvertible file.
    """
    kind = sniff(body, content_type, name)
    if len(body) > MAX_BYTES[kind]:
        raise ParseError(f"{kind.upper()} document of {len(body)} bytes is over the "
                         f"{MAX_BYTES[kind]} byte limit")
    try:
        reading = None
        if kind == "image":
            doc = Document(kind="image", lines=[], tokens=[], image_only=True)
            reading = scan.read_pictures([body], strict=True) if ocr else None
            if reading is not None and not reading.pages:
                raise ParseError(f"IMAGE: a picture of {len(body)} bytes too small to be a page")
        elif kind in ("doc", "wps"):
            converted = to_docx(body, kind)
            doc = read_docx(converted)
            doc.kind = kind
            if ocr and doc.image_only:  # pictures of pages: read from the DOCX made of it
                reading = _scanned("docx", converted, doc, name, images)
        else:
            doc = read_document(body, kind, content_type)
        if ocr and reading is None and (not doc.tokens or doc.unmapped_text):
            reading = _scanned(kind, body, doc, name, images)
        if reading is not None:
            return _ocr_report(doc, reading, hints)
        return build_report(doc, hints)
    except scan.ScanError as exc:
        raise ParseError(f"{kind.upper()}: {exc}") from exc
    except (DocxError, PdfError, HtmlError, ConversionError, TableError) as exc:
        raise ParseError(f"{kind.upper()}: {exc}") from exc
    except (RecursionError, MemoryError) as exc:
        raise ParseError(f"{kind.upper()}: document too deeply nested or too large") from exc


def _scanned(kind: str, body: bytes, doc: Document, name: str | None,
             images: Callable[[str], bytes | None] | None) -> scan.ScanReading | None:
    """OCR of a document whose tables are pictures, or None when it has none."""
    reading = None
    if kind == "pdf" and (doc.image_only or doc.unmapped_text):
        reading = scan.read_scan(scan.pdf_pages(body))
    elif kind == "docx" and doc.image_only:
        reading = scan.read_pictures(scan.docx_pictures(body))
    elif kind == "html" and images is not None:
        pictures = [data for data in map(images, scan.html_image_urls(body, name)) if data]
        if pictures:
            reading = scan.read_pictures(pictures)
    if reading is not None and not reading.pages:
        doc.notes.extend(reading.notes)
        return None  # nothing the size of a page to read
    return reading


def _ocr_report(doc: Document, reading: scan.ScanReading, hints: Hints | None) -> Report:
    """The report of a scan: the OCR'd cells and prose read like any other document's;
    each value with its confidence; a failed identity makes it "needs review"."""
    doc.tokens = reading.tokens
    doc.lines = doc.lines + [line for line in reading.lines if line]
    doc.title = doc.title or scan.title_line(reading.lines)
    doc.unmapped_text = False
    doc.notes = doc.notes + reading.notes
    report = build_report(doc, hints)
    report.agency = mend_read_agency(report.agency)  # a misread character in its name
    if scan.recount(report.cells):
        formats = {report.format} if report.format in ("2019", "2021") else {"2019", "2021"}
        report.checks_failed = check(report.cells, formats)
    report.ocr = scan.ocr_summary(reading, report.cells, scan.value_sources(reading.tokens))
    report.notes.append(f"read by OCR ({reading.engine}): {reading.pages} page(s) in "
                        f"{reading.seconds:.1f} s")
    if report.checks_failed and report.status == PARSED:
        # A sum that does not add up on a scan may be a misread digit, not a printed error.
        report.status = NEEDS_REVIEW
    return report


def build_report(doc: Document, hints: Hints | None = None) -> Report:
    # Glyph numbers read as characters are not values, however table-like they look.
    reading = read_tables([] if doc.unmapped_text else doc.tokens)
    title = title_of(doc, hints)
    is_report, status = classify(doc, title, bool(reading.values))
    meta = extract(doc, hints, title=title, locate=is_report)
    fmt = detect_format(reading.values)
    report = Report(
        is_report=is_report, status=status, document_type=doc.kind, title=meta.title,
        agency=meta.agency, year=meta.year, published=meta.published, format=fmt,
        encoding=doc.encoding, encoding_source=doc.encoding_source,
        notes=doc.notes + reading.notes,
    )
    if status == IMAGE_ONLY:
        report.notes.append("image-only document (a scan): no text layer to read")
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
        keys = schema.shared_keys() if reading.values else []
    # Every key of the format, in schema order: one shared (frozen) cell for each the report
    # does not print, then the printed ones (always keys of the format: it was decided
    # from them).
    report.cells = dict.fromkeys(keys, Cell.absent())
    report.cells.update(reading.values)
    if status == NO_TABLE:
        cell, note = narrative.received(doc.lines)
        if cell is not None:
            report.cells["applications.received.total"] = cell
        if note:
            report.notes.append(note)
        report.notes.append("no statistical table in the document: values are null")
    # no cell, no identity to check (most documents a crawl reads are not reports)
    report.checks_failed = check(report.cells, formats or {"2019", "2021"}, reading.unread) \
        if report.cells else []
    for table in sorted(reading.unread):
        report.notes.append(f"{table}: identities missing a cell of a row that could not be "
                            "matched were not checked")
    return report
