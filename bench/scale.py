"""National scale: what the archive index and the database cost at national size.

    .venv/bin/python bench/scale.py [--records 1000000] [--files 1000] [--lookups 20000]
    .venv/bin/python bench/scale.py --store [--reports 500000] [--batch 256]
        [--engine both|sqlite|postgresql]

``--store`` measures the database instead (bench/store_scale.py): ingest rate, size on
disk, the common questions cold and warm, export time and peak memory, on SQLite and on a
throwaway PostgreSQL cluster in the same run.

Builds an archive's worth of index entries (``--records`` spread over ``--files`` closed
WARC files' ``.cdxj``; no WARC bodies are needed to measure the index) and measures, in
the same run, each step in a fresh process (so its memory is its own):

- today's way (the baseline, kept here only to be measured): load the whole sorted
  ``index.cdxj`` into memory as every crawl process did, and merge-rewrite it whole when a
  WARC file closes;
- ``index.sqlite``: open it (what a crawl process pays before its first request), answer
  ``--lookups`` dedup/conditional lookups of random URLs, and add one closed file's
  entries, at the first file and at the last (``--records``) — the cost must not grow.

Prints seconds, the resident memory a step added (ΔRSS, MB) and the ratios.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from nianbao.archive.index import ArchiveIndex, write_file_index  # noqa: E402
from nianbao.archive.records import IndexEntry  # noqa: E402

HOSTS = 300  # portals
PER_FILE_NAME = "bench-20260101000000-{:05d}-1-host.warc.gz"


def entry(n: int) -> IndexEntry:
    host = n % HOSTS
    return IndexEntry(
        url=f"http://www.gov{host}.gov.cn/col/col{n // 7 % 5000}/art_{n}.html",
        timestamp=f"2026{1 + n % 12:02d}{1 + n % 28:02d}120000", filename="",
        offset=0, length=4000 + n % 9000,
        digest=f"sha1:{n:032d}", mime="text/html", status="200", record_type="response")


def build(directory: Path, records: int, files: int) -> None:
    """``files`` closed files' ``.cdxj`` and the legacy whole-archive ``index.cdxj``."""
    per_file = records // files
    lines: list[str] = []
    n = 0
    for f in range(files):
        name = PER_FILE_NAME.format(f)
        entries = []
        offset = 0
        for _ in range(per_file):
            e = entry(n)
            e = IndexEntry(e.url, e.timestamp, name, offset, e.length, e.digest, e.mime,
                           e.status, e.record_type)
            offset += e.length
            entries.append(e)
            n += 1
        write_file_index(directory / name, entries)
        lines.extend(e.cdxj_line() for e in entries)
    lines.sort()
    with open(directory / "index.cdxj", "w", encoding="utf-8") as fh:
        fh.writelines(line + "\n" for line in lines)


# -- the steps, each run in a fresh interpreter ------------------------------------------


def status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MB. Not getrusage: its peak
    carries over through exec from the forking parent."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def step_old_load(directory: Path, _args) -> dict:
    """The crawl's start before: every line of index.cdxj into a dict of lists."""
    by_url: dict[str, list[IndexEntry]] = {}
    with open(directory / "index.cdxj", encoding="utf-8") as fh:
        for line in fh:
            e = IndexEntry.from_line(line.rstrip("\n"))
            by_url.setdefault(e.url, []).append(e)
    return {"entries": sum(len(v) for v in by_url.values())}


def step_old_rewrite(directory: Path, _args) -> dict:
    """Closing one WARC file before: its lines merged into index.cdxj, rewritten whole."""
    new = sorted(entry(10**9 + i).cdxj_line() for i in range(1000))
    out = directory / "index.cdxj.new"
    with open(directory / "index.cdxj", encoding="utf-8") as old, \
            open(out, "w", encoding="utf-8") as fh:
        for line in heapq.merge((line.rstrip("\n") for line in old), new):
            fh.write(line + "\n")
    out.unlink()
    return {}


def step_import(directory: Path, _args) -> dict:
    """One-off: index.sqlite made from the closed files' own indexes (an older archive)."""
    index = ArchiveIndex(directory)
    return {"entries": len(index)}


def step_open(directory: Path, _args) -> dict:
    index = ArchiveIndex(directory)
    index.close()
    return {}


def step_lookups(directory: Path, args) -> dict:
    index = ArchiveIndex(directory)
    rng = random.Random(7)
    hits = 0
    for _ in range(args.lookups):
        n = rng.randrange(args.records)
        e = entry(n)
        hits += index.latest(e.url) is not None
        hits += index.original(e.url, e.digest) is not None
    return {"hits": hits, "per_lookup_us": None}


def step_append(directory: Path, args) -> dict:
    """One closed file of 1,000 records added (its .cdxj written, its rows inserted)."""
    index = ArchiveIndex(directory)
    name = PER_FILE_NAME.format(10**4 + int(time.time() * 1000) % 10**4)
    entries = [IndexEntry(e.url, e.timestamp, name, i * 5000, e.length, e.digest, e.mime,
                          e.status, e.record_type)
               for i, e in enumerate(entry(2 * 10**9 + k) for k in range(1000))]
    index.commit_file(directory / name, entries)
    return {}


STEPS = {"old-load": step_old_load, "old-rewrite": step_old_rewrite, "import": step_import,
         "open": step_open, "lookups": step_lookups, "append": step_append}


def child(name: str, directory: Path, args) -> None:
    before = status_mb("VmRSS")
    start = time.perf_counter()
    out = STEPS[name](directory, args)
    seconds = time.perf_counter() - start
    peak = status_mb("VmHWM")
    print(json.dumps({**out, "seconds": seconds, "rss_mb": max(0.0, peak - before)}))


def run(name: str, directory: Path, args) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", name, "--dir", str(directory),
                           "--records", str(args.records), "--lookups", str(args.lookups)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _store_scale():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "store_scale", Path(__file__).parent / "store_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def store_child(args) -> None:
    """One database measurement in this fresh interpreter; JSON on the last line."""
    bench = _store_scale()
    if args.store_child == "export":
        out = bench.export(args.url, str(args.dir / "export.csv"))
    else:
        out = bench.ask(args.url, args.store_child)
    print(json.dumps({**out, "peak_mb": status_mb("VmHWM")}))


def store_run(step: str, url: str, directory: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--store-child", step, "--url", url,
                           "--dir", str(directory)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{step} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def store_main(args) -> None:
    sys.path.insert(0, str(Path(__file__).parent.parent))
    from tests.services import new_database, postgres_server

    bench = _store_scale()
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-store-") as tmp, \
            postgres_server() as server:
        directory = Path(tmp)
        engines = {"SQLite": f"sqlite:///{directory / 'nianbao.sqlite'}",
                   "PostgreSQL": new_database(server, "bench")}
        engines = {name: url for name, url in engines.items()
                   if args.engine in ("both", name.lower())}
        results: dict[str, dict] = {}
        for engine, url in engines.items():
            r = results[engine] = {}
            r["ingest"] = bench.ingest(url, args.reports, args.batch)
            r["size"] = bench.size_mb(url)
            for name in bench.questions():
                r[name] = store_run(name, url, directory)
            r["export"] = store_run("export", url, directory)
            print(f"{engine}: {r['ingest']['reports_per_s']:.0f} reports/s", flush=True)
        cells = next(iter(results.values()))["ingest"]["values"]
        print(f"\n{args.reports:,} synthetic reports ({cells:,} cells), batches of {args.batch}")
        print(f"{'what':34}" + "".join(f" {name:>22}" for name in results))

        def line(label: str, cell) -> None:
            print(f"{label:34}" + "".join(f" {cell(r):>22}" for r in results.values()))

        line("ingest (reports/s)", lambda r: f"{r['ingest']['reports_per_s']:.0f}")
        line("size on disk (MB)", lambda r: f"{r['size']:.0f}")
        for name in bench.questions():
            line(name, lambda r, n=name: f"{r[n]['cold'] * 1000:.0f} / {r[n]['warm'] * 1000:.0f}"
                 f" ms ({r[n]['rows']})")
        line("export csv (s, peak MB)", lambda r: f"{r['export']['seconds']:.1f} s, "
             f"{r['export']['peak_mb']:.0f} MB")
        print("questions: cold (first, fresh process) / warm (best of 3 after) (rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--store", action="store_true", help="measure the database")
    parser.add_argument("--reports", type=int, default=500_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--engine", choices=("both", "sqlite", "postgresql"), default="both",
                        help="with --store: the engines measured (default both)")
    parser.add_argument("--child")
    parser.add_argument("--store-child")
    parser.add_argument("--url")
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dir, args)
        return
    if args.store_child:
        store_child(args)
        return
    if args.store:
        store_main(args)
        return
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-scale-") as tmp:
        small, big = Path(tmp) / "first", Path(tmp) / "big"
        small.mkdir()
        big.mkdir()
        start = time.perf_counter()
        build(big, args.records, args.files)
        print(f"built {args.records:,} entries in {args.files:,} files "
              f"({time.perf_counter() - start:.0f} s); index.cdxj "
              f"{(big / 'index.cdxj').stat().st_size / 1e6:.0f} MB")
        old_load = run("old-load", big, args)
        old_rewrite = run("old-rewrite", big, args)
        imported = run("import", big, args)
        opened = run("open", big, args)
        lookups = run("lookups", big, args)
        # best of 5 (each a fresh process): the machine is shared, the cost is the floor
        first_append = min((run("append", small, args) for _ in range(5)),
                           key=lambda r: r["seconds"])
        last_append = min((run("append", big, args) for _ in range(5)),
                          key=lambda r: r["seconds"])
        size = (big / "index.sqlite").stat().st_size / 1e6
        print(f"\narchive index at {args.records:,} records")
        print(f"{'step':40} {'seconds':>10} {'ΔRSS MB':>9}")
        rows = [
            ("before: load index.cdxj whole", old_load),
            ("before: rewrite index.cdxj (1 file closed)", old_rewrite),
            ("now: import .cdxj files once (migration)", imported),
            ("now: open index.sqlite", opened),
            (f"now: {args.lookups:,}×(latest+original)", lookups),
            ("now: add 1 file of 1,000 (first file)", first_append),
            (f"now: add 1 file of 1,000 (at {args.records:,})", last_append),
        ]
        for label, r in rows:
            print(f"{label:40} {r['seconds']:>10.4f} {r['rss_mb']:>9.1f}")
        per_lookup = lookups["seconds"] / (2 * args.lookups) * 1e6
        print(f"\nstart-up: {old_load['seconds'] / max(opened['seconds'], 1e-9):,.0f}× faster "
              f"({old_load['seconds']:.2f} s → {opened['seconds'] * 1000:.1f} ms), memory "
              f"{old_load['rss_mb']:.0f} MB → {opened['rss_mb']:.1f} MB")
        print(f"lookup: {per_lookup:.0f} µs each (hits {lookups['hits']:,} of "
              f"{2 * args.lookups:,})")
        print(f"closing a file: {old_rewrite['seconds']:.2f} s → "
              f"{last_append['seconds'] * 1000:.1f} ms "
              f"({old_rewrite['seconds'] / max(last_append['seconds'], 1e-9):,.0f}×); "
              f"at the first file {first_append['seconds'] * 1000:.1f} ms "
              f"(ratio last/first {last_append['seconds'] / first_append['seconds']:.2f})")
        print(f"index.sqlite: {size:.0f} MB on disk "
              f"({size * 1e6 / max(imported['entries'], 1):.0f} bytes/entry)")


if __name__ == "__main__":
    main()
