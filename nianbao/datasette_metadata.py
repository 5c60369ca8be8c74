"""Datasette metadata for `nianbao serve`: descriptions in Chinese and English, facets, and
canned queries for the questions researchers, journalists and evaluators ask again and again.

Two databases are served. ``browse`` (nianbao/browse.py) comes first: reports, regions,
agencies, the questions (canned queries, their SQL behind a toggle) and a full-text search.
The collected database follows with its internal tables hidden, for SQL over every parse.
Column descriptions of the canonical keys come from the codebook (nianbao/codebook.py);
the pooled rates from store/rates.py, the SQL the charts run too.

Canned queries run on SQLite only (Datasette), so they may use SQLite functions (ROUND,
GROUP_CONCAT) and the functions of serve_plugins/nianbao_search.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from nianbao.store import rates

from . import codebook

BROWSE = "browse"  # the name Datasette gives DATA_DIR/serve/browse.sqlite

# A filter every canned query takes: empty matches all, else a name start or a code prefix.
REGION = ("(:region = '' OR province LIKE :region || '%' OR city LIKE :region || '%' "
          "OR district LIKE :region || '%' OR division_code LIKE :region || '%')")
AGENCY = "(:agency = '' OR agency_type = :agency OR agency LIKE '%' || :agency || '%')"

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "report": ("每份报告的每个解析版本 / every parse of every report (all parser versions)", {
        "agency": "发布机关 / publishing agency",
        "province": "省级 / province", "city": "地级 / city (NULL under a municipality)",
        "district": "县级 / district or county",
        "division_code": "行政区划代码 / 6-digit administrative division code",
        "year": "统计年度 / the year the statistics cover",
        "format": "表格格式 / official table format: 2019, 2021, mixed, or NULL (no table)",
        "parser_version": "解析器版本 / the parser version that produced this row",
        "published": "发布日期 / publication date",
    }),
    "report_value": ("每个单元格，按印刷值 / every table cell as printed", {
        "key": "规范键 / canonical key (parsers/data/report-schema.json)",
        "value": "数值 / the number (NULL where the cell is blank, a dash, 无 or absent)",
        "raw": "原文 / the text as printed",
        "status": "单元格类型 / number | blank | dash | none | absent",
    }),
    "check_failure": ("未通过的核对等式 / accounting identities a report fails, as printed", {
        "identity": "等式 / the identity checked", "key": "所核对的合计 / the total checked",
        "lhs": "左边 / left-hand side", "rhs": "右边 / right-hand side",
    }),
    "fetch": ("每次抓取及其 WARC 记录 / every HTTP fetch and the WARC record holding it", {}),
    "crawl_run": ("每次抓取运行 / every crawl run", {}),
    "portal": ("门户网站配置 / configured portals", {}),
    "error": ("抓取中的问题 / problems met while crawling (the crawl went on)", {}),
    "report_version": ("每次解析一行 / every parse kept: one parser version's reading of one "
                       "payload of one document (docs/ingest.md)", {}),
    "report_copy": ("每个网址一行：其当前版本 / one row per document (URL), at its current "
                    "version: the payload fetched last, read by the newest parse", {}),
    "latest_report": ("每份报告一行：同一机关同一年度只取一份 / one row per report (agency + "
                      "year), from the copy docs/ingest.md's rule picks; all views below count "
                      "only these", {
                          "copies": "发布网址数 / URLs carrying this report",
                          "copies_disagree": "各份数值是否不同 / 1 when the copies' values "
                                             "differ",
                          "agency_type": "机关类型 / agency type from its name (人社局, 民政局 …)",
                          "checks_failed": "未通过等式数 / number of failed identities",
                      }),
    "report_wide": ("每份报告一行，每个规范键一列 / one wide row per report, a column per "
                    "canonical key", {}),
    "report_rates": ("每份报告的比例 / the rates per report: outcome shares of 三(七)总计, "
                     "correction rates 纠正 / (总计 − 尚未审结)", {
                         "received": "本年新收申请 / applications received",
                         "processed": "办理结果总计 / applications processed (三(七)总计)",
                         "granted_share": "予以公开比例 / share granted",
                         "partially_granted_share": "部分公开比例 / share partly granted",
                         "withheld_share": "不予公开比例 / share refused (不予公开)",
                         "unavailable_share": "无法提供比例 / share unavailable",
                         "not_processed_share": "不予处理比例 / share not processed",
                         "other_share": "其他处理比例 / share handled otherwise",
                         "review_correction_rate": "行政复议纠正率 / review correction rate",
                         "litigation_direct_correction_rate":
                             "未经复议直接起诉纠正率 / litigation (direct) correction rate",
                         "litigation_after_review_correction_rate":
                             "复议后起诉纠正率 / litigation after review correction rate",
                     }),
    "refusal_reasons": ("按理由的拒绝 / refusals by ground (不予公开, 无法提供, 不予处理), one "
                        "row per report and ground", {
                            "outcome": "结果 / withheld | unavailable | not_processed",
                            "reason": "理由 / ground", "reason_zh": "理由 / ground in Chinese",
                            "applications": "申请数 / applications",
                            "share": "占办理结果比例 / share of processed applications",
                        }),
    "agency_yoy": ("同一机关的同比变化 / year-over-year change per agency (each year with the "
                   "previous one)", {
                       "received_prev": "上一年新收申请 / received the year before",
                       "received_change": "变化 / change",
                       "received_change_rate": "变化率 / relative change",
                       "disclosed_share": "公开比例 / share granted or partly granted",
                   }),
    "report_completeness": ("完整性 / completeness: tables printed, blank and absent cells, "
                            "failed checks", {
                                "missing_tables": "缺少的表 / tables with no cell printed",
                                "complete": "1 = 三张表齐全且核对全部通过 / all tables, all "
                                            "checks pass",
                            }),
    "agency_coverage": ("机关覆盖年度 / years covered per agency, and gaps", {
        "missing_years": "缺失年度数 / years missing between the first and last report",
    }),
}

FACETS = {
    "reports": ["province", "year", "format", "agency_type"],
    "report_cells": ["year", "format"],
    "regions": ["province"],
    "agencies": ["province", "agency_type"],
    "refusal_reasons": ["outcome", "province", "year", "agency_type"],
    "report_completeness": ["province", "year", "format", "complete"],
    "agency_yoy": ["province", "year", "agency_type"],
}

# The browse database's tables, in the order the front page lists them.
BROWSE_TABLES: dict[str, str] = {
    "reports": "报告 / reports: one row per report (the newest parse, one copy per agency and "
               "year), its rates and the 总计 of each table row",
    "report_cells": "全部单元格 / every cell: one row per report, a column per canonical key "
                    "(`nianbao keys` lists them)",
    "regions": "地区 / regions: reports and agencies collected per province, city and district",
    "agencies": "机关 / agencies: the years each agency's reports cover, and the gaps",
    "refusal_reasons": TABLES["refusal_reasons"][0],
    "agency_yoy": TABLES["agency_yoy"][0],
    "report_completeness": TABLES["report_completeness"][0],
    "check_failure": TABLES["check_failure"][0],
}
# The collected database's tables and views, hidden from its listing (reachable by SQL).
INTERNAL = ("report", "report_value", "check_failure", "fetch", "crawl_run", "portal", "error",
            "alembic_version", "crawl_run_portal", "report_change", "schedule_run",
            "apscheduler_jobs")

_YEARLY = rates.yearly_sql("reports", f" WHERE {REGION} AND {AGENCY}")

QUERIES: dict[str, dict] = {
    "search": {
        "title": "搜索报告 / search the reports",
        "description": "标题、机关和报告全文中的词（东丽、不予公开）；多个词以空格分隔，"
                       "须全部出现。 "
                       "Words in the title, agency or text of a report; all must appear.",
        "sql": ("SELECT r.report_id, r.agency, r.year, r.title, "
                "nianbao_unsplit(snippet(report_search, 2, '【', '】', '…', 16)) AS context, "
                "r.url FROM report_search JOIN reports r ON r.report_id = report_search.rowid "
                "WHERE report_search MATCH nianbao_phrase(:q) ORDER BY rank LIMIT 200"),
    },
    "applications_per_year": {
        "title": "每年新收申请 / applications received per year",
        "description": "地区留空为全部；可填名称开头（天津）或区划代码前缀（12）。 Leave region "
                       "empty for all; a name start (天津) or a division-code prefix (12).",
        "sql": ("SELECT year, COUNT(*) AS reports, "
                "CAST(SUM(\"applications.received.total\") AS INTEGER) AS received, "
                "CAST(SUM(\"applications.total.total\") AS INTEGER) AS processed FROM reports "
                f"WHERE {REGION} AND {AGENCY} GROUP BY year ORDER BY year"),
    },
    "applications_by_province_year": {
        "title": "各省每年新收申请 / applications received per province and year",
        "sql": ("SELECT province, year, COUNT(*) AS reports, "
                "CAST(SUM(\"applications.received.total\") AS INTEGER) AS received "
                "FROM reports "
                f"WHERE {AGENCY} GROUP BY province, year ORDER BY province, year"),
    },
    "outcome_shares": {
        "title": "办理结果构成 / outcome shares per year",
        "description": "各结果占办理结果总计（三(七)，按印刷值）的比例；总计为 0 或空的报告不计。"
                       "与首页图表同一定义。 Shares of 三(七)总计 as printed, over the reports "
                       "that print a non-zero total; the front-page chart runs the same SQL.",
        "sql": ("SELECT year, reports, CAST(processed AS INTEGER) AS processed, "
                + ", ".join(f"{o}_share" for o, _ in rates.OUTCOMES)
                + f" FROM ({_YEARLY}) y"),
    },
    "refusal_grounds": {
        "title": "拒绝理由 / refusals by ground",
        "sql": ("SELECT outcome, reason, reason_zh, "
                "CAST(SUM(applications) AS INTEGER) AS applications, "
                "ROUND(SUM(applications) * 1.0 / NULLIF(SUM(processed), 0), 4) AS share "
                f"FROM refusal_reasons WHERE {REGION} AND {AGENCY} "
                "AND (:year = '' OR year = CAST(:year AS INTEGER)) "
                "GROUP BY outcome, reason, reason_zh ORDER BY applications DESC, outcome, reason"),
    },
    "correction_rates": {
        "title": "复议、诉讼纠正率 / how often review or litigation corrected the agency",
        "description": "纠正 / (总计 − 尚未审结)，只计有已审结案件的报告；与首页图表同一定义。 "
                       "corrected / (total − pending), over reports with decided cases; the "
                       "front-page chart runs the same SQL.",
        "sql": ("SELECT year, reports, "
                + ", ".join(f"{g}_corrected, {g}_decided, {g}_rate"
                            for g, _ in rates.APPEAL_GROUPS)
                + f" FROM ({_YEARLY}) y"),
    },
    "problem_reports": {
        "title": "有问题的报告 / reports that miss tables or fail their own arithmetic",
        "sql": ("SELECT c.agency, c.year, c.format, c.missing_tables, c.checks_failed, "
                "(SELECT GROUP_CONCAT(f.key, '; ') FROM check_failure f "
                "WHERE f.report_id = c.report_id) AS failed_totals, c.url "
                f"FROM report_completeness c WHERE c.complete = 0 AND {REGION} "
                "ORDER BY c.year, c.agency"),
    },
    "missing_years": {
        "title": "缺失年度 / agencies with years missing between their first and last report",
        "sql": ("SELECT agency, province, city, district, first_year, last_year, years, "
                f"missing_years FROM agencies WHERE missing_years > 0 AND {REGION} "
                "ORDER BY missing_years DESC, agency"),
    },
    "agency_year_over_year": {
        "title": "机关同比变化 / an agency year over year",
        "sql": ("SELECT agency, year, received_prev, received, received_change, "
                "ROUND(received_change_rate, 4) AS received_change_rate, "
                "ROUND(disclosed_share_prev, 4) AS disclosed_share_prev, "
                "ROUND(disclosed_share, 4) AS disclosed_share "
                f"FROM agency_yoy WHERE {AGENCY} AND {REGION} ORDER BY agency, year"),
    },
}

# The column descriptions of `reports`: what the views say, then the codebook's labels.
_REPORT_COLUMNS = {**TABLES["report"][1], **TABLES["latest_report"][1],
                   **TABLES["report_rates"][1], "title": "标题 / title as published",
                   "url": "网址 / where it was published",
                   "report_id": "报告编号 / report id in the collected database"}

# Column descriptions in a box of their own: 250 of them would push the rows off the page.
CSS = ("dl.column-descriptions { max-height: 14em; overflow-y: auto; border: 1px solid #ccc;"
       " padding: 0.3em 0.6em; font-size: 0.85em; }")


def column_descriptions(table: str) -> dict[str, str]:
    if table in ("reports", "report_cells"):
        out = dict(_REPORT_COLUMNS)
        out.update({e.key: e.description() for e in codebook.entries()
                    if table == "report_cells" or e.key.endswith(".total")})
        return out
    if table in TABLES:
        return dict(TABLES[table][1])
    if table == "regions":
        return {"reports": "报告数 / reports", "agencies": "机关数 / agencies",
                "received": "本年新收申请合计 / applications received, summed"}
    if table == "agencies":
        return {**TABLES["agency_coverage"][1], "reports": "报告数 / reports"}
    return {}


def _front_page(database: str, charts: Sequence[str]) -> str:
    links = [f'<a href="/{BROWSE}/search" style="font-weight: bold">'
             "搜索 / search</a>"]
    links += [f'<a href="/{BROWSE}/{name}">{BROWSE_TABLES[name].split(":")[0]}</a>'
              for name in ("reports", "regions", "agencies", "report_cells")]
    questions = "".join(f'<li><a href="/{BROWSE}/{name}">{q["title"]}</a></li>'
                        for name, q in QUERIES.items() if name != "search")
    images = "".join(f'<p><a href="{url}"><img src="{url}" alt="{url}" '
                     f'style="max-width: 100%"></a></p>' for url in charts)
    return ("<p>政府信息公开工作年度报告的统计表，按印刷值保存。 The statistical tables of "
            "government information-disclosure annual reports, stored as printed. 只读 / "
            "read-only.</p>"
            f"<p style=\"font-size: 1.2em\">{' · '.join(links)}</p>"
            f"<p>问题 / questions:</p><ul>{questions}</ul>" + images
            + f"<p>所有解析版本与内部表：<a href=\"/{database}\">{database}</a> (SQL). "
              "Every parse and the internal tables.</p>")


def metadata(database: str, charts: Sequence[str] = ()) -> dict:
    """Datasette metadata for the browse database and the collected one (named `database`,
    the SQLite file's stem); `charts` are URLs of PNG charts shown on the front page."""
    browse_tables = {}
    for name, description in BROWSE_TABLES.items():
        entry: dict = {"description": description}
        columns = column_descriptions(name)
        if columns:
            entry["columns"] = columns
        if name in FACETS:
            entry["facets"] = list(FACETS[name])
        if name == "report_cells":
            entry["size"] = 15  # 230 columns: Datasette renders each cell (bench/startup.py)
        browse_tables[name] = entry
    internal = {name: {"hidden": True} for name in INTERNAL}
    for name, (description, columns) in TABLES.items():
        if name not in INTERNAL:
            internal[name] = {"description": description, **({"columns": dict(columns)}
                                                             if columns else {})}
        else:
            internal[name]["description"] = description
    return {
        "title": "nianbao 政府信息公开工作年度报告",
        "description_html": _front_page(database, charts),
        "extra_css_urls": [],
        "databases": {
            BROWSE: {
                "description": "报告、地区、机关、问题与搜索 / reports, regions, agencies, "
                               "questions and search",
                "tables": browse_tables,
                "queries": {name: {**query, "sql": _pretty(query["sql"]), "hide_sql": True}
                            for name, query in QUERIES.items()},
            },
            database: {
                "description": "收集的数据库：每个解析版本；内部表已隐藏，可用 SQL 查询。 The "
                               "collected database: every parse; internal tables hidden, "
                               "reachable by SQL.",
                "tables": internal,
            },
        },
    }


def _pretty(sql: str) -> str:
    """Line breaks before the clauses, so the page shows the SQL readably."""
    for clause in (" FROM ", " WHERE ", " AND (", " GROUP BY ", " ORDER BY "):
        sql = sql.replace(clause, "\n" + clause.lstrip(" "))
    return sql
