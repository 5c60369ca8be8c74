"""Start-up and page times of the command line and `nianbao serve`.

    .venv/bin/python bench/startup.py [--data-dir DIR] [--runs N]

1. `nianbao --help` and `nianbao --version` (the lazy command table) against
   `python -c pass` (the interpreter alone) and against importing every command module
   (what each start cost before the table), best and median of --runs processes each;
   then `nianbao CMD --help` for every command (its module and options loaded: the start
   of any command before it works), against the 0.3 s target.
2. With --data-dir (a crawled data directory, e.g. after `nianbao demo`): `nianbao serve
   --port 0` on a copy, then each page a journalist opens, best of --runs requests; the
   collected database's `report_wide` view page (what serve showed before the browse
   database) is the baseline of the same run. --scale N copies each report N times in
   the copy (another agency name each time, no archive record) for a database of a size
   where the view's cost shows.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PAGES = ("/", "/browse", "/browse/reports", "/browse/reports?_facet=province",
         "/browse/report_cells",
         "/browse/regions", "/browse/agencies", "/browse/search?q=%E4%B8%9C%E4%B8%BD",
         "/browse/outcome_shares?region=&agency=", "/browse/correction_rates?region=&agency=",
         "/browse/applications_per_year?region=&agency=")
BASELINE = "/nianbao/report_wide"
TARGET = 0.3  # seconds: any command's start-up


def process_times(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return times


def line(name: str, times: list[float], base: float | None = None) -> str:
    best, median = min(times), statistics.median(times)
    ratio = f"  {best / base:5.2f}x the baseline" if base else ""
    return f"{name:<52} best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms{ratio}"


def startup(runs: int) -> None:
    python = sys.executable
    bare = process_times([python, "-c", "pass"], runs)
    everything = process_times([python, "-c", "import importlib\nfrom nianbao.commands "
                                "import COMMANDS\nfor m, _ in COMMANDS.values(): "
                                "importlib.import_module('nianbao.commands.' + m)"], runs)
    print(line("python -c pass", bare))
    print(line("import every command module (the old start)", everything))
    for argv in (["--help"], ["--version"]):
        times = process_times([python, "-m", "nianbao.cli", *argv], runs)
        print(line("nianbao " + " ".join(argv), times, min(everything)))
    # each command up to the point it would start working: its module and its options
    from nianbao.commands import COMMANDS

    each = {name: process_times([python, "-m", "nianbao.cli", name, "--help"], runs)
            for name in COMMANDS}
    for name, times in sorted(each.items(), key=lambda kv: -statistics.median(kv[1])):
        print(line(f"nianbao {name} --help", times, min(everything)))
    slow = [name for name, times in each.items() if statistics.median(times) > TARGET]
    print(f"commands over {TARGET * 1000:.0f} ms (median): {', '.join(slow) or 'none'}")


def scale(db: Path, times: int) -> int:
    """Copy every report (and its cells) `times` times, as other agencies; the count."""
    with sqlite3.connect(db) as con:
        top = con.execute("SELECT MAX(id) FROM report").fetchone()[0]
        con.execute("CREATE TEMP TABLE r AS SELECT * FROM report")
        con.execute("CREATE TEMP TABLE v AS SELECT * FROM report_value")
        for k in range(1, times + 1):
            con.execute("UPDATE r SET id = id + ?, fetch_id = NULL, url = url || '#copy', "
                        "agency = agency || '分' || ?", (top, k))
            con.execute("INSERT INTO report SELECT * FROM r")
            con.execute("UPDATE v SET report_id = report_id + ?", (top,))
            con.execute("INSERT INTO report_value SELECT * FROM v")
        return con.execute("SELECT COUNT(*) FROM report").fetchone()[0]


def pages(data_dir: Path, runs: int, times: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("serve", "charts"))
        if times:
            print(f"{scale(copy / 'nianbao.sqlite', times)} reports in the copy")
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "serve", "--data-dir",
                                    str(copy), "--port", "0"], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        try:
            base = next(line for line in process.stdout if line.startswith("serving "))
            base = base.rsplit(" on ", 1)[1].strip().rstrip("/")
            while True:
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.1)
            print(f"serve ready (browse database built, charts drawn) in "
                  f"{time.perf_counter() - started:.1f} s")
            baseline = fetch_times(base + BASELINE, runs)
            print(line(BASELINE + " (baseline: the view)", baseline))
            for path in PAGES:
                print(line(path, fetch_times(base + path, runs), min(baseline)))
        finally:
            process.terminate()
            process.wait()


def fetch_times(url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--scale", type=int, default=0, metavar="N")
    args = parser.parse_args()
    startup(args.runs)
    if args.data_dir:
        pages(args.data_dir, args.runs, args.scale)


if __name__ == "__main__":
    main()
