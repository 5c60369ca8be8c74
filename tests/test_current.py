"""report_current: the wide table of current values equals the views after every kind of
write, and `nianbao query` on it answers what the views answered."""

from __future__ import annotations

import dataclasses
import fnmatch

import pytest
from nianbao.parsers.schema import load_schema
from nianbao.store import Store, questions
from sqlalchemy import text

from nianbao import parsers

from .conftest import seed_cases
from .test_query import copy_db

KEYS = list(load_schema().keys)


@pytest.fixture
def store(demo_crawl, tmp_path):
    db = copy_db(demo_crawl.data_dir / "nianbao.sqlite", tmp_path)
    with Store(f"sqlite:///{db}", upgrade=True) as opened:
        yield opened


def assert_current_is_the_views(store: Store) -> int:
    """Every row of report_current equals latest_report + report_wide, column by column."""
    columns = ", ".join(f'w."{k}"' for k in KEYS)
    meta = ("report_id, identity, agency, agency_type, province, city, district, "
            "division_code, year, format, title, url, published, parser_version, "
            "portal_id, fetch_id, copies, copies_disagree, status, checks_failed")
    with store.engine.connect() as connection:
        current = connection.execute(text(
            f'SELECT {meta}, {", ".join(chr(34) + k + chr(34) for k in KEYS)} '
            "FROM report_current ORDER BY identity")).all()
        views = connection.execute(text(
            f"SELECT {', '.join('l.' + c for c in meta.split(', '))}, {columns} "
            "FROM latest_report l JOIN report_wide w ON w.report_id = l.report_id "
            "ORDER BY l.identity")).all()
    assert [tuple(r) for r in current] == [tuple(r) for r in views]
    return len(current)


def test_current_values_follow_every_kind_of_write(store):
    before = assert_current_is_the_views(store)
    assert before == len(seed_cases())
    case = next(c for c in seed_cases() if c.expected["agency"].startswith("杭州"))
    body = case.path.read_text(encoding="utf-8")
    url = store.session.execute(text(
        "SELECT url FROM latest_report WHERE agency = :a"), {"a": case.expected["agency"]}
    ).scalar_one()
    # a new version at the same URL that reads another year: the old report loses its copy
    moved = parsers.parse_document(body.replace("2023年", "2021年").encode(),
                                   name=case.path.name)
    assert moved.year == 2021
    store.add_report(moved, url=url, fetch_id=None, portal_id=None, parser_version="9.9.9",
                     payload_digest="sha1:moved")
    assert assert_current_is_the_views(store) == before + (
        1 if store.session.scalar(text("SELECT COUNT(*) FROM report WHERE url <> :u AND "
                                       "agency = :a AND year = 2023"),
                                  {"u": url, "a": case.expected["agency"]}) else 0)
    # a second copy elsewhere, published later, with other values: it is the one kept
    copy = parsers.parse_document(body.encode(), name=case.path.name)
    copy = dataclasses.replace(copy, published="2099-01-01")
    first = next(iter(copy.cells))
    copy.cells[first] = dataclasses.replace(copy.cells[first], value=123456.0, raw="123456")
    store.add_report(copy, url="http://example.invalid/copy.html", fetch_id=None,
                     portal_id=None, parser_version="9.9.9", payload_digest="sha1:copy")
    assert_current_is_the_views(store)
    assert store.session.scalar(text(
        "SELECT copies_disagree FROM report_current WHERE url = :u"),
        {"u": "http://example.invalid/copy.html"}) == 1
    # the first payload fetched again: the URL's current version is the old one again
    first_digest = store.session.scalar(text(
        "SELECT payload_digest FROM report WHERE url = :u AND parser_version <> '9.9.9'"),
        {"u": url})
    from datetime import datetime
    store.seen_again(url, first_digest, datetime(2100, 1, 1))
    assert_current_is_the_views(store)
    assert store.session.scalar(text(
        "SELECT COUNT(*) FROM report_current WHERE url = :u AND year = 2021"), {"u": url}) == 0


def _old_run(connection, query: questions.Query) -> tuple[list[str], list[dict]]:
    """What `nianbao query` computed before report_current: latest_report joined to
    report_value, rows shaped and sorted in Python (the code it replaced, kept here as the
    reference the new one must agree with)."""
    keys = [k for p in query.keys for k in KEYS if fnmatch.fnmatchcase(k, p)]
    keys = list(dict.fromkeys(keys))
    where, params = questions.where_clause(query)
    params.update({f"k{i}": k for i, k in enumerate(keys)})
    join = ("LEFT JOIN report_value v ON v.report_id = r.report_id AND v.key IN ("
            + ", ".join(f":k{i}" for i in range(len(keys))) + ")")

    def order(value):
        return (value is None, value if value is not None else 0)

    if not query.group_by:
        columns = list(questions.REPORT_COLUMNS)
        rows: dict = {}
        for row in connection.execute(text(
                f"SELECT r.report_id, {', '.join('r.' + c for c in columns)}, v.key, v.value "
                f"FROM latest_report r {join}{where} ORDER BY r.report_id"), params):
            out = rows.setdefault(row.report_id, {**{c: getattr(row, c) for c in columns},
                                                  **dict.fromkeys(keys)})
            if row.key is not None:
                out[row.key] = questions.number(row.value)
        return columns + keys, sorted(rows.values(), key=lambda r: tuple(
            order(r[c]) for c in ("year", "province", "city", "district", "agency")))
    groups = list(query.group_by)
    aggregate = {"sum": "SUM(v.value)", "avg": "AVG(v.value)", "count": "COUNT(v.value)"}[
        query.agg]
    grouped: dict = {}
    for row in connection.execute(text(
            f"SELECT {', '.join('r.' + g for g in groups)}, v.key, {aggregate} AS value "
            f"FROM latest_report r {join}{where} GROUP BY "
            f"{', '.join('r.' + g for g in groups)}, v.key"), params):
        ident = tuple(getattr(row, g) for g in groups)
        out = grouped.setdefault(ident, {**dict(zip(groups, ident, strict=True)),
                                         **dict.fromkeys(keys)})
        if row.key is not None:
            out[row.key] = questions.number(row.value)
    return groups + keys, [grouped[g] for g in sorted(
        grouped, key=lambda g: tuple(order(x) for x in g))]


QUERIES = [
    questions.Query(keys=["applications.*.total"]),
    questions.Query(keys=["applications.received.total", "active.*"], year="2020-2024"),
    questions.Query(keys=["applications.total.total"], region="12"),
    questions.Query(keys=["applications.total.total"], region="1201"),
    questions.Query(keys=["applications.total.total"], region="天津"),
    questions.Query(keys=["appeals.*"], agency="人社局"),
    questions.Query(keys=["applications.*.total"], group_by=["province"]),
    questions.Query(keys=["applications.*.total"], group_by=["year"], agg="avg"),
    questions.Query(keys=["applications.received.total"], group_by=["agency_type", "year"]),
    questions.Query(keys=["applications.total.total"], group_by=["division_code"],
                  report_format="2021"),
]


def test_query_on_the_current_table_answers_what_the_views_answered(store):
    """The same demo database, each question asked the old way and the new way."""
    with store.engine.connect() as connection:
        answered = 0
        for query in QUERIES:
            new = questions.run(connection, query)
            assert new == _old_run(connection, query), query
            answered += bool(new[1])
        assert answered >= len(QUERIES) - 2  # the demo answers (nearly) every one
        # count: the reports in a group that print the cell; where the views had no cell
        # row at all in a group the old answer was empty, report_current says 0
        query = questions.Query(keys=["applications.*.total"], group_by=["year"], agg="count")
        columns, new = questions.run(connection, query)
        _, old = _old_run(connection, query)
        assert [{k: (v if v is not None else 0) for k, v in r.items()} for r in old] == [
            {k: (v if v is not None or k in query.group_by else 0) for k, v in r.items()}
            for r in new]
        assert any(r[c] for r in new for c in columns if c not in query.group_by)


# -- report_totals: the per-group sums the triggers keep --------------------------------

AGENCY_NAMES = ("教育局", "民政局", "人民政府", "财政局", "公安分局")


def churn(store: Store, rounds: int, seed: int) -> None:
    """``rounds`` random writes of every kind report_current sees: new reports, new
    versions at a URL that read another year, agency or province (the old report loses
    its copy), copies elsewhere, payloads seen again; blank and decimal values, reports
    with no year or no province."""
    import random
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    bodies = [parsers.parse_document(c.path.read_bytes(), name=c.path.name)
              for c in seed_cases()]
    urls = [f"http://portal{i % 3}.invalid/r{i}.html" for i in range(12)]
    seen: list[tuple[str, str]] = []
    when = datetime(2030, 1, 1)
    for step in range(rounds):
        when += timedelta(hours=1)
        if seen and rng.random() < 0.15:
            url, digest = rng.choice(seen)
            store.seen_again(url, digest, when)
            continue
        report = rng.choice(bodies)
        cells = {}
        for key, cell in report.cells.items():
            roll = rng.random()
            if roll < 0.1:
                cell = dataclasses.replace(cell, value=None, raw="", status="blank")
            elif roll < 0.15:
                value = rng.randrange(1000) / 100
                cell = dataclasses.replace(cell, value=value, raw=str(value))
            elif roll < 0.6:
                value = float(rng.randrange(1000))
                cell = dataclasses.replace(cell, value=value, raw=str(int(value)))
            cells[key] = cell
        report = dataclasses.replace(
            report, cells=cells,
            year=rng.choice((2021, 2022, 2023, None)),
            province=rng.choice(("天津市", "浙江省", None)),
            agency=f"{rng.choice('甲乙丙')}区{rng.choice(AGENCY_NAMES)}",
            published=f"20{rng.randrange(20, 30)}-01-01")
        digest = f"sha1:{step}"
        url = rng.choice(urls)
        store.add_report(report, url=url, fetch_id=None, portal_id=None,
                         parser_version="9.9.9", payload_digest=digest, seen_at=when)
        seen.append((url, digest))


def assert_totals_are_the_sums(store: Store) -> None:
    """Every group of report_totals with reports equals report_current summed afresh."""
    keys = [k for k in KEYS if k.startswith(("applications.", "appeals.", "active.rules"))]
    group = "year, province, agency_type, format"

    def quoted(name: str) -> str:
        return '"' + name + '"'

    with store.engine.connect() as connection:
        totals = {tuple(r[:4]): r[4:] for r in connection.execute(text(
            f"SELECT {group}, reports, "
            + ", ".join(f'{quoted("sum." + k)}, {quoted("n." + k)}' for k in keys)
            + " FROM report_totals WHERE reports <> 0"))}
        fresh = {tuple(r[:4]): r[4:] for r in connection.execute(text(
            f"SELECT {group}, COUNT(*), "
            + ", ".join(f"COALESCE(SUM({quoted(k)}), 0), COUNT({quoted(k)})" for k in keys)
            + f" FROM report_current GROUP BY {group}"))}
    assert totals.keys() == fresh.keys()
    for group_key, row in fresh.items():
        assert totals[group_key] == pytest.approx(row), group_key


TOTALS_QUERIES = [
    questions.Query(keys=["applications.*.total"], group_by=["year"]),
    questions.Query(keys=["applications.*.total"], group_by=["year"], agg="avg"),
    questions.Query(keys=["applications.*"], group_by=["province", "year"], agg="count"),
    questions.Query(keys=["appeals.*"], group_by=["agency_type"], year="2022-2023"),
    questions.Query(keys=["applications.received.total"], group_by=["year", "agency_type"],
                    report_format="2021"),
    questions.Query(keys=["active.*"], group_by=["province"], agg="avg", year="2021"),
]


def assert_totals_answer_what_the_reports_answer(connection) -> int:
    """Each question that report_totals can answer, answered from it and from every
    report's row: the same groups, in the same order, with the same values."""
    groups = exact = 0
    for query in TOTALS_QUERIES:
        assert questions.answered_by_totals(query)
        columns, fast = questions.run(connection, query)
        slow_columns, slow = questions.run(connection, query, totals=False)
        assert columns == slow_columns
        assert [[r[g] for g in query.group_by] for r in fast] == [
            [r[g] for g in query.group_by] for r in slow], query
        for a, b in zip(fast, slow, strict=True):
            for column in columns:
                if isinstance(b[column], float):
                    assert a[column] == pytest.approx(b[column]), (query, column)
                else:  # whole numbers (and counts) exactly, as a row-by-row sum gives them
                    assert a[column] == b[column], (query, column)
                    exact += isinstance(b[column], int)
        groups += len(fast)
    assert exact > groups
    return groups


def test_totals_follow_every_write_and_answer_what_the_reports_answer(store):
    assert_totals_are_the_sums(store)  # the migration's fill, on the demo
    with store.engine.connect() as connection:
        assert assert_totals_answer_what_the_reports_answer(connection) > 0
    churn(store, rounds=120, seed=5)
    assert_current_is_the_views(store)
    assert_totals_are_the_sums(store)
    with store.engine.connect() as connection:
        # reports moved away from some groups: those groups are not answered as empty rows
        assert connection.execute(text(
            "SELECT COUNT(*) FROM report_totals WHERE reports = 0")).scalar_one() > 0
        assert assert_totals_answer_what_the_reports_answer(connection) > 20


def test_questions_that_need_each_report_do_not_use_the_totals():
    for query in (questions.Query(keys=["a"], group_by=["city"]),
                  questions.Query(keys=["a"], group_by=["year"], region="12"),
                  questions.Query(keys=["a"], group_by=["year"], agency="教育"),
                  questions.Query(keys=["a"])):
        assert not questions.answered_by_totals(query)


def step_back_and_forth(store: Store) -> None:
    """The newest migration down and up again, on the store's own database."""
    from alembic import command
    from nianbao.store.db import alembic_config

    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
        command.upgrade(config, "head")


def test_totals_migration_goes_down_and_up_and_fills_from_the_reports(store):
    churn(store, rounds=40, seed=9)
    store.session.commit()
    step_back_and_forth(store)
    assert_totals_are_the_sums(store)  # filled afresh from report_current
    churn(store, rounds=20, seed=10)  # and its triggers are back
    assert_totals_are_the_sums(store)
