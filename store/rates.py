"""The one definition of each pooled rate, as SQL over the per-report rates (the
``report_rates`` view, or serve's ``reports`` table that copies it).

The charts (`nianbao plot`, serve's front page) and serve's canned queries both run the SQL
made here, so they cannot disagree: in 2021 the chart once said "67% granted" for a report
printing 三(七)总计 0, dividing by the sum of the outcome rows, while the canned query
divided by the printed total and gave no share.

A pooled rate sums, over the reports that have that rate of their own (a printed,
non-zero denominator), the numerators and the denominators, and divides: a report that
prints 总计 0 contributes to neither side. Shares are of 三(七)总计 as printed; correction
rates are 纠正 / (总计 − 尚未审结).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .questions import Query, where_clause

# the rows the views define the rates over: one list, in store/views.py
from .views import APPEAL_GROUPS, OUTCOMES

if TYPE_CHECKING:
    from sqlalchemy import Connection


def _only_with(rate: str, column: str, alias: str) -> str:
    return f"SUM(CASE WHEN {alias}{rate} IS NOT NULL THEN {alias}{column} END)"


def outcome_share(outcome: str, alias: str = "") -> str:
    """Pooled share of `outcome` in the applications processed (三(七)总计 as printed)."""
    share = f"{outcome}_share"
    return (f"{_only_with(share, outcome, alias)} * 1.0 / "
            f"NULLIF({_only_with(share, 'processed', alias)}, 0)")


def correction_parts(group: str, alias: str = "") -> tuple[str, str]:
    """(corrected, decided) summed over the reports with decided cases in `group`."""
    rate = f"{group}_correction_rate"
    return (_only_with(rate, f"{group}_corrected", alias),
            _only_with(rate, f"{group}_decided", alias))


def correction_rate(group: str, alias: str = "") -> str:
    corrected, decided = correction_parts(group, alias)
    return f"{corrected} * 1.0 / NULLIF({decided}, 0)"


def yearly_sql(table: str, where: str = "", alias: str = "r") -> str:
    """One row per year: reports, received, processed, each outcome's pooled share and each
    appeal group's corrected, decided and pooled correction rate. `where` is a complete
    clause (" WHERE …") on `table` aliased `alias`."""
    a = f"{alias}."
    columns = [f"{a}year AS year", "COUNT(*) AS reports",
               f"SUM({a}received) AS received", f"SUM({a}processed) AS processed"]
    columns += [f"ROUND({outcome_share(o, a)}, 4) AS {o}_share" for o, _ in OUTCOMES]
    for group, _ in APPEAL_GROUPS:
        corrected, decided = correction_parts(group, a)
        columns += [f"{corrected} AS {group}_corrected", f"{decided} AS {group}_decided",
                    f"ROUND({correction_rate(group, a)}, 4) AS {group}_rate"]
    condition = f"{a}year IS NOT NULL"
    where = f"{where} AND {condition}" if where else f" WHERE {condition}"
    return (f"SELECT {', '.join(columns)} FROM {table} {alias}{where} "
            f"GROUP BY {a}year ORDER BY {a}year")


@dataclass
class YearRow:
    year: int
    reports: int
    received: float | None
    processed: float | None
    shares: dict[str, float | None]  # outcome -> pooled share, None: no total
    appeals: dict[str, tuple[float, float]]  # group -> (corrected, decided)
    rates: dict[str, float | None]  # group -> pooled correction rate


def yearly(connection: Connection, query: Query, table: str = "report_rates") -> list[YearRow]:
    """Per year, over the reports the filters select: ``yearly_sql``, the SQL the canned
    queries of `nianbao serve` run too, so chart and table cannot disagree."""
    from sqlalchemy import text

    where, params = where_clause(query)
    rows = []
    for row in connection.execute(text(yearly_sql(table, where)), params):
        m = row._mapping
        rows.append(YearRow(
            year=m["year"], reports=m["reports"], received=m["received"],
            processed=m["processed"], shares={o: m[f"{o}_share"] for o, _ in OUTCOMES},
            appeals={g: (m[f"{g}_corrected"] or 0, m[f"{g}_decided"] or 0)
                     for g, _ in APPEAL_GROUPS},
            rates={g: m[f"{g}_rate"] for g, _ in APPEAL_GROUPS}))
    return rows
