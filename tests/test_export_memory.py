"""export's memory stays flat in the number of reports (issue 17: streaming everywhere)."""

from __future__ import annotations

import subprocess
import sys
import time

from nianbao.parsers.schema import load_schema
from nianbao.store import Store

from nianbao import parsers

from .conftest import ROOT

# 40 keys a report, not the format's ~200: memory per report in flight is what matters,
# and the test stays quick
KEYS = [k for k, spec in load_schema().keys.items() if "2021" in spec.formats][:40]

# Runs one export in a fresh interpreter and prints its peak resident memory (VmHWM: this
# process's own peak, unlike getrusage, whose peak carries over from the forking parent).
CHILD = """
import sys
from nianbao.cli import main
code = main(["export", "--data-dir", sys.argv[1], "--format", sys.argv[2], "--out", sys.argv[3]])
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(code, peak)
"""


def fill(data_dir, count: int) -> None:
    """``count`` reports through the store's bulk path."""
    data_dir.mkdir()
    with Store(f"sqlite:///{data_dir / 'nianbao.sqlite'}", upgrade=True) as store:
        for start in range(0, count, 1000):
            versions = []
            for i in range(start, min(count, start + 1000)):
                report = parsers.Report(
                    is_report=True, document_type="html", agency=f"县{i // 6}人民政府",
                    province=f"省{i % 31}", division_code=f"{11 + i % 31:02d}0101",
                    year=2019 + i % 6, format="2021", title=f"报告{i}")
                cells = [(k, float(i % 97), str(i % 97), "number") for k in KEYS]
                versions.append({"report": report, "cells": cells, "url": f"http://x.test/{i}",
                                 "fetch_id": None, "portal_id": None, "parser_version": "t",
                                 "payload_digest": f"sha1:{i}"})
            store.add_reports(versions)


def peak_kb(data_dir, fmt: str, out) -> tuple[int, float]:
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(data_dir), fmt, str(out)],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    code, peak = done.stdout.split()
    assert code == "0", done.stderr
    return int(peak), time.perf_counter() - begin


def test_export_memory_is_flat_from_1000_to_20000_reports(tmp_path):
    small, big = tmp_path / "small", tmp_path / "big"
    fill(small, 1000)
    fill(big, 20_000)
    for fmt in ("jsonl", "csv"):
        small_peak, _ = peak_kb(small, fmt, tmp_path / f"small.{fmt}")
        big_peak, _ = peak_kb(big, fmt, tmp_path / f"big.{fmt}")
        lines = sum(1 for _ in open(tmp_path / f"big.{fmt}", encoding="utf-8"))
        assert lines == 20_000 + (fmt == "csv")  # every report written (and csv's header)
        # 20 times the reports, at most 15% more memory (a whole-set export would need
        # hundreds of MB more here) and under issue 17's 300 MB
        assert big_peak < small_peak * 1.15, (fmt, small_peak, big_peak)
        assert big_peak < 300 * 1024
        print(f"export {fmt}: peak {small_peak / 1024:.0f} MB at 1,000 reports, "
              f"{big_peak / 1024:.0f} MB at 20,000")
