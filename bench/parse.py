"""Parse throughput per document form, against the bare library reading the same files.

    .venv/bin/python bench/parse.py [--rounds N] [--no-libreoffice]

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

import parsers  # noqa: E402
from parsers.legacy import to_docx  # noqa: E402
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
    args = ap.parse_args()
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


if __name__ == "__main__":
    main()
