"""Datasette metadata for `nianbao serve`: descriptions in Chinese and English, facets, and
canned queries for the questions researchers, journalists and evaluators ask again and again.

Canned queries run on SQLite only (Datasette), so they may use SQLite functions (ROUND,
GROUP_CONCAT); the views they read are portable.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    "report": ["province", "year", "format"],
    "latest_report": ["province", "year", "format", "agency_type"],
    "report_wide": ["province", "year", "format", "agency_type"],
    "report_rates": ["province", "year", "format", "agency_type"],
    "refusal_reasons": ["outcome", "province", "year", "agency_type"],
    "report_completeness": ["province", "year", "format", "complete"],
    "agency_yoy": ["province", "year", "agency_type"],
}

QUERIES: dict[str, dict] = {
    "applications_per_year": {
        "title": "每年新收申请 / applications received per year",
        "description": "地区留空为全部；可填名称开头（天津）或区划代码前缀（12）。 Leave region "
                       "empty for all; a name start (天津) or a division-code prefix (12).",
        "sql": ("SELECT year, COUNT(*) AS reports, "
                "CAST(SUM(\"applications.received.total\") AS INTEGER) AS received, "
                "CAST(SUM(\"applications.total.total\") AS INTEGER) AS processed FROM report_wide "
                f"WHERE {REGION} AND {AGENCY} GROUP BY year ORDER BY year"),
    },
    "applications_by_province_year": {
        "title": "各省每年新收申请 / applications received per province and year",
        "sql": ("SELECT province, year, COUNT(*) AS reports, "
                "CAST(SUM(\"applications.received.total\") AS INTEGER) AS received "
                "FROM report_wide "
                f"WHERE {AGENCY} GROUP BY province, year ORDER BY province, year"),
    },
    "outcome_shares": {
        "title": "办理结果构成 / outcome shares per year",
        "description": "各结果占办理结果总计（三(七)）的比例。 Shares of 三(七)总计.",
        "sql": ("SELECT year, COUNT(*) AS reports, CAST(SUM(processed) AS INTEGER) AS processed, "
                + ", ".join(f"ROUND(SUM({o}) * 1.0 / NULLIF(SUM(processed), 0), 4) AS {o}_share"
                            for o in ("granted", "partially_granted", "withheld", "unavailable",
                                      "not_processed", "other"))
                + f" FROM report_rates WHERE {REGION} AND {AGENCY} GROUP BY year ORDER BY year"),
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
        "description": "纠正 / (总计 − 尚未审结)，只计有已审结案件的报告。 corrected / (total − "
                       "pending), over reports with decided cases.",
        "sql": ("SELECT year, COUNT(*) AS reports, "
                + ", ".join(
                    f"SUM(CASE WHEN {g}_correction_rate IS NOT NULL THEN {g}_corrected END) "
                    f"AS {g}_corrected, "
                    f"SUM(CASE WHEN {g}_correction_rate IS NOT NULL THEN {g}_decided END) "
                    f"AS {g}_decided, "
                    f"ROUND(SUM(CASE WHEN {g}_correction_rate IS NOT NULL THEN {g}_corrected "
                    f"END) * 1.0 / NULLIF(SUM(CASE WHEN {g}_correction_rate IS NOT NULL THEN "
                    f"{g}_decided END), 0), 4) AS {g}_rate"
                    for g in ("review", "litigation_direct", "litigation_after_review"))
                + f" FROM report_rates WHERE {REGION} AND {AGENCY} GROUP BY year ORDER BY year"),
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
                f"missing_years FROM agency_coverage WHERE missing_years > 0 AND {REGION} "
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


def metadata(database: str, charts: Sequence[str] = ()) -> dict:
    """Datasette metadata for the database named `database` (the SQLite file's stem);
    `charts` are URLs of PNG charts shown on the front page."""
    images = "".join(f'<p><a href="{url}"><img src="{url}" alt="{url}" '
                     f'style="max-width: 100%"></a></p>' for url in charts)
    tables = {}
    for name, (description, columns) in TABLES.items():
        entry: dict = {"description": description}
        if columns:
            entry["columns"] = dict(columns)
        if name in FACETS:
            entry["facets"] = list(FACETS[name])
        tables[name] = entry
    return {
        "title": "nianbao 政府信息公开工作年度报告",
        "description_html": (
            "<p>政府信息公开工作年度报告的统计表，按印刷值保存。 The statistical tables of "
            "government information-disclosure annual reports, stored as printed. 只读 / "
            "read-only.</p>" + images),
        "databases": {database: {"tables": tables, "queries": {
            name: {**query, "sql": _pretty(query["sql"])} for name, query in QUERIES.items()}}},
    }


def _pretty(sql: str) -> str:
    """Line breaks before the clauses, so the page shows the SQL readably."""
    for clause in (" FROM ", " WHERE ", " AND (", " GROUP BY ", " ORDER BY "):
        sql = sql.replace(clause, "\n" + clause.lstrip(" "))
    return sql
