"""Forms and statuses the corpus does not cover on its own: property-based layouts, scans,
reports without tables, pages that are not reports, encodings, and hostile files."""

from __future__ import annotations

import io
import os
import tempfile
import time
import zipfile

# Hypothesis keeps a cache directory; not in the working tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY",
                      os.path.join(tempfile.gettempdir(), "nianbao-hypothesis"))

import pypdfium2 as pdfium  # noqa: E402
import pytest  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from nianbao import parsers  # noqa: E402

from .corpus.build import expected_meta, make_spec  # noqa: E402
from .corpus.render import render_docx, render_html, render_text  # noqa: E402


def parse_rendered(form: str, n: int):
    spec, rng = make_spec(form, n)
    if form == "html":
        body, content_type = render_html(spec, rng)
        report = parsers.parse_document(body, content_type=content_type, name="r.html")
    elif form == "docx":
        report = parsers.parse_document(render_docx(spec, rng), name="r.docx")
    else:
        report = parsers.parse_document(render_text(spec, rng), name="r.txt")
    return spec, report


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(form=st.sampled_from(["html", "docx", "text"]), n=st.integers(1000, 10**7))
@example(form="text", n=5789)  # a row of blank values split the table: header lost
@example(form="text", n=155622)  # a narrow header, its last column's number far right
@example(form="text", n=5518)  # a Word cell with a line of spaces: not the row's end
def test_any_drawn_report_reads_back_exactly(form, n):
    """Whatever values and quirks are drawn, every cell, the metadata and the identity
    failures come back as rendered."""
    spec, report = parse_rendered(form, n)
    values = report.values()
    wrong = {k: (values.get(k, "missing"), v) for k, v in spec.expected.items()
             if values.get(k, "missing") != v}
    assert wrong == {}, (spec.id, sorted(spec.quirks))
    out = report.to_json()
    assert {k: out[k] for k in expected_meta(spec)} == expected_meta(spec)
    assert sorted({c.key for c in report.checks_failed}) == sorted(spec.violations)
    assert out["status"] == "parsed"


def test_blank_dash_and_none_cells_keep_their_status_and_raw_text():
    spec, report = next((s, r) for s, r in (parse_rendered("html", n) for n in range(200))
                        if "empties" in s.quirks and "drop" not in s.quirks)
    for key, printed in spec.printed.items():
        cell = report.cells[key]
        if spec.expected[key] is None:
            assert cell.value is None and cell.status in ("blank", "dash", "none"), key
            assert (cell.raw or "").strip().replace("\xa0", "") == printed.strip()


# -- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("quirk", "source"), [("gbk_meta", "meta"), ("gbk_http", "http"),
                                               ("undeclared", "detected")])
def test_encoding_is_decided_and_recorded(quirk, source):
    spec, report = next((s, r) for s, r in (parse_rendered("html", n) for n in range(400))
                        if quirk in s.quirks)
    assert (report.encoding, report.encoding_source) == ("gb18030", source)
    assert report.agency == spec.agency[0]


def test_an_undeclared_big5_page_is_detected_as_big5():
    """A traditional-script copy (a big5 gateway's page) that names no charset."""
    from opencc import OpenCC

    from nianbao.demo import load_seeds, render_report_html, report_title

    seed = load_seeds()[2]
    html = (f"<html><head><title>{report_title(seed)}</title></head><body>"
            f"{render_report_html(seed)}</body></html>")
    body = OpenCC("s2t").convert(html).encode("big5", errors="xmlcharrefreplace")
    report = parsers.parse_document(body, content_type="text/html")
    assert (report.encoding, report.encoding_source) == ("big5", "detected")
    assert {k: v for k, v in report.values().items() if k in seed.values} == seed.values
    assert report.agency == seed.agency


# -- statuses ----------------------------------------------------------------------------


def page(title: str, body: str) -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1>{title}</h1>{body}</body></html>").encode()


REPORT_TITLE = "北京市海淀区财政局2023年政府信息公开工作年度报告"


def test_report_without_applications_or_tables_is_null_with_a_note():
    body = ("<p>一、总体情况</p><p>2023年，本机关主动公开政府信息120条。</p>"
            "<p>二、收到和处理政府信息公开申请情况</p><p>2023年本机关未收到政府信息公开申请。</p>"
            "<p>三、政府信息公开行政复议、行政诉讼情况</p><p>无。</p>")
    report = parsers.parse_document(page(REPORT_TITLE, body))
    assert report.is_report and report.status == "no-table"
    assert all(v is None for v in report.values().values())
    assert any("no applications" in note for note in report.notes)
    assert report.to_json()["status"] == "no-table" and report.year == 2023


def test_counts_stated_only_in_words_are_read():
    body = ("<p>一、总体情况</p><p>本机关主动公开政府信息。</p>"
            "<p>二、依申请公开情况</p><p>全年共收到政府信息公开申请十二件，均已按时答复。</p>")
    report = parsers.parse_document(page(REPORT_TITLE, body))
    cell = report.cells["applications.received.total"]
    assert (report.status, cell.value, cell.status) == ("no-table", 12, "narrative")
    assert "十二件" in cell.raw


@pytest.mark.parametrize("title", [
    "关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知",
    "北京市海淀区财政局政府信息公开指南",
    "2024年政务公开工作要点",
    "海淀区财政局2023年工作总结",
])
def test_pages_about_reports_are_not_reports(title):
    # Even a notice that carries the template's table (to be filled in) is not a report.
    spec, rng = next((s, r) for s, r in (make_spec("html", n) for n in range(3, 30))
                     if not s.quirks & {"encoding", "chrome", "untitled"})
    table_page, _ = render_html(spec, rng)
    body = table_page.decode("utf-8").split("<body>", 1)[1].split("</body>")[0]
    report = parsers.parse_document(page(title, "<p>一、总体情况。二、主动公开。</p>" + body))
    assert (report.is_report, report.status) == (False, "not-a-report")


def test_a_list_of_reports_is_not_a_report():
    items = "".join(f"<li><a href='{y}.html'>海淀区财政局{y}年政府信息公开工作年度报告</a></li>"
                    for y in range(2018, 2024))
    body = f"<ul>{items}</ul><div>首页 上一页 1 2 下一页 尾页 共 3 页</div>"
    report = parsers.parse_document(page("政府信息公开年报", body))
    assert (report.is_report, report.status) == (False, "not-a-report")


def image_pdf(pages: int = 2) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        page = pdf.new_page(595, 842)
        image = pdfium.PdfImage.new(pdf)
        bitmap = pdfium.PdfBitmap.new_native(60, 80, pdfium.raw.FPDFBitmap_BGR)
        bitmap.fill_rect((230, 230, 230, 255), 0, 0, 60, 80)
        image.set_bitmap(bitmap)
        image.set_matrix(pdfium.PdfMatrix().scale(500, 750).translate(40, 40))
        page.insert_obj(image)
        page.gen_content()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_scanned_pdf_is_image_only_not_an_empty_report():
    report = parsers.parse_document(image_pdf(), name="report.pdf",
                                    hints=parsers.Hints(title=REPORT_TITLE))
    assert report.is_report and report.status == "image-only"
    assert report.to_json()["status"] == "image-only" and report.year == 2023
    assert all(v is None for v in report.values().values())


def test_status_is_stored(tmp_path):
    from nianbao.store import Store
    from nianbao.store.models import Report as ReportRow
    from sqlalchemy import select

    scan = parsers.parse_document(image_pdf(), name="report.pdf",
                                  hints=parsers.Hints(title=REPORT_TITLE))
    spec, rng = make_spec("html", 1)
    body, content_type = render_html(spec, rng)
    parsed = parsers.parse_document(body, content_type=content_type)
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}", upgrade=True) as store:
        for n, report in enumerate((scan, parsed)):
            store.add_report(report, url=f"http://127.0.0.1/{n}", fetch_id=None,
                             portal_id=None, parser_version=parsers.PARSER_VERSION)
        rows = store.session.scalars(select(ReportRow).order_by(ReportRow.id)).all()
    assert [r.status for r in rows] == ["image-only", "parsed"]


def docx_with(document_xml: bytes, media: dict[str, bytes] | None = None,
              method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document_xml)
        for name, data in (media or {}).items():
            archive.writestr(f"word/media/{name}", data)
    return out.getvalue()


def test_docx_of_pictures_is_image_only():
    xml = (b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           b"<w:body><w:p/></w:body></w:document>")
    body = docx_with(xml, {"image1.png": b"\x89PNG fake", "image2.png": b"\x89PNG fake"})
    report = parsers.parse_document(body, name="scan.docx",
                                    hints=parsers.Hints(title=REPORT_TITLE))
    assert report.status == "image-only"


# -- hostile and broken files: a clear error, fast -----------------------------------------


def raises_quickly(body: bytes, name: str, match: str, seconds: float = 10.0) -> None:
    start = time.perf_counter()
    with pytest.raises(parsers.ParseError, match=match):
        parsers.parse_document(body, name=name)
    assert time.perf_counter() - start < seconds


def test_truncated_pdf():
    raises_quickly(image_pdf()[:700], "report.pdf", "PDF")


def test_pdf_with_too_many_pages():
    raises_quickly(image_pdf(pages=parsers.pdf.MAX_PAGES + 1), "report.pdf", "pages")


def test_zip_bomb_docx_is_refused_before_inflating():
    bomb = docx_with(b"<w:document>" + b" " * (60 << 20) + b"</w:document>")
    assert len(bomb) < 200_000
    raises_quickly(bomb, "bomb.docx", "DOCX")


def test_oversized_html_table():
    row = "<tr>" + "<td>1</td>" * 50 + "</tr>"
    body = ("<html><body><table>" + row * (52_000_000 // len(row)) + "</table></body></html>")
    raises_quickly(body.encode(), "big.html", "limit")


def test_html_table_of_huge_spans():
    cells = "<td rowspan='1000' colspan='1000'>1</td>" * 5
    raises_quickly(f"<html><body><table><tr>{cells}</tr></table></body></html>".encode(),
                   "spans.html", "grid cells")


def test_html_table_of_too_many_cells_under_the_byte_limit():
    row = "<tr>" + "<td>1</td>" * 100 + "</tr>"
    body = "<html><body><table>" + row * 2500 + "</table></body></html>"
    raises_quickly(body.encode(), "cells.html", "HTML")


def test_unconvertible_doc_is_a_recorded_error():
    raises_quickly(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096, "broken.doc", "DOC",
                   seconds=130)
