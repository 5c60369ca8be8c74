"""The crawl's parser pool: PDF and Word documents parsed in a worker process, a hung or
dead worker cut off with a recorded error, HTML kept on the event loop."""

from __future__ import annotations

import asyncio
import multiprocessing
import os

import pytest

from nianbao import parsers
from nianbao.parsing import ParserGone, ParserPool

from .conftest import seed_as_word_and_pdf


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    from nianbao.demo import render_report_html

    seed, docx, pdf = seed_as_word_and_pdf(tmp_path_factory.mktemp("pool"), 1)
    return seed, pdf, docx, render_report_html(seed).encode("utf-8")


def workers() -> set[int]:
    return {p.pid for p in multiprocessing.active_children()}


def test_pdf_and_docx_are_parsed_in_a_worker_html_on_the_loop(documents):
    seed, pdf, docx, html = documents
    pool = ParserPool(processes=1)

    async def run():
        from_pdf = await pool.parse(pdf, name="report.pdf")
        started = workers()
        from_docx = await pool.parse(docx, name="report.docx")
        from_html = await pool.parse(html, content_type="text/html; charset=utf-8")
        return from_pdf, started, from_docx, from_html

    try:
        from_pdf, started, from_docx, from_html = asyncio.run(run())
        assert started and os.getpid() not in started  # a worker process did the PDF
        for report in (from_pdf, from_docx, from_html):
            assert {k: v for k, v in report.values().items() if k in seed.values} == \
                seed.values
    finally:
        pool.close()
    assert not workers()


def test_html_needs_no_worker(documents):
    _seed, _pdf, _docx, html = documents
    pool = ParserPool(processes=1)
    report = asyncio.run(pool.parse(html, content_type="text/html; charset=utf-8"))
    assert report.is_report and pool._executor is None and not workers()


def test_no_processes_parses_everything_on_the_loop(documents):
    seed, pdf, _docx, _html = documents
    pool = ParserPool(processes=0)
    report = asyncio.run(pool.parse(pdf, name="report.pdf"))
    assert report.status == "parsed" and pool._executor is None and not workers()
    assert report.values()["applications.received.total"] == \
        seed.values["applications.received.total"]


def test_a_document_over_the_time_limit_is_cut_off_and_the_next_one_parses(documents):
    seed, pdf, _docx, _html = documents
    pool = ParserPool(processes=1, timeout=0.001)  # less than starting a worker takes

    async def run():
        with pytest.raises(ParserGone, match="took over"):
            await pool.parse(pdf, name="slow.pdf")
        # the stuck worker was stopped (the executor's own thread may take a moment, on a
        # loaded machine, to let go of the process it was told to shut down)
        for _ in range(50):
            if not workers():
                break
            await asyncio.sleep(0.1)
        assert not workers()
        pool.timeout = 120
        return await pool.parse(pdf, name="report.pdf")

    try:
        report = asyncio.run(run())
        assert report.values()["applications.received.total"] == \
            seed.values["applications.received.total"]
    finally:
        pool.close()


def test_a_worker_that_dies_gives_an_error_and_a_new_worker(documents):
    seed, pdf, _docx, _html = documents
    pool = ParserPool(processes=1)

    async def run():
        await pool.parse(pdf, name="warm.pdf")  # the worker is up
        parsing = asyncio.ensure_future(pool.parse(pdf, name="killed.pdf"))
        await asyncio.sleep(0)  # submitted
        for process in multiprocessing.active_children():
            process.kill()  # as the OOM killer would
        with pytest.raises(ParserGone, match="died"):
            await parsing
        return await pool.parse(pdf, name="again.pdf")

    try:
        report = asyncio.run(run())
        assert isinstance(report, parsers.Report) and report.status == "parsed"
    finally:
        pool.close()


def test_a_broken_file_raises_the_parsers_error_through_the_worker():
    pool = ParserPool(processes=1)
    try:
        with pytest.raises(parsers.ParseError, match="PDF"):
            asyncio.run(pool.parse(b"%PDF-1.7\n" + b"\x00" * 100, name="broken.pdf"))
    finally:
        pool.close()
