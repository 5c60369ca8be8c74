"""Parse throughput per document form, against the bare library reading the same files.

    .venv/bin/python bench/parse.py [--rounds N]

Prints reports/s for nianbao's parser on one core, and the ratio of its time to the time
the underlying library alone needs to read the same documents (lxml for HTML, the DOCX
XML for DOCX, decoding for text), so the cost of nianbao's own logic is visible.
"""

from __future__ import annotations

import argparse
import io
import time
import zipfile
from collections.abc import Callable

import lxml.html
from lxml import etree

import parsers
from nianbao.demo import load_seeds, render_report_docx, render_report_html


def page(agency: str, year: int, body: str) -> bytes:
    title = f"{agency}{year}年政府信息公开工作年度报告"
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body>{body}</body></html>").encode()


def documents() -> dict[str, list[tuple[bytes, str]]]:
    seeds = load_seeds()
    html = [(page(s.agency, s.year, render_report_html(s)), "r.html") for s in seeds]
    return {
        "html": html,
        "docx": [(render_report_docx(s), "r.docx") for s in seeds],
        "text": [(s.text.encode("utf-8"), "r.txt") for s in seeds],
    }


def bare_read(form: str) -> Callable[[bytes], object]:
    if form == "html":
        return lambda body: lxml.html.document_fromstring(body)
    if form == "docx":
        def read(body: bytes) -> object:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                return etree.fromstring(archive.read("word/document.xml"))
        return read
    return lambda body: body.decode("utf-8").splitlines()


def timed(fn: Callable[[], object], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    print(f"{'form':6} {'reports/s':>10} {'bare lib/s':>11} {'ours/bare':>10}")
    for form, docs in documents().items():
        read = bare_read(form)
        ours = timed(lambda docs=docs: [parsers.parse_document(b, name=n) for b, n in docs],
                     args.rounds)
        bare = timed(lambda docs=docs, read=read: [read(b) for b, _ in docs], args.rounds)
        count = len(docs) * args.rounds
        print(f"{form:6} {count / ours:10.1f} {count / bare:11.1f} {ours / bare:10.1f}x")


if __name__ == "__main__":
    main()
