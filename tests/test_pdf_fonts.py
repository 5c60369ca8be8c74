"""PDF reports whose CJK fonts have no Unicode map: recorded as such, never read as values.

Portals publish PDFs made by tools that embed subset CJK fonts without a ``ToUnicode``
map; pdfminer prints such text as ``(cid:N)`` and PDFium returns glyph numbers as
characters. The test makes one from a real report: a seed rendered to PDF by LibreOffice,
with the ``/ToUnicode`` references blanked (same length, so the file stays valid).
"""

from __future__ import annotations

import re

import pytest
from pdfminer.high_level import extract_text

from nianbao import parsers

from .conftest import seed_as_word_and_pdf


@pytest.fixture(scope="module")
def seed_pdf(tmp_path_factory):
    from nianbao.demo import report_title

    seed, _docx, pdf = seed_as_word_and_pdf(tmp_path_factory.mktemp("pdf-fonts"), 0)
    return seed, report_title(seed), pdf


def without_unicode_maps(pdf: bytes) -> bytes:
    return re.sub(rb"/ToUnicode\s+\d+\s+\d+\s+R", lambda m: b" " * len(m.group()), pdf)


def test_a_pdf_with_unicode_maps_reads_in_full(seed_pdf):
    seed, _title, pdf = seed_pdf
    assert b"/ToUnicode" in pdf
    report = parsers.parse_document(pdf, name="report.pdf")
    assert report.status == "parsed"
    assert {k: v for k, v in report.values().items() if k in seed.values} == seed.values


def test_a_pdf_whose_fonts_have_no_unicode_map_is_unmapped_text(seed_pdf, tmp_path):
    _seed, title, pdf = seed_pdf
    broken = without_unicode_maps(pdf)
    assert b"/ToUnicode" not in broken and len(broken) == len(pdf)
    path = tmp_path / "nomap.pdf"
    path.write_bytes(broken)
    assert "(cid:" in extract_text(str(path))  # what other extractors make of it

    report = parsers.parse_document(broken, name="nomap.pdf",
                                    hints=parsers.Hints(title=title), ocr=False)
    assert report.is_report and report.status == "unmapped-text"
    assert any("no Unicode mapping" in note for note in report.notes)
    # nothing read from glyph numbers: no value, not even a 0, and no failed identity
    assert all(cell.value is None for cell in report.cells.values())
    assert report.checks_failed == []
    assert report.to_json()["status"] == "unmapped-text"


def test_a_pdf_whose_fonts_have_no_unicode_map_is_read_by_ocr(seed_pdf):
    """What the text layer cannot say, the rendered page shows: OCR reads the values."""
    seed, title, pdf = seed_pdf
    report = parsers.parse_document(without_unicode_maps(pdf), name="nomap.pdf",
                                    hints=parsers.Hints(title=title))
    assert report.ocr is not None and report.ocr["pages"] >= 4
    # the failed identity the text layer shows (a total printed as 0), flagged for review
    printed = parsers.parse_document(pdf, name="report.pdf")
    assert [f.key for f in report.checks_failed] == [f.key for f in printed.checks_failed]
    assert report.status == ("needs-review" if printed.checks_failed else "parsed")
    values = report.values()
    right = sum(values.get(k) == v for k, v in seed.values.items())
    assert right >= 0.98 * len(seed.values), {
        k: (values.get(k), v) for k, v in seed.values.items() if values.get(k) != v}
