"""The parser on the generated corpus: every form and quirk, at least 99.5% of cells right.

The corpus (tests/corpus) renders ~320 reports with known values as HTML, DOCX, PDF,
.doc/.wps and text. PDF and .doc are made by LibreOffice from the DOCX in one batch per
format; the .doc/.wps files are read back through the same converter the parser uses
(one batch here, instead of one LibreOffice start per file; two files go through
`parse_document` end to end below).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from nianbao.parsers.legacy import convert

from nianbao import parsers

from .corpus import COUNTS, build_corpus, score
from .corpus.build import expected_meta

pytestmark = pytest.mark.skipif(
    not any(Path(d, "soffice").exists() for d in ("/usr/bin", "/usr/local/bin")),
    reason="LibreOffice is needed to make the PDF and .doc corpus (tools/system-deps.sh)")

TARGET = 0.995


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    directory = tmp_path_factory.mktemp("corpus")
    docs = build_corpus(directory)
    legacy = [d for d in docs if d.spec.form in ("doc", "wps")]
    back = convert([d.path for d in legacy], "docx", directory / "back")
    return docs, dict(zip([d.path for d in legacy], back, strict=True))


def parse(doc, converted: dict[Path, Path]) -> dict:
    if doc.path in converted:
        report = parsers.parse_document(converted[doc.path].read_bytes(), name="x.docx")
    else:
        report = parsers.parse_document(doc.path.read_bytes(), content_type=doc.content_type,
                                        name=doc.path.name)
    return report.to_json()


def test_corpus_covers_every_form(corpus):
    docs, _ = corpus
    forms = {d.spec.form for d in docs}
    assert forms == set(COUNTS) and len(docs) >= 300
    assert all(d.path.exists() and d.path.suffix == f".{d.spec.form}".replace(".text", ".txt")
               for d in docs)


def test_cell_accuracy_per_form(corpus):
    docs, converted = corpus
    result = score(docs, lambda doc: parse(doc, converted))
    summary = {form: f"{result.accuracy(form):.4%} of {result.cells[form]} cells "
                     f"({result.documents[form]} documents)" for form in result.cells}
    print("\n".join(f"{k}: {v}" for k, v in summary.items()))
    wrong = "\n".join(result.wrong)
    assert result.accuracy() >= TARGET, f"{summary}\nwrong cells:\n{wrong}"
    for form in result.cells:
        assert result.accuracy(form) >= TARGET, f"{form}: {summary[form]}\nwrong cells:\n{wrong}"


def test_identity_failures_are_exactly_the_deliberate_ones(corpus):
    docs, converted = corpus
    deliberate = [d for d in docs if d.spec.violations]
    consistent = [d for d in docs if not d.spec.violations]
    assert len(deliberate) >= 30 and len(consistent) >= 200
    false_flags = {}
    for doc in docs:
        flagged = sorted({c["key"] for c in parse(doc, converted)["checks_failed"]})
        if flagged != sorted(doc.spec.violations):
            false_flags[doc.spec.id] = (flagged, doc.spec.violations)
    assert false_flags == {}


@pytest.mark.parametrize("form", ["doc", "wps"])
def test_legacy_files_through_parse_document(corpus, form):
    docs, _ = corpus
    doc = next(d for d in docs if d.spec.form == form)
    report = parsers.parse_document(doc.path.read_bytes(), name=doc.path.name)
    assert report.document_type == form and report.status == "parsed"
    values = report.values()
    assert {k: values.get(k) for k in doc.spec.expected} == doc.spec.expected
    meta = expected_meta(doc.spec)
    assert {k: report.to_json()[k] for k in meta} == meta


@pytest.fixture(scope="session")
def seed_pdfs(tmp_path_factory):
    """The five seeds rendered by the demo's own (independent) DOCX renderer, as PDF."""
    from nianbao.demo import load_seeds, render_report_docx

    directory = tmp_path_factory.mktemp("seed-pdf")
    seeds = load_seeds()
    paths = []
    for seed in seeds:
        path = directory / f"seed-{seed.id}.docx"
        path.write_bytes(render_report_docx(seed))
        paths.append(path)
    return list(zip(seeds, convert(paths, "pdf", directory / "pdf"), strict=True))


def test_seeds_as_pdf(seed_pdfs):
    for seed, path in seed_pdfs:
        report = parsers.parse_document(path.read_bytes(), name=path.name)
        assert report.document_type == "pdf" and report.format == seed.format
        assert {k: v for k, v in report.values().items() if k in seed.values} == seed.values
        assert report.agency == seed.agency and report.year == seed.year
        assert sorted({c.key for c in report.checks_failed}) == \
            seed.expected["expected_violations"]
