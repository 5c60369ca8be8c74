"""The corpus: reports with known values in every form, and how the parser scored on them.

    from tests.corpus import build_corpus, score
    corpus = build_corpus(tmp_dir)          # ~330 documents, PDF and .doc in one batch each
    result = score(corpus, parse)           # per-form accuracy and every wrong cell

Each document is drawn from its own seeded random generator, so a failure names a
document that can be rebuilt alone (``make_spec(form, n)``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .model import AGENCIES, APPLICANTS, Spec, draw
from .render import render_docx, render_html, render_text, title_of

# How many documents of each form the corpus holds.
COUNTS = {"html": 150, "docx": 64, "pdf": 30, "doc": 12, "wps": 6, "text": 60}

_COMMON = ["breaks", "empties", "thousands", "signed", "traditional", "shuffle", "drop",
           "short", "units", "fullwidth", "violation", "extra", "ascii_brackets", "justified",
           "misprint", "untitled"]
QUIRKS = {
    "html": _COMMON + ["split", "repeat_header", "wrappers", "nbsp", "subtotal", "noise",
                       "encoding", "chrome", "toolbar"],
    "docx": _COMMON + ["subtotal", "noise"],
    "pdf": [q for q in _COMMON if q not in ("traditional", "fullwidth")] + ["kangxi",
                                                                            "subtotal"],
    "doc": _COMMON + ["subtotal"],
    "wps": _COMMON,
    "text": _COMMON + ["pinyin", "noise", "layout", "gbk_text", "blank_cells"],
}
# How a text version lays out its tables: Word's text export (a cell a line, led by a tab),
# a row a line with cells between tabs, runs of spaces (joined, or aligned in screen
# columns), pipes (plain, markdown with separator rows, full-width ｜).
TEXT_LAYOUTS = ["seed_layout", "tab_aligned", "spaces", "columns", "pipe", "markdown",
                "fullwidth_pipe"]
# Layouts where a blank cell cannot be printed (nothing marks where it stands).
NO_BLANKS = ("spaces",)
_EMPTY = ["", "—", "-", "/", "无", "——"]


@dataclass
class Document:
    spec: Spec
    path: Path
    content_type: str | None = None


@dataclass
class Score:
    cells: dict[str, int] = field(default_factory=dict)
    right: dict[str, int] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)  # "doc-id key: got X, expected Y"
    documents: dict[str, int] = field(default_factory=dict)

    def accuracy(self, form: str | None = None) -> float:
        forms = [form] if form else list(self.cells)
        total = sum(self.cells[f] for f in forms)
        return sum(self.right[f] for f in forms) / total if total else 0.0


def _fmt_number(value: int | float, spec: Spec, key: str, rng: random.Random) -> str:
    q = spec.quirks
    if isinstance(value, float):
        text = f"{value:g}" if value else "0"
    elif "thousands" in q and abs(value) >= 1000:
        text = f"{value:,}"
    else:
        text = str(value)
    if key.endswith(".change") and "signed" in q and value:
        text = rng.choice([f"+{value}", f"增{value}"]) if value > 0 else rng.choice(
            [str(value), f"减{-value}"])
    if "units" in q and rng.random() < 0.3:
        text += "万元" if key == "active.fees.amount" else ("件" if value >= 0 else "")
    if "fullwidth" in q and rng.random() < 0.5:
        text = text.translate(str.maketrans("0123456789,", "０１２３４５６７８９，"))
    if "noise" in q and value == 0 and rng.random() < 0.3:
        text += "?"
    return text


def _zero_row(spec: Spec, key: str) -> bool:
    prefix = key.rsplit(".", 1)[0]
    return all(spec.values[f"{prefix}.{c}"] == 0 for c in APPLICANTS)


def make_spec(form: str, n: int) -> tuple[Spec, random.Random]:
    rng = random.Random(f"{form}-{n}")
    year = rng.choice([2019, 2020, 2021, 2022, 2023, 2024])
    fmt = "2019" if year <= 2020 or rng.random() < 0.15 else "2021"  # 2023 in the old layout
    spec = Spec(id=f"{form}-{n:03d}", form=form, fmt=fmt, agency=rng.choice(AGENCIES),
                year=year, values={})
    spec.published = f"{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"
    spec.quirks = {q for q in QUIRKS[form] if rng.random() < 0.3}
    if "layout" in spec.quirks or form == "text":
        spec.quirks.add(rng.choice(TEXT_LAYOUTS))
    if spec.quirks.intersection(NO_BLANKS):
        spec.quirks.discard("blank_cells")
    elif form == "text" and rng.random() < 0.5:
        spec.quirks.add("blank_cells")  # most text layouts can print blanks: test them often
    if "untitled" in spec.quirks and "chrome" in spec.quirks:
        spec.quirks.discard("untitled")  # a portal page has a title block (chrome tests it)
    if "untitled" in spec.quirks:  # and then says who wrote it: 由XX编制, a title in a
        spec.quirks.add(rng.choice(["untitled_by", "untitled_titled", "untitled_signed"]))
    if "chrome" in spec.quirks:  # where the page says whose report it is
        spec.quirks.add(rng.choice(["agency_title", "agency_meta", "agency_catalog",
                                    "agency_crumb", "agency_sentence"]))
    if "encoding" in spec.quirks:
        spec.quirks.add(rng.choice(["gbk_meta", "gbk_http", "undeclared"]))
    spec.values = draw(rng, fmt, big="thousands" in spec.quirks)
    if "drop" in spec.quirks:  # rows left out are rows of zeros: the totals still hold
        for prefix in ("withheld.", "unavailable."):
            zero = [k.rsplit(".", 1)[0].split(".", 1)[1] for k in spec.values
                    if k.startswith(f"applications.{prefix}") and k.endswith(".total")
                    and all(spec.values[k.rsplit(".", 1)[0] + "." + c] == 0
                            for c in ("natural_person", "commercial", "research",
                                      "social_welfare", "legal_service", "other_org", "total"))]
            for row in rng.sample(zero, min(2, len(zero))):
                spec.quirks.add(row)
    for key, value in spec.values.items():
        spec.printed[key] = _fmt_number(value, spec, key, rng)
        spec.expected[key] = value
        row = key.split(".", 1)[1].rsplit(".", 1)[0] if key.startswith("applications.") else ""
        if row in spec.quirks:
            spec.expected[key] = None
        elif "blank_cells" in spec.quirks and value == 0 and key.startswith("applications.") \
                and not key.endswith(".total") and (rng.random() < 0.5 or _zero_row(spec, key)):
            spec.printed[key] = ""  # a blank applicant cell: rows of zeros print only 总计
            spec.expected[key] = None
        elif "empties" in spec.quirks and value == 0 and rng.random() < 0.25:
            choices = _EMPTY[1:] if "spaces" in spec.quirks else _EMPTY
            spec.printed[key] = rng.choice(choices)
            spec.expected[key] = None
    if "violation" in spec.quirks:
        key = rng.choice(["applications.total.total", "appeals.review.total",
                          "appeals.litigation_direct.total"])
        if spec.expected[key] is not None:
            spec.values[key] += 1
            spec.expected[key] = spec.values[key]
            spec.printed[key] = str(spec.values[key])
            spec.violations = [key]
    return spec, rng


def build_corpus(directory: Path, counts: dict[str, int] | None = None) -> list[Document]:
    """Write every document; PDF and .doc/.wps made by LibreOffice from DOCX, in batches."""
    from nianbao.parsers.legacy import convert

    counts = counts or COUNTS
    docs: list[Document] = []
    via_docx: dict[str, list[Document]] = {"pdf": [], "doc": [], "wps": []}
    for form, count in counts.items():
        for n in range(count):
            spec, rng = make_spec(form, n)
            if form == "html":
                body, content_type = render_html(spec, rng)
                path = directory / f"{spec.id}.html"
                path.write_bytes(body)
                docs.append(Document(spec, path, content_type))
            elif form == "text":
                path = directory / f"{spec.id}.txt"
                path.write_bytes(render_text(spec, rng))
                docs.append(Document(spec, path))
            else:
                path = directory / f"{spec.id}.docx"
                path.write_bytes(render_docx(spec, rng))
                doc = Document(spec, path)
                (docs if form == "docx" else via_docx[form]).append(doc)
    pdfs = via_docx["pdf"]
    legacy = via_docx["doc"] + via_docx["wps"]
    # LibreOffice runs are the slow part (1-2 s a document): two at a time, each a batch.
    half = len(pdfs) // 2
    jobs = [(pdfs[:half], "pdf", "pdf"), (pdfs[half:], "pdf", "pdf"),
            (legacy, "doc:MS Word 97", "doc")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(
            lambda job: convert([d.path for d in job[0]], job[1], directory / job[2]), jobs))
    for (batch, _target, _dir), outs in zip(jobs, results, strict=True):
        for doc, out in zip(batch, outs, strict=True):
            if doc.spec.form == "wps":  # Kingsoft's .wps: an OLE Word document under its name
                out = out.rename(out.with_suffix(".wps"))
            doc.path = out
    return docs + pdfs + legacy


META = ("agency", "province", "city", "district", "division_code", "year", "format")


def expected_meta(spec: Spec) -> dict:
    agency, province, city, district, code = spec.agency
    return {"agency": agency, "province": province, "city": city, "district": district,
            "division_code": code, "year": spec.year, "format": spec.fmt}


def score(docs: list[Document], parse: Callable[[Document], dict]) -> Score:
    """Every expected cell and metadata field compared with what ``parse`` returned."""
    result = Score()
    for doc in docs:
        form = "doc/wps" if doc.spec.form in ("doc", "wps") else doc.spec.form
        result.cells.setdefault(form, 0)
        result.right.setdefault(form, 0)
        result.documents[form] = result.documents.get(form, 0) + 1
        try:
            got = parse(doc)
        except Exception as exc:  # noqa: BLE001 - a crash costs every cell of the document
            got = {"values": {}, "checks_failed": [], "error": repr(exc)}
        wanted = dict(doc.spec.expected) | {f"meta.{k}": v for k, v in
                                           expected_meta(doc.spec).items()}
        actual = dict(got["values"]) | {f"meta.{k}": got.get(k) for k in META}
        for key, value in wanted.items():
            result.cells[form] += 1
            have = actual.get(key, "missing")
            if have == value and type(have) is type(value):
                result.right[form] += 1
            elif isinstance(value, float) and isinstance(have, float) and abs(have - value) < 1e-9:
                result.right[form] += 1
            else:
                result.wrong.append(f"{doc.spec.id} {key}: got {have!r}, expected {value!r} "
                                    f"(printed {doc.spec.printed.get(key)!r}; quirks "
                                    f"{sorted(doc.spec.quirks)})")
        flagged = sorted({c["key"] for c in got["checks_failed"]})
        result.cells[form] += 1  # the identity checks count as one cell of the document
        if flagged == sorted(doc.spec.violations):
            result.right[form] += 1
        else:
            result.wrong.append(f"{doc.spec.id} checks_failed: got {flagged}, expected "
                                f"{sorted(doc.spec.violations)}")
    return result


__all__ = ["COUNTS", "Document", "Score", "build_corpus", "make_spec", "score", "title_of"]
