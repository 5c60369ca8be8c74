"""Derived views: what a report, a copy and a version are, and the rows and rates people
compute from them, in SQL both SQLite and PostgreSQL accept. Defined here ONCE; export,
query, `sql`, serve, changes and the charts all read them.

- ``report_version``: every parse kept (one parser version's reading of one payload).
- ``report_copy``: each document (URL) once, at its current version: the payload fetched
  last, read by the newest parse.
- ``latest_report``: each report (agency + year) once, from the copy the rule in
  ``view_sql`` picks, with how many copies there are and whether their values disagree.

This module is where the SQL is written; a migration freezes it (``0003_ingest`` holds the
SQL as text and never imports this module), and ``tests/test_migrations.py`` fails when the
two differ: changing a view means a new migration with the new SQL
(``python -m tools.freeze_views``).

A share or rate whose denominator is 0 or missing is NULL, never 0: a report with no
applications has no granted share. Blank cells count as 0 in numerators and sums (many
reports leave zeros blank), as the accounting checks do; a NULL total stays NULL.

A later migration that rebuilds ``report``, ``report_value`` or ``check_failure`` (Alembic
batch mode on SQLite copies the table and renames it) must drop the views first and create
them after: SQLite refuses to rename a table under a view that names it. Adding a column
(``op.add_column``) needs nothing. A schema that gains keys needs a migration that
re-creates the views, so ``report_wide`` has the new columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Agency types, by what the agency's name contains; the first match wins, so the more
# specific names come first (a 镇人民政府 is not the district government).
AGENCY_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("人社局", ("人力资源和社会保障", "人力资源社会保障", "人社局")),
    ("民政局", ("民政局",)),
    ("公安局", ("公安局", "公安分局")),
    ("财政局", ("财政局",)),
    ("教育局", ("教育局", "教育和体育局", "教育体育局")),
    ("卫健委", ("卫生健康", "卫健委", "卫生和计划生育")),
    ("自然资源局", ("自然资源", "规划和自然资源", "国土资源")),
    ("生态环境局", ("生态环境", "环境保护局")),
    ("住建局", ("住房和城乡建设", "住房城乡建设", "住建局", "建设局", "建设委员会")),
    ("交通运输局", ("交通运输", "交通局")),
    ("农业农村局", ("农业农村", "农业局", "农业和农村")),
    ("水务局", ("水务局", "水利局")),
    ("商务局", ("商务局", "商务委")),
    ("文旅局", ("文化和旅游", "文化广电", "文化旅游", "文旅局")),
    ("市场监管局", ("市场监督管理", "市场监管")),
    ("应急管理局", ("应急管理",)),
    ("审计局", ("审计局",)),
    ("统计局", ("统计局",)),
    ("司法局", ("司法局",)),
    ("医保局", ("医疗保障", "医保局")),
    ("退役军人事务局", ("退役军人事务",)),
    ("发改委", ("发展和改革", "发展改革", "发改委", "发改局")),
    ("工信局", ("工业和信息化", "工业信息化", "经济和信息化", "工信局", "经信局")),
    ("科技局", ("科学技术", "科技局")),
    ("税务局", ("税务局",)),
    ("城管局", ("城市管理", "城管局")),
    ("政府办", ("人民政府办公室", "政府办公室", "政府办公厅")),
    ("街道办事处", ("街道办事处",)),
    ("乡镇政府", ("镇人民政府", "乡人民政府")),
    ("政府", ("人民政府",)),
)

# The outcome rows of the applications table, and the refusal grounds under them.
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("granted", "予以公开"),
    ("partially_granted", "部分公开"),
    ("withheld", "不予公开"),
    ("unavailable", "无法提供"),
    ("not_processed", "不予处理"),
    ("other", "其他处理"),
)
REFUSAL_REASONS: tuple[tuple[str, str, str], ...] = (
    ("withheld", "state_secret", "属于国家秘密"),
    ("withheld", "prohibited_by_law", "其他法律行政法规禁止公开"),
    ("withheld", "security_stability", "危及“三安全一稳定”"),
    ("withheld", "third_party", "保护第三方合法权益"),
    ("withheld", "internal_affairs", "属于三类内部事务信息"),
    ("withheld", "process_info", "属于四类过程性信息"),
    ("withheld", "enforcement_file", "属于行政执法案卷"),
    ("withheld", "admin_query", "属于行政查询事项"),
    ("unavailable", "not_held", "本机关不掌握相关政府信息"),
    ("unavailable", "needs_creation", "没有现成信息需要另行制作"),
    ("unavailable", "unclear", "补正后申请内容仍不明确"),
    ("not_processed", "petition", "信访举报投诉类申请"),
    ("not_processed", "duplicate", "重复申请"),
    ("not_processed", "publication", "要求提供公开出版物"),
    ("not_processed", "excessive", "无正当理由大量反复申请"),
    ("not_processed", "confirmation", "要求行政机关确认或重新出具已获取信息"),
)
# The "other" outcome is one row in the 2019 format and three in the 2021 format.
OTHER_ROWS = ("all", "no_correction", "unpaid_fee", "other")
APPEAL_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation_direct", "行政诉讼：未经复议直接起诉"),
    ("litigation_after_review", "行政诉讼：复议后起诉"),
)
TABLES = ("active", "applications", "appeals")

META = ("agency", "agency_type", "province", "city", "district", "division_code", "year",
        "format", "title", "url", "published", "parser_version", "portal_id", "fetch_id",
        "copies", "copies_disagree", "status")
VIEWS = ("report_version", "report_copy", "latest_report", "report_wide", "report_rates",
         "refusal_reasons", "agency_yoy", "report_completeness", "agency_coverage")


def q(name: str) -> str:
    """A quoted identifier (canonical keys contain dots)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def agency_type(agency: str | None) -> str | None:
    """The agency type the views give a name (the same rule as the SQL)."""
    if not agency:
        return None
    for label, needles in AGENCY_TYPES:
        if any(n in agency for n in needles):
            return label
    return None


def _agency_type_sql(column: str) -> str:
    whens = " ".join(
        f"WHEN {column} LIKE {_lit('%' + n + '%')} THEN {_lit(label)}"
        for label, needles in AGENCY_TYPES for n in needles)
    return f"CASE {whens} ELSE NULL END"


def _z(column: str) -> str:
    return f"COALESCE({column}, 0)"


def _share(numerator: str, denominator: str) -> str:
    # Values are stored as floating point, so the division is never integer division.
    return f"(({numerator}) * 1.0 / NULLIF({denominator}, 0))"


def _outcome_sum(outcome: str, alias: str = "") -> str:
    """The applications an outcome row (summed over its grounds) counts, blanks as 0."""
    if outcome in ("granted", "partially_granted"):
        return _z(alias + q(f"applications.{outcome}.total"))
    if outcome == "other":
        rows = OTHER_ROWS
    else:
        rows = tuple(r for o, r, _ in REFUSAL_REASONS if o == outcome)
    return " + ".join(_z(alias + q(f"applications.{outcome}.{r}.total")) for r in rows)


def identity_sql(alias: str = "") -> str:
    """What a report is: an agency's statistics year. A document whose agency or year is
    unknown is a report of its own."""
    a = alias
    return (f"CASE WHEN {a}agency IS NULL OR {a}year IS NULL "
            f"THEN 'id:' || CAST({a}id AS VARCHAR(20)) "
            f"ELSE {a}agency || '|' || CAST({a}year AS VARCHAR(10)) END")


def _copies_sql(source: str) -> str:
    """report_copy's SELECT over ``source``: the table, or a subquery of its rows holding
    every version of each URL it holds (store.current refreshes a batch's reports so)."""
    copy_columns = ("id, agency, province, city, district, division_code, year, format, "
                    "title, url, published, parser_version, portal_id, fetch_id, status, "
                    "payload_digest, values_digest, created_at, last_seen_at")
    per_url = (f"SELECT {copy_columns}, ROW_NUMBER() OVER (PARTITION BY "
               "COALESCE(url, 'id:' || CAST(id AS VARCHAR(20))) "
               "ORDER BY COALESCE(last_seen_at, created_at) DESC, id DESC) AS version_rank "
               "FROM " + source)
    copies = (
        f"SELECT r.id AS report_id, {identity_sql('r.')} AS identity, r.url, r.portal_id, "
        "r.fetch_id, r.payload_digest, r.parser_version, r.created_at AS parsed_at, "
        "COALESCE(r.last_seen_at, r.created_at) AS last_seen_at, r.agency, r.province, "
        "r.city, r.district, r.division_code, r.year, r.format, r.title, r.published, "
        "r.status, r.values_digest, "
        "(SELECT COUNT(*) FROM check_failure c WHERE c.report_id = r.id) AS checks_failed "
        f"FROM ({per_url}) r WHERE r.version_rank = 1"
    )
    return copies


def _latest_sql(copies: str) -> str:
    """latest_report's SELECT over ``copies`` (the view, or _copies_sql in parentheses)."""
    ranked = (
        "SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.identity ORDER BY "
        "CASE WHEN c.status = 'parsed' THEN 0 ELSE 1 END, c.checks_failed, "
        "COALESCE(c.published, '') DESC, c.last_seen_at DESC, c.report_id DESC) AS copy_rank, "
        "COUNT(*) OVER (PARTITION BY c.identity) AS copies, "
        "CASE WHEN MIN(COALESCE(c.values_digest, '')) OVER (PARTITION BY c.identity) "
        "<> MAX(COALESCE(c.values_digest, '')) OVER (PARTITION BY c.identity) "
        "THEN 1 ELSE 0 END AS copies_disagree FROM " + copies + " c"
    )
    latest = (
        "SELECT r.report_id, r.identity, r.agency, "
        f"{_agency_type_sql('r.agency')} AS agency_type, "
        "r.province, r.city, r.district, r.division_code, r.year, r.format, r.title, r.url, "
        "r.published, r.parser_version, r.portal_id, r.fetch_id, r.copies, "
        "r.copies_disagree, r.status, r.last_seen_at, r.checks_failed "
        f"FROM ({ranked}) r WHERE r.copy_rank = 1"
    )
    return latest


def latest_of(source: str) -> str:
    """latest_report's SELECT computed over ``source`` only (see _copies_sql)."""
    return _latest_sql(f"({_copies_sql(source)})")


def view_sql(keys: Sequence[str]) -> list[tuple[str, str]]:
    """(name, SELECT) for each view, in creation order; `keys` become report_wide's columns."""
    # Versions: every row of `report` is one parser version's reading of one payload of one
    # document. Copies: each document (URL) counts with its current version: the payload
    # fetched last, read by the newest parse. Reports: one per agency and year; of its
    # copies the row is taken from (1) one the parser read in full ("parsed"), then (2) the
    # one with the fewest failed checks, (3) the latest published, (4) the latest seen,
    # (5) the newest parse. `copies` counts the URLs; `copies_disagree` is 1 when their
    # values differ (values_digest).
    versions = (
        f"SELECT r.id AS report_id, {identity_sql('r.')} AS identity, r.url, r.portal_id, "
        "r.fetch_id, r.payload_digest, r.parser_version, r.created_at AS parsed_at, "
        "COALESCE(r.last_seen_at, r.created_at) AS last_seen_at, r.agency, r.year "
        "FROM report r"
    )
    copies = _copies_sql("report")
    latest = _latest_sql("report_copy")
    meta = ", ".join(f"l.{c}" for c in META)
    # The reports as latest_report decides them, kept by ingest in report_current (a typed
    # column per key, indexed): the views below read it instead of deciding every report
    # again and pivoting every cell on each question.
    wide = (
        f"SELECT l.report_id, {meta}, l.checks_failed, "
        + ", ".join(f"l.{q(k)}" for k in keys) + " FROM report_current l"
    )
    place = "w.report_id, w.agency, w.agency_type, w.province, w.city, w.district, " \
            "w.division_code, w.year, w.format"
    total = q("applications.total.total")
    shares = ", ".join(
        f"{_share(_outcome_sum(o), total)} AS {o}_share" for o, _ in OUTCOMES)
    corrections = []
    for group, _ in APPEAL_GROUPS:
        k = f"appeals.{group}"
        decided = f"({q(k + '.total')} - {_z(q(k + '.pending'))})"
        corrections.append(f"{q(k + '.total')} AS {group}_total, "
                           f"{_z(q(k + '.corrected'))} AS {group}_corrected, "
                           f"{decided} AS {group}_decided, "
                           f"{_share(_z(q(k + '.corrected')), decided)} "
                           f"AS {group}_correction_rate")
    rates = (
        f"SELECT {place}, {q('applications.received.total')} AS received, "
        f"{total} AS processed, "
        + ", ".join(f"{_outcome_sum(o)} AS {o}" for o, _ in OUTCOMES) + ", "
        + shares + ", " + ", ".join(corrections)
        + " FROM report_wide w"
    )
    reasons = " UNION ALL ".join(
        f"SELECT {place}, {_lit(o)} AS outcome, {_lit(r)} AS reason, {_lit(zh)} AS reason_zh, "
        f"{_z(q(f'applications.{o}.{r}.total'))} AS applications, {total} AS processed, "
        f"{_share(_z(q(f'applications.{o}.{r}.total')), total)} AS share "
        "FROM report_wide w"
        for o, r, zh in REFUSAL_REASONS)
    received = q("applications.received.total")
    granted = f"({_outcome_sum('granted', 'w.')} + {_outcome_sum('partially_granted', 'w.')})"
    granted_prev = f"({_outcome_sum('granted', 'p.')} + {_outcome_sum('partially_granted', 'p.')})"
    yoy = (
        f"SELECT {place}, w.{received} AS received, p.{received} AS received_prev, "
        f"w.{received} - p.{received} AS received_change, "
        f"{_share(f'w.{received} - p.{received}', f'p.{received}')} AS received_change_rate, "
        f"w.{total} AS processed, p.{total} AS processed_prev, "
        f"{_share(granted, f'w.{total}')} AS disclosed_share, "
        f"{_share(granted_prev, f'p.{total}')} AS disclosed_share_prev, "
        "p.report_id AS report_id_prev "
        "FROM report_wide w JOIN report_wide p "
        "ON p.agency = w.agency AND p.year = w.year - 1"
    )
    cells = ", ".join(
        f"SUM(CASE WHEN v.key LIKE {_lit(t + '.%')} AND v.status <> 'absent' THEN 1 ELSE 0 END)"
        f" AS {t}_cells" for t in TABLES)
    missing = " || ".join(
        f"CASE WHEN COALESCE(s.{t}_cells, 0) = 0 THEN {_lit(t + ' ')} ELSE '' END"
        for t in TABLES)
    completeness = (
        "SELECT l.report_id, l.agency, l.agency_type, l.province, l.city, l.district, "
        "l.division_code, l.year, l.format, l.url, "
        + ", ".join(f"COALESCE(s.{t}_cells, 0) AS {t}_cells" for t in TABLES) + ", "
        "COALESCE(s.number_cells, 0) AS number_cells, COALESCE(s.blank_cells, 0) AS blank_cells, "
        "COALESCE(s.absent_cells, 0) AS absent_cells, "
        f"TRIM({missing}) AS missing_tables, l.checks_failed, "
        "CASE WHEN l.format IS NOT NULL AND l.checks_failed = 0 AND "
        + " AND ".join(f"COALESCE(s.{t}_cells, 0) > 0" for t in TABLES)
        + " THEN 1 ELSE 0 END AS complete "
        "FROM report_current l LEFT JOIN (SELECT v.report_id, " + cells + ", "
        "SUM(CASE WHEN v.status = 'number' THEN 1 ELSE 0 END) AS number_cells, "
        "SUM(CASE WHEN v.status = 'blank' THEN 1 ELSE 0 END) AS blank_cells, "
        "SUM(CASE WHEN v.status = 'absent' THEN 1 ELSE 0 END) AS absent_cells "
        "FROM report_value v GROUP BY v.report_id) s ON s.report_id = l.report_id"
    )
    coverage = (
        "SELECT agency, MAX(agency_type) AS agency_type, MAX(province) AS province, "
        "MAX(city) AS city, MAX(district) AS district, MAX(division_code) AS division_code, "
        "MIN(year) AS first_year, MAX(year) AS last_year, COUNT(DISTINCT year) AS years, "
        "MAX(year) - MIN(year) + 1 - COUNT(DISTINCT year) AS missing_years, "
        "SUM(CASE WHEN checks_failed > 0 THEN 1 ELSE 0 END) AS reports_failing_checks "
        "FROM report_current WHERE agency IS NOT NULL AND year IS NOT NULL GROUP BY agency"
    )
    return [("report_version", versions), ("report_copy", copies),
            ("latest_report", latest), ("report_wide", wide), ("report_rates", rates),
            ("refusal_reasons", reasons), ("agency_yoy", yoy),
            ("report_completeness", completeness), ("agency_coverage", coverage)]


def create_views(execute, keys: Iterable[str]) -> None:
    """Create every view with `execute(sql)` (Alembic's ``op.execute`` or a connection's)."""
    for name, select in view_sql(list(keys)):
        execute(f"CREATE VIEW {name} AS {select}")


def drop_views(execute) -> None:
    for name in reversed(VIEWS):
        execute(f"DROP VIEW IF EXISTS {name}")
