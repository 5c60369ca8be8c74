"""`nianbao parse` on the five real seed reports gives exactly their hand-checked values."""

from __future__ import annotations

import json

import pytest

from nianbao.cli import main

from .conftest import seed_cases

META = ("agency", "province", "city", "district", "division_code", "year", "format")


@pytest.mark.parametrize("case", seed_cases(), ids=lambda c: c.id)
def test_parse_command_matches_expected(case, capsys):
    assert main(["parse", str(case.path)]) == 0
    report = json.loads(capsys.readouterr().out)
    expected = case.expected

    assert {m: report[m] for m in META} == {m: expected[m] for m in META}
    wrong = {k: (report["values"].get(k, "missing"), v) for k, v in expected["values"].items()
             if report["values"].get(k, "missing") != v or type(report["values"].get(k)) is not
             type(v)}
    assert wrong == {}
    # Keys of the format that the document does not print are null, never invented.
    extra = {k: v for k, v in report["values"].items() if k not in expected["values"]}
    assert all(v is None for v in extra.values()), extra
    assert sorted({c["key"] for c in report["checks_failed"]}) == expected["expected_violations"]


def test_violations_report_values_as_printed(capsys):
    """Seed 004 prints 0 as its grand total: kept as 0, and the identity reported."""
    case = next(c for c in seed_cases() if c.id == "004")
    main(["parse", str(case.path)])
    report = json.loads(capsys.readouterr().out)
    assert report["values"]["applications.total.total"] == 0
    failed = [c for c in report["checks_failed"] if c["key"] == "applications.total.total"]
    assert {(c["lhs"], c["rhs"]) for c in failed} == {(0, 3), (3, 0)}
