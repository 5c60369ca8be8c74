"""The parser's rules, each on a document made to break it."""

from __future__ import annotations

import pytest
from nianbao.parsers.regions import divisions
from nianbao.parsers.values import parse_cell

from nianbao import parsers
from nianbao.demo import load_seeds, render_report_docx, render_report_html

from .conftest import seed_cases


@pytest.mark.parametrize(("text", "value", "status"), [
    ("0", 0, "number"), ("", None, "blank"), ("  ", None, "blank"), ("—", None, "dash"),
    ("-", None, "dash"), ("/", None, "dash"), ("无", None, "none"), ("１２", 12, "number"),
    ("1,234", 1234, "number"), ("29.313万元", 29.313, "number"), ("+3", 3, "number"),
    ("-14", -14, "number"), ("减4", -4, "number"), ("0?", 0, "number"), ("7件", 7, "number"),
])
def test_cells_read_as_printed(text, value, status):
    cell = parse_cell(text)
    assert (cell.value, cell.status, cell.raw) == (value, status, text)


@pytest.mark.parametrize("label", ["1.属于国家秘密", "（一）予以公开", "第二十条第（一）项",
                                   "规章"])
def test_labels_are_not_values(label):
    assert parse_cell(label) is None


def expected_of(seed_id: str) -> dict:
    return next(c.expected for c in seed_cases() if c.id == seed_id)


def test_stray_page_numbers_do_not_shift_cells():
    """Page furniture between rows (a page number, a footer) leaves every cell in place."""
    case = next(c for c in seed_cases() if c.id == "000")
    text = case.path.read_text(encoding="utf-8")
    marker = "\t（二）部分公开（区分处理的，只计这一情形，不计其他情形）"
    assert marker in text
    text = text.replace(marker, "- 3 -\n\n17\n\n" + marker, 1)
    report = parsers.parse_document(text.encode("utf-8"), name="report.txt")
    assert report.values() | {} == {**report.values(), **case.expected["values"]}
    assert any("extra value" in note or "outside any row" in note for note in report.notes)


APPLICATION_HEADER = """
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，
等于第三项加第四项之和）</td>
<td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">总计</td><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td></tr>
<tr><td>商业<br>企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
"""


TITLE = "天津市东丽区人力资源和社会保障局2023年政府信息公开工作年度报告"


def html_page(body: str, title: str = TITLE) -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"{body}</body></html>").encode()


def test_columns_are_found_by_their_headers_not_their_order():
    """A table that prints 总计 first still files each number under its own column."""
    row = ("<tr><td colspan='3'>一、本年新收政府信息公开申请数量</td><td>9</td><td>5</td>"
           "<td>1</td><td>0</td><td>&nbsp;</td><td>—</td><td>无</td></tr>")
    report = parsers.parse_document(html_page(f"<table>{APPLICATION_HEADER}{row}</table>"))
    cells = report.cells
    assert cells["applications.received.total"].value == 9
    assert cells["applications.received.natural_person"].value == 5
    assert cells["applications.received.commercial"].value == 1
    assert cells["applications.received.research"].value == 0
    # Blank, dash and 无 stay distinct from 0 and from each other.
    assert [cells[f"applications.received.{c}"].status
            for c in ("social_welfare", "legal_service", "other_org")] == ["blank", "dash", "none"]
    assert cells["applications.carried_over.total"].status == "absent"


def test_traditional_script_and_merged_header_rows():
    seed = next(s for s in load_seeds() if s.id == "002")
    report = parsers.parse_document(html_page(render_report_html(seed, traditional=True)))
    assert report.format == "2019"
    assert {k: v for k, v in report.values().items() if k in seed.values} == seed.values


@pytest.mark.parametrize("seed", load_seeds(), ids=lambda s: s.id)
def test_html_template_tables(seed):
    report = parsers.parse_document(html_page(render_report_html(seed)))
    assert report.format == seed.format
    assert {k: v for k, v in report.values().items() if k in seed.values} == seed.values
    assert sorted({c.key for c in report.checks_failed}) == seed.expected["expected_violations"]


@pytest.mark.parametrize("seed", load_seeds(), ids=lambda s: s.id)
def test_docx_merged_cells(seed):
    body = render_report_docx(seed)
    report = parsers.parse_document(body, name="report.docx")
    assert report.document_type == "docx"
    assert {k: v for k, v in report.values().items() if k in seed.values} == seed.values
    assert report.agency == seed.agency and report.year == seed.year


def test_mixed_format_is_reported_per_section():
    active_2021 = ("<table><tr><td colspan='4'>第二十条第（一）项</td></tr><tr><td>信息内容</td>"
                   "<td>本年制发件数</td><td>本年废止件数</td><td>现行有效件数</td></tr>"
                   "<tr><td>规章</td><td>1</td><td>0</td><td>3</td></tr></table>")
    active_2019 = ("<table><tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td>"
                   "<td>对外公开总数量</td></tr><tr><td>规章</td><td>1</td><td>0</td><td>3</td>"
                   "</tr></table>")
    assert parsers.parse_document(html_page(active_2021)).format == "2021"
    assert parsers.parse_document(html_page(active_2019)).format == "2019"
    both = active_2021 + active_2019.replace("规章", "规范性文件")
    mixed = parsers.parse_document(html_page(both))
    assert mixed.format == "mixed"
    assert mixed.values()["active.rules.issued"] == 1
    assert mixed.values()["active.normative_docs.total"] == 3


def test_pages_that_are_not_reports():
    guide = html_page("<h1>天津市东丽区人力资源和社会保障局政府信息公开指南</h1>"
                      "<p>为了更好地提供政府信息公开服务，编制本指南。</p>",
                      title="政府信息公开指南")
    assert parsers.parse_document(guide).is_report is False


def test_gbk_label_decodes_as_gb18030():
    # 䶮 (CJK extension A) is in GB18030 but not in GBK: a strict GBK decoder would lose it.
    page = html_page("<h1>䶮 2023年政府信息公开工作年度报告</h1>")
    body = page.decode().replace("charset='utf-8'", "").encode("gb18030")
    report = parsers.parse_document(body, content_type="text/html; charset=GBK")
    assert report.encoding == "gb18030" and report.encoding_source == "http"
    assert report.title.startswith("䶮")


@pytest.mark.parametrize(("text", "code", "city"), [
    ("长春市朝阳区人力资源和社会保障局", "220104", "长春市"),
    ("北京市朝阳区人力资源和社会保障局", "110105", None),
    ("台儿庄区人力资源和社会保障局", "370405", "枣庄市"),
    ("朝阳区人力资源和社会保障局", None, None),  # two 朝阳区 and nothing to tell them apart
])
def test_region_and_division_code(text, code, city):
    region = divisions().find(text)
    assert (region.division_code if region else None) == code
    if region:
        assert region.city == city


def test_broken_docx_is_a_clear_error():
    with pytest.raises(parsers.ParseError, match="DOCX"):
        parsers.parse_document(b"PK\x03\x04 this is not a zip file", name="x.docx")


def test_broken_pdf_is_a_clear_error():
    with pytest.raises(parsers.ParseError, match="PDF"):
        parsers.parse_document(b"%PDF-1.7 ...", name="x.pdf")
