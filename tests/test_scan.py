"""Scanned reports read by OCR: image-only PDF, PNG, JPG and DOCX of page pictures, drawn
from the corpus model (both templates), tilted, noisy and JPEG'd (tests/corpus/scan.py).

OCR is slow (about a second a page on one core), so the corpus here is four documents,
eight pages; bench/parse.py measures the speed.
"""

from __future__ import annotations

import socket

import pytest
from nianbao.parsers import scan

from nianbao import parsers

from .corpus import score
from .corpus.build import expected_meta
from .corpus.scan import build_scans, make_scan

TARGET = 0.98
# (form, n): both templates, every container, and one report whose printed totals do not
# add up (pdf 1: the "violation" quirk).
CASES = {"pdf": [1], "png": [0], "jpg": [0], "docx": [0]}


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scans")
    docs = build_scans(directory, {form: max(ns) + 1 for form, ns in CASES.items()})
    docs = [d for d in docs if int(d.spec.id.rsplit("-", 1)[1]) in CASES[d.path.suffix[1:]]]
    reports = {d.spec.id: parsers.parse_document(d.path.read_bytes(), name=d.path.name)
               for d in docs}
    return docs, reports


def test_scans_cover_both_templates_and_every_container(scans):
    docs, reports = scans
    assert {d.spec.fmt for d in docs} == {"2019", "2021"}
    assert {d.path.suffix for d in docs} == {".pdf", ".png", ".jpg", ".docx"}
    assert {parsers.sniff(d.path.read_bytes()) for d in docs} == {"pdf", "image", "docx"}
    for report in reports.values():
        assert report.ocr is not None and report.ocr["pages"] >= 2


def test_cell_accuracy_on_scans(scans):
    docs, reports = scans
    result = score(docs, lambda doc: reports[doc.spec.id].to_json())
    wrong = "\n".join(result.wrong)
    assert result.accuracy() >= TARGET, f"{result.accuracy():.4%} exact; wrong cells:\n{wrong}"
    for doc in docs:  # the metadata as the text forms have it: agency, region, code, year
        got = reports[doc.spec.id].to_json()
        want = expected_meta(doc.spec)
        assert {k: got[k] for k in want} == want, doc.spec.id


def test_values_carry_ocr_and_confidence(scans):
    _docs, reports = scans
    for report in reports.values():
        data = report.to_json()
        cells = data["ocr"]["cells"]
        printed = [k for k, c in report.cells.items() if c.status != "absent"]
        assert printed and set(printed) <= set(cells)
        for key in printed:
            assert cells[key]["ocr"] is True
            assert 0 < cells[key]["confidence"] <= 1
        assert data["ocr"]["engine"].startswith("rapidocr")


def test_failed_identity_on_a_scan_needs_review(scans):
    docs, reports = scans
    for doc in docs:
        report = reports[doc.spec.id]
        if doc.spec.violations:
            assert report.status == parsers.NEEDS_REVIEW
            assert {f.key for f in report.checks_failed} == set(doc.spec.violations)
        elif not report.checks_failed:
            assert report.status == "parsed"
    assert any(d.spec.violations for d in docs)


def test_page_bound_is_recorded(monkeypatch):
    _spec, data = make_scan("pdf", 0)
    monkeypatch.setattr(scan, "MAX_PAGES", 1)
    report = parsers.parse_document(data, name="scan.pdf")
    assert report.ocr["pages"] == 1 and report.ocr["pages_total"] == 2
    assert report.ocr["bound"].startswith("pages: read 1 of 2")
    assert any("OCR stopped early" in note for note in report.notes)


def test_ocr_runs_offline(monkeypatch):
    """The models ship in the wheel: loading and reading open no connection."""
    def refuse(*args, **kwargs):
        raise AssertionError("OCR tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from nianbao.parsers.ocr import RapidEngine

    engine = RapidEngine()
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from .corpus.scan import FONT

    font = ImageFont.truetype(FONT, 24)
    x0, y0, x1, y1 = font.getbbox("予以公开12")
    image = Image.new("L", (x1 - x0 + 8, y1 - y0 + 8), 255)
    ImageDraw.Draw(image).text((4 - x0, 4 - y0), "予以公开12", fill=0, font=font)
    ((text, confidence),) = engine.recognize([np.asarray(image)])
    assert text == "予以公开12" and confidence > 0.8


def test_broken_image_is_a_one_line_error():
    with pytest.raises(parsers.ParseError, match="IMAGE: not a readable image"):
        parsers.parse_document(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, name="x.png")


def test_without_ocr_a_scan_stays_image_only():
    _spec, data = make_scan("pdf", 0)
    report = parsers.parse_document(data, name="scan.pdf", ocr=False)
    assert report.status == parsers.IMAGE_ONLY and report.ocr is None


def test_time_bound_is_recorded():
    import numpy as np

    blank = np.full((1754, 1240), 255, dtype=np.uint8)
    reading = scan.read_scan([blank, blank], max_seconds=-1)
    assert reading.pages == 0 and reading.pages_total == 2
    assert reading.bound.startswith("time: read 0 of 2 pages")
    assert any("OCR stopped early" in note for note in reading.notes)


def test_misread_agency_takes_the_one_standard_name_it_is_near():
    from nianbao.parsers.metadata import mend_read_agency

    assert mend_read_agency("广州市天河区市场监1督管理局") == "广州市天河区市场监督管理局"
    assert mend_read_agency("朔州市平鲁区人力资源和：会保障局") == \
        "朔州市平鲁区人力资源和社会保障局"
    assert mend_read_agency("朔州市平鲁区人力资源保障局") == "朔州市平鲁区人力资源保障局"  # 2 edits
    assert mend_read_agency("某某区文化广电X旅游局") == "某某区文化广电X旅游局"  # near two names
    assert mend_read_agency("某某区民政局") == "某某区民政局"


def test_typed_agency_is_not_mended():
    text = ("广州市天河区市场监1督管理局2021年政府信息公开工作年度报告\n"
            "一、总体情况\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n")
    report = parsers.parse_document(text.encode(), name="r.txt", ocr=False)
    assert report.agency == "广州市天河区市场监1督管理局"


def test_unit_stroke_read_as_one_after_zero():
    assert scan._as_read("01件") == "0件"
    assert scan._as_read("001件") == "0件"
    assert scan._as_read("11件") == "11件" and scan._as_read("01") == "01"
