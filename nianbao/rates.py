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

# the rows the views define the rates over: one list, in store/views.py
from nianbao.store.views import APPEAL_GROUPS, OUTCOMES


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
