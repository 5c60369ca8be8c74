"""Parse throughput per document form, against the bare library reading the same files.

    .venv/bin/python bench/parse.py [--rounds N] [--no-libreoffice] [--ocr-only] [--engines]

Prints reports/s for nianbao's parser on one core (CPU time of this process, so other work
on the machine does not count), and the ratio of its time to the time the underlying
library alone needs to read the same documents, so the cost of nianbao's own logic is
visible:

- html: lxml.html.document_fromstring on the bytes
- docx: unzip word/document.xml and parse it with lxml
- pdf: PDFium (pypdfium2) opening the file and extracting every page's text
- doc: LibreOffice converting the file to DOCX (nianbao's reading of a .doc is that plus
  the DOCX reader)
- text: decoding the bytes and splitting lines

The documents are the test corpus's (tests/corpus): the official tables with their
quirks, PDF and .doc made by LibreOffice from the DOCX.

Scans (tests/corpus/scan.py: image-only PDF, PNG, JPG, DOCX of page pictures) are timed
in pages/s on one core, against the bare recogniser reading the same line images (so the
cost of finding pages, rulings, cells and lines is visible), with the share of exact cells.
``--engines`` also reads the same pages with Tesseract (when tesserocr is installed) for
the comparison in docs/ocr.md.

For HTML it then splits nianbao's time into its stages (decoding, lxml's parse of the
decoded text, the walk over the table cells, reading the cells into canonical keys, and
the rest: prose, metadata, identity checks, the report), each against the bare parse.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pypdfium2 as pdfium
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nianbao.parsers.encoding import charset_from_content_type, decode  # noqa: E402
from nianbao.parsers.html import read_html, table_tokens  # noqa: E402
from nianbao.parsers.legacy import to_docx  # noqa: E402
from nianbao.parsers.tables import read_tables  # noqa: E402

from nianbao import parsers  # noqa: E402
from tests.corpus import build_corpus  # noqa: E402

COUNTS = {"html": 60, "docx": 30, "pdf": 12, "doc": 4, "text": 30}


def documents(directory: Path,
              libreoffice: bool) -> dict[str, list[tuple[bytes, str, str | None]]]:
    counts = dict(COUNTS)
    if not libreoffice:
        counts.pop("pdf")
        counts.pop("doc")
    docs = build_corpus(directory, counts)
    out: dict[str, list[tuple[bytes, str, str | None]]] = {}
    for doc in docs:
        # The Content-Type the corpus serves the document with, as a crawl would pass it
        # (some pages name their charset only there).
        out.setdefault(doc.spec.form, []).append(
            (doc.path.read_bytes(), doc.path.name, doc.content_type))
    return out


def bare_read(form: str) -> Callable[[bytes], object]:
    if form == "html":
        return lambda body: lxml.html.document_fromstring(body)
    if form == "docx":
        def read_docx(body: bytes) -> object:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                return etree.fromstring(archive.read("word/document.xml"))
        return read_docx
    if form == "pdf":
        def read_pdf(body: bytes) -> object:
            pdf = pdfium.PdfDocument(body)
            text = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
            pdf.close()
            return text
        return read_pdf
    if form == "doc":
        return lambda body: to_docx(body, "doc")
    return lambda body: body.decode("utf-8", errors="replace").splitlines()


def timed(fn: Callable[[], object], rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        fn()
    return time.process_time() - start


def wall(fn: Callable[[], object], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--no-libreoffice", action="store_true",
                    help="skip the PDF and .doc forms (they need LibreOffice to make)")
    ap.add_argument("--ocr-only", action="store_true", help="only the scans")
    ap.add_argument("--engines", action="store_true",
                    help="compare the OCR engines on the same scanned pages")
    ap.add_argument("--scans", type=int, default=2, help="scans of each container")
    args = ap.parse_args()
    ocr(args.scans, args.engines)
    if args.ocr_only:
        return
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        forms = documents(Path(tmp), not args.no_libreoffice)
    print(f"{'form':6} {'docs':>5} {'reports/s':>10} {'bare lib/s':>11} {'ours/bare':>10}")
    for form, docs in forms.items():
        read = bare_read(form)
        rounds = 1 if form == "doc" else args.rounds
        # LibreOffice runs in a child process: its time is wall time, not this process's.
        clock = wall if form == "doc" else timed

        def ours(docs=docs) -> None:
            for body, name, content_type in docs:
                parsers.parse_document(body, content_type=content_type, name=name)

        def bare(docs=docs, read=read) -> None:
            for body, _name, _content_type in docs:
                read(body)

        ours()  # warm caches (label tables, schema, OpenCC) once, as a long crawl would
        # Rounds alternate between the two, so a change in the machine's load while the
        # bench runs weighs on both sides of the ratio alike.
        ours_time = bare_time = 0.0
        for _ in range(rounds):
            ours_time += clock(ours, 1)
            bare_time += clock(bare, 1)
        count = len(docs) * rounds
        print(f"{form:6} {len(docs):5} {count / ours_time:10.1f} {count / bare_time:11.1f} "
              f"{ours_time / bare_time:9.2f}x")
    if "html" in forms:
        html_stages(forms["html"], args.rounds)


def ocr(per_form: int, engines: bool) -> None:
    """OCR pages/s on one core (CPU time: the recogniser runs one thread), and exact cells."""
    from nianbao.parsers import ocr as ocr_engines
    from nianbao.parsers import scan

    from tests.corpus.scan import FORMS, make_scan

    forms = [form for form in FORMS for _n in range(per_form)]
    made = [make_scan(form, n) for form in FORMS for n in range(per_form)]
    crops: list = []

    class Recorder:
        """The engine, keeping the line images it was given (for the bare baseline)."""

        def __init__(self, engine) -> None:
            self.engine, self.name = engine, engine.name

        def recognize(self, lines):
            crops.extend(lines)
            return self.engine.recognize(lines)

    names = ["rapidocr"] + (["tesseract"] if engines else [])
    print(f"{'ocr engine':34} {'pages':>5} {'pages/s':>8} {'exact cells':>12} "
          f"{'bare/s':>7} {'ours/bare':>9}")
    for name in names:
        try:
            engine = ocr_engines.engine(name)
        except ocr_engines.OcrUnavailable as exc:
            print(f"{name:34} unavailable: {exc}")
            continue
        crops.clear()
        original = scan.load_engine
        scan.load_engine = lambda _name, engine=engine: Recorder(engine)
        right = cells = pages = 0
        start = time.process_time()
        try:
            for (spec, data), form in zip(made, forms, strict=True):
                report = parsers.parse_document(data, name=f"scan.{form}")
                pages += report.ocr["pages"]
                values = report.to_json()["values"]
                for key, want in spec.expected.items():
                    cells += 1
                    right += values.get(key, "missing") == want
        finally:
            scan.load_engine = original
        ours = time.process_time() - start
        bare = timed(lambda engine=engine: engine.recognize(crops), 1)
        print(f"{engine.name:34} {pages:5} {pages / ours:8.2f} {right / cells:11.2%} "
              f"{pages / bare:7.2f} {ours / bare:8.2f}x")


def html_stages(docs: list[tuple[bytes, str, str | None]], rounds: int) -> None:
    """Where nianbao's HTML time goes, stage by stage (fastest of the rounds, per document)."""
    # Each page with the charset its Content-Type names, as parse_document takes it.
    pages = [(body, charset_from_content_type(content_type)) for body, _n, content_type in docs]
    texts = [decode(body, charset)[0] for body, charset in pages]
    roots = [etree.HTML(text) for text in texts]
    read = [read_html(body, charset) for body, charset in pages]
    stages: dict[str, Callable[[], object]] = {
        "bare lxml parse": lambda: [lxml.html.document_fromstring(b) for b, _cs in pages],
        "decoding": lambda: [decode(body, charset) for body, charset in pages],
        "parse of the text": lambda: [etree.HTML(text) for text in texts],
        "walking the cells": lambda: [table_tokens(root) for root in roots],
        "reading the cells": lambda: [read_tables(doc.tokens) for doc in read],
        "all of it": lambda: [parsers.parse_document(b, content_type=c, name=n)
                              for b, n, c in docs],
    }
    # Rounds go over every stage in turn, so a drift in the machine's speed weighs on all.
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(rounds):
        for name, fn in stages.items():
            best[name] = min(best[name], timed(fn, 1) / len(docs))
    bare = best["bare lxml parse"]
    tables = best["walking the cells"] + best["reading the cells"]
    best["the rest (prose, metadata, checks, report)"] = (
        best["all of it"] - best["decoding"] - best["parse of the text"] - tables)
    print(f"\nhtml, stage by stage (µs a document, fastest of {rounds} rounds):")
    for name in [*stages][1:-1] + ["the rest (prose, metadata, checks, report)", "all of it"]:
        print(f"  {name:42} {best[name] * 1e6:7.1f}  {best[name] / bare:5.2f}x the bare parse")
    print(f"  {'all of it but the table cells':42} {(best['all of it'] - tables) * 1e6:7.1f}  "
          f"{(best['all of it'] - tables) / bare:5.2f}x the bare parse")


if __name__ == "__main__":
    main()
