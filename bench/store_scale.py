"""The database at national scale: synthetic reports through the real ingest path.

    .venv/bin/python bench/scale.py --store [--reports 50000] [--batch 256]

Imported by ``bench/scale.py --store``. Builds ``--reports`` synthetic reports (every key of
the 2021 format, a failed check in one of ten, a fetch row each for provenance: what a
reparse stores) and saves them with ``ingest.Ingest.save_many``, into SQLite and into a
throwaway PostgreSQL cluster in the same run; then measures the database's size and the
common questions (cold: first time in a fresh process; warm: the best of three after).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from nianbao.archive.documents import Document
from nianbao.ingest import Ingest, Parsed
from nianbao.parsers.report import CheckFailure
from nianbao.parsers.schema import load_schema
from nianbao.store import Store
from nianbao.store.repository import values_digest

from nianbao import parsers

AGENCIES = ("人民政府", "教育局", "民政局", "财政局", "公安分局", "人力资源和社会保障局",
            "卫生健康委员会", "生态环境局", "市场监督管理局", "住房和城乡建设局")
YEARS = range(2019, 2025)
NUMBERS = range(500)


def synthetic(n: int, seed: int = 17) -> Iterator[tuple[Document, Parsed]]:
    """``n`` reports: 2,800 counties × agencies × years, so one agency has one report a year."""
    rng = random.Random(seed)
    keys = [k.key for k in load_schema().keys.values() if "2021" in k.formats]
    per_agency = len(YEARS)
    start = datetime(2026, 1, 1)
    for i in range(n):
        place, year = divmod(i, per_agency)
        county, agency = divmod(place, len(AGENCIES))
        province = 11 + county % 31
        code = f"{province:02d}{1 + county // 31 % 20:02d}{1 + county // 620:02d}"
        district = f"县{county}"
        cells = [(k, float(v), str(v), "number")
                 for k, v in zip(keys, rng.choices(NUMBERS, k=len(keys)), strict=True)]
        report = parsers.Report(
            is_report=True, document_type="html", title=f"{district}{AGENCIES[agency]}"
            f"{2019 + year}年政府信息公开工作年度报告", agency=f"{district}{AGENCIES[agency]}",
            province=f"省{province}", city=f"市{county // 31 % 20}", district=district,
            division_code=code, year=2019 + year, published=f"{2020 + year}-01-15",
            format="2021")
        if i % 10 == 0:
            report.checks_failed = [CheckFailure(
                identity="applications.total", key="applications.total.total",
                keys=["applications.granted.total"], lhs=10.0, rhs=12.0)]
        url = f"http://www.gov{county}.gov.cn/xxgk/{agency}/{2019 + year}.html"
        doc = Document(url=url, content_type="text/html", record_id=f"<urn:uuid:{i:032x}>",
                       warc_file=f"bench-{i // 1000:05d}.warc.gz", offset=i % 1000 * 9000,
                       length=9000, status=200, payload_digest=f"sha1:{i:032d}",
                       fetched_at=start + timedelta(seconds=i), portal=f"portal{province}")
        yield doc, Parsed(report, cells, values_digest((k, v) for k, v, _, _ in cells))


def ingest(url: str, n: int, batch: int) -> dict:
    """Reports/s through ``Ingest.save_many``, ``batch`` documents a transaction."""
    with Store(url, upgrade=True) as store:
        saver = Ingest(store)
        items: list = []
        elapsed = 0.0
        for pair in synthetic(n):
            items.append(pair)
            if len(items) >= batch:
                begin = time.perf_counter()
                saver.save_many(items)
                elapsed += time.perf_counter() - begin
                items = []
        if items:
            begin = time.perf_counter()
            saver.save_many(items)
            elapsed += time.perf_counter() - begin
        counts = store.counts()
    return {"seconds": elapsed, "reports_per_s": n / elapsed, **counts}


# -- the questions, each in a fresh interpreter (bench/scale.py --store-child) -----------

def questions() -> dict[str, tuple[object, bool]]:
    """Each question: its Query (None: the failed-check list) and whether report_totals
    may answer it."""
    from nianbao.store.questions import Query

    return {
        "province aggregate, 2023": (Query(
            keys=["applications.received.total"], year="2023", group_by=["province"]), True),
        "applications.*.total by year": (Query(
            keys=["applications.*.total"], group_by=["year"]), True),
        # the same from every report's row, without report_totals: what the totals buy
        "  the same, every report's row": (Query(
            keys=["applications.*.total"], group_by=["year"]), False),
        "one agency's history": (Query(keys=["applications.*.total"],
                                       agency=f"县123{AGENCIES[1]}"), True),
        "one division's reports": (Query(keys=["applications.total.total"],
                                         region="120101"), True),
        "failed-checks list": (None, True),
    }


def ask(url: str, name: str) -> dict:
    """The question's first answer in this fresh process (cold: no connection, no cache of
    its own; the OS file cache may hold the database) and the best of three after (warm)."""
    from nianbao.store.questions import stream
    from sqlalchemy import text

    query, totals = questions()[name]
    times, count = [], 0
    with Store(url, check=True) as store, store.engine.connect() as connection:
        for _ in range(4):
            begin = time.perf_counter()
            if query is None:
                count = sum(1 for _ in connection.execute(text(
                    "SELECT report_id, agency, year, checks_failed FROM report_current "
                    "WHERE checks_failed > 0")))
            else:
                _, rows = stream(connection, query, totals=totals)
                count = sum(1 for _ in rows)
            times.append(time.perf_counter() - begin)
    return {"cold": times[0], "warm": min(times[1:]), "rows": count}


def export(url: str, out: str) -> dict:
    from nianbao.cli import main

    begin = time.perf_counter()
    code = main(["export", "--db", url, "--format", "csv", "--out", out])
    return {"code": code, "seconds": time.perf_counter() - begin}


def size_mb(url: str) -> float:
    if url.startswith("sqlite"):
        from pathlib import Path

        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    from sqlalchemy import text

    with Store(url) as store:
        return store.session.scalar(text("SELECT pg_database_size(current_database())")) / 1e6
