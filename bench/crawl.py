"""Crawl benchmarks, all on loopback, printed from one run:

(a) pages/s of a full nianbao crawl (frontier, archive, parse, store) of a generated local
    site of 2,000 pages, against a bare Scrapy spider fetching the same pages with the same
    per-host politeness (one request at a time, no delay), each with its own download
    handler (Scrapy's Twisted client; nianbao's crawler.wire); target ratio ≥ 0.7;
(b) 50 local hosts (ports on 127.0.0.1), each limited to 2 requests/s: aggregate
    throughput against the 100 requests/s limit (target ≥ 85 %), and the fastest any one
    host was asked (must stay ≤ its limit);
(c) the cost of a browser-rendered page (headless Chromium, render = "always") relative to
    a plain fetch, on the same pages;
(d) discovery on generated portal variants (tests/variants/), one per list mechanism, each a
    column of 20 reports: requests per report found (counted by the servers, so the
    browser's own requests count too) and browser renders per portal, on a first crawl and
    on a second one after the list APIs were learned. Targets: no render on the second
    crawl where an API was learned; at most 3 requests per report.

Each crawl runs in its own process (Scrapy's reactor starts once per process); the sites
are served from this one. Usage:
``python bench/crawl.py [--pages 2000] [--hosts 50] [--rounds 5] [--only a|b|c|d]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- child processes


def child_nianbao(config: str, data_dir: str) -> None:
    from nianbao.config import load_config
    from nianbao.crawl import run_crawl

    portals = load_config(config)
    extra = json.loads(os.environ.get("NIANBAO_BENCH_SETTINGS", "{}"))
    summary = run_crawl(portals, data_dir=Path(data_dir),
                        db_url=f"sqlite:///{data_dir}/nianbao.sqlite", command="bench",
                        progress=False, extra_settings=extra)
    print(json.dumps({"responses": summary.stats.get("downloader/response_count", 0),
                      "elapsed": summary.stats.get("elapsed_time_seconds"),
                      "reports": summary.total("reports"),
                      "browser_pages": summary.stats.get("nianbao/browser_pages", 0),
                      "stats": {k: v for k, v in summary.stats.items()
                                if k.startswith("nianbao/")}}))


def child_bare(start_url: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    host = start_url.split("/")[2]

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = [start_url]

        def parse(self, response):
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if url.split("/")[2] == host:
                    yield scrapy.Request(url, callback=self.parse)

    # DOWNLOAD_DELAY 0 would be slower: Scrapy then starts a slot's next request only on
    # its ~0.1 s queue check (~65 ms a request measured here); a tiny delay schedules it at
    # once. The baseline gets Scrapy at its fastest, as nianbao's settings do.
    process = CrawlerProcess({"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                              "DOWNLOAD_DELAY": 0.00001, "ROBOTSTXT_OBEY": False,
                              "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"responses": stats.get("downloader/response_count", 0),
                      "elapsed": stats.get("elapsed_time_seconds")}))


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "NIANBAO_CONTACT": "bench@localhost"})
    if out.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def config_for(hosts: list[tuple[str, str]], rps: float, render: str = "never",
               max_pages: int = 5000) -> str:
    return "\n".join(f"""[[portal]]
name = "{name}"
start_urls = ["http://{host}/zwgk/ndbg/index.html"]
allowed_hosts = ["{host}"]
render = "{render}"
max_pages = {max_pages}
requests_per_second = {rps}
""" for name, host in hosts)


# --------------------------------------------------------------------------- benchmarks


def bench_a(pages: int, tmp: Path, rounds: int) -> None:
    from nianbao.demo.generated import serve_generated

    server, reports = serve_generated(pages, n_reports=20, per_list=20)
    ratios = []
    print(f"(a) generated site of {pages} pages, one host, one request at a time; "
          f"{rounds} rounds, bare and nianbao alternating (the machine's speed drifts)")
    try:
        config = tmp / "a.toml"
        config.write_text(config_for([("generated", server.host)], 100000.0),
                          encoding="utf-8")
        for n in range(rounds):
            bare = run_child("_bare", f"http://{server.host}/zwgk/ndbg/index.html")
            nianbao = run_child("_nianbao", str(config), str(tmp / f"a{n}"))
            bare_rate = bare["responses"] / bare["elapsed"]
            nb_rate = nianbao["responses"] / nianbao["elapsed"]
            ratios.append(nb_rate / bare_rate)
            print(f"    round {n + 1}: bare Scrapy {bare['responses']} responses in "
                  f"{bare['elapsed']:.1f} s = {bare_rate:.0f} pages/s; nianbao "
                  f"{nianbao['responses']} in {nianbao['elapsed']:.1f} s = {nb_rate:.0f} "
                  f"pages/s ({nianbao['reports']} reports of {len(reports)}); "
                  f"ratio {nb_rate / bare_rate:.2f}")
    finally:
        server.close()
    ratios.sort()
    print(f"    ratio nianbao / bare: median {ratios[len(ratios) // 2]:.2f} "
          f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}; target >= 0.70)")


class ArrivalServers:
    """Many hosts (ports) served by one asyncio loop in a thread of this process.

    Timestamps are taken when a request's first line arrives, on a single thread with
    nothing else to run, so they measure the crawler's spacing, not the wake-up latency of
    dozens of server threads contending for the GIL (which the demo's threaded server
    would add to every arrival).
    """

    def __init__(self, sites: list) -> None:
        import asyncio

        self.sites = sites
        self.times: list[list[float]] = [[] for _ in sites]
        self.hosts: list[str] = []
        self.loop = asyncio.new_event_loop()
        self._servers: list = []
        ready = threading.Event()

        async def start() -> None:
            for i in range(len(sites)):
                server = await asyncio.start_server(
                    lambda r, w, i=i: self._serve(i, r, w), "127.0.0.1", 0)
                self._servers.append(server)
                self.hosts.append(f"127.0.0.1:{server.sockets[0].getsockname()[1]}")
            ready.set()

        def run() -> None:
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(30)

    async def _serve(self, i: int, reader, writer) -> None:
        from nianbao.demo.server import resource_key

        site = self.sites[i]
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                self.times[i].append(time.monotonic())
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass  # headers: a GET has no body
                target = line.split()[1].decode("latin-1")
                resource = site.resources.get(resource_key(target), site.not_found)
                head = [f"HTTP/1.1 {resource.status} X", *(f"{k}: {v}" for k, v in
                                                        resource.headers),
                        f"Content-Length: {len(resource.body)}", "", ""]
                writer.write("\r\n".join(head).encode("latin-1") + resource.body)
                await writer.drain()
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        for server in self._servers:
            self.loop.call_soon_threadsafe(server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def bench_b(n_hosts: int, tmp: Path, pages_per_host: int = 30, rps: float = 2.0) -> None:
    from nianbao.demo.generated import generated_site

    servers = ArrivalServers([generated_site(pages_per_host, lists_only=True)[0]
                              for _ in range(n_hosts)])
    try:
        config = tmp / "b.toml"
        config.write_text(config_for([(f"host{i:02d}", h) for i, h in enumerate(servers.hosts)],
                                     rps), encoding="utf-8")
        run_child("_nianbao", str(config), str(tmp / "b"))
    finally:
        servers.close()
    times = dict(zip(servers.hosts, servers.times, strict=True))
    stamps = sorted(t for ts in times.values() for t in ts)
    span = stamps[-1] - stamps[0]
    limit = n_hosts * rps
    # steady state: from the moment every host has been asked once to the moment the first
    # host ran out of pages (after that fewer hosts remain, through no fault of the crawler)
    start = max(ts[0] for ts in times.values())
    end = min(ts[-1] for ts in times.values())
    steady = [t for t in stamps if start <= t <= end]
    steady_rate = (len(steady) - 1) / (end - start) if end > start else float("nan")
    gaps = sorted(b - a for ts in times.values() for a, b in zip(ts, ts[1:], strict=False))
    min_gap, median_gap = gaps[0], gaps[len(gaps) // 2]
    worst_window = max(sum(1 for t in ts if s <= t < s + 1.0) for ts in times.values()
                       for s in ts)
    host_rate = max((len(ts) - 1) / (ts[-1] - ts[0]) for ts in times.values() if len(ts) > 1)
    print(f"(b) {n_hosts} local hosts x {pages_per_host} pages, each limited to {rps:g} "
          f"requests/s (limit {limit:g} requests/s in all)")
    print(f"    {len(stamps)} requests in {span:.1f} s = {len(stamps) / span:.1f} requests/s "
          f"overall ({len(stamps) / span / limit:.0%} of the limit, ramp-up and tail included)")
    print(f"    steady state (all hosts busy): {steady_rate:.1f} requests/s = "
          f"{steady_rate / limit:.0%} of the limit (target >= 85%)")
    print(f"    per host: highest average rate {host_rate:.2f} requests/s (limit {rps:g})")
    print("    per host, as the server saw arrivals:")
    print(f"      shortest gap {min_gap * 1000:.0f} ms, median {median_gap * 1000:.0f} ms "
          f"(limit {1000 / rps:.0f} ms); most arrivals in any 1 s window: {worst_window}")


def bench_c(tmp: Path, pages: int = 42) -> None:
    from nianbao.demo.generated import serve_generated

    results = {}
    for render in ("never", "always"):
        server, _ = serve_generated(pages, per_list=20)
        try:
            config = tmp / f"c-{render}.toml"
            config.write_text(config_for([("c", server.host)], 100000.0, render=render),
                              encoding="utf-8")
            results[render] = run_child("_nianbao", str(config), str(tmp / f"c-{render}"))
        finally:
            server.close()
    plain = results["never"]["elapsed"] / results["never"]["responses"]
    rendered = results["always"]["elapsed"] / max(results["always"]["browser_pages"], 1)
    print(f"(c) {pages} pages, plain fetch vs headless Chromium (render = \"always\")")
    print(f"    plain: {plain * 1000:.1f} ms/page; browser: {rendered * 1000:.1f} ms/page "
          f"({results['always']['browser_pages']} pages rendered, browser start included)")
    print(f"    a browser-rendered page costs {rendered / plain:.1f}x a plain fetch")


def bench_d(tmp: Path, reports: int = 20) -> None:
    from tests.variants.generator import MECHANISMS, draw
    from tests.variants.harness import Variants

    specs = [draw(500 + n, mechanism=m, start="column", reports=reports)
             for n, m in enumerate(MECHANISMS)]
    with Variants(specs) as variants:
        config = tmp / "d.toml"
        config.write_text(variants.config(), encoding="utf-8")
        runs = []
        for _ in ("first", "second"):
            for served in variants.served:
                served.server.site.request_log.clear()
            result = run_child("_nianbao", str(config), str(tmp / "d"))
            requests = {s.name: len(s.server.site.request_log) for s in variants.served}
            runs.append((result["stats"], requests))
    print(f"(d) {len(specs)} generated portals, one per list mechanism, a column of "
          f"{reports} reports each; first crawl / second crawl (APIs learned)")
    print(f"    {'portal':24} {'reports':>9} {'requests/report':>17} {'renders':>9} "
          f"{'APIs':>5} {'deepest':>8}")
    for served in variants.served:
        cells = []
        for stats, requests in runs:
            found = stats.get(f"nianbao/reports/{served.name}", 0)
            cells.append((found, requests[served.name] / max(found, 1),
                          stats.get(f"nianbao/renders/{served.name}", 0),
                          stats.get(f"nianbao/apis_learned/{served.name}", 0),
                          stats.get(f"nianbao/deepest_page/{served.name}", 0)))
        (f1, q1, r1, a1, d1), (f2, q2, r2, _, d2) = cells
        print(f"    {served.name:24} {f1:>4}/{f2:<4} {q1:>8.2f}/{q2:<8.2f} {r1:>4}/{r2:<4} "
              f"{a1:>5} {d1:>3}/{d2:<4}")
    learned = [s for s in variants.served if runs[0][0].get(f"nianbao/apis_learned/{s.name}")]
    rendered = [s.name for s in learned if runs[1][0].get(f"nianbao/renders/{s.name}")]
    worst = max(runs[0][1][s.name] / max(runs[0][0].get(f"nianbao/reports/{s.name}", 0), 1)
                for s in variants.served)
    print(f"    portals with a learned API rendered on the second crawl: {rendered or 'none'} "
          "(target: none)")
    print(f"    worst requests per report, first crawl: {worst:.2f} (target ≤ 3)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_nianbao":
        child_nianbao(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_bare":
        child_bare(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--only", choices=("a", "b", "c", "d"), action="append")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (a)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        tmp = Path(tmp)
        if not args.only or "a" in args.only:
            bench_a(args.pages, tmp, args.rounds)
        if not args.only or "b" in args.only:
            bench_b(args.hosts, tmp)
        if not args.only or "c" in args.only:
            bench_c(tmp)
        if not args.only or "d" in args.only:
            bench_d(tmp)


if __name__ == "__main__":
    main()
