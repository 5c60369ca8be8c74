"""One crawl shared by several worker processes (crawler.cluster): a real redis-server and
a real PostgreSQL, the demo portals plus two generated portals on loopback, real
`nianbao crawl --distributed` processes. What each server saw is logged server-side with
its arrival time. Also: processes migrating one new PostgreSQL database at once, and
portal_id asked for at once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .services import new_database, postgres_server, redis_server
from .test_multiprocess import _open_together

RATE = 8.0  # requests per second per host, for the whole cluster
LEASE_SECONDS = "5"


@pytest.fixture(scope="module")
def services():
    with redis_server() as redis_url, postgres_server() as pg_url:
        yield redis_url, pg_url


@dataclass
class Sites:
    config: Path
    hosts: list[str]
    report_urls: set[str]  # documents that hold a demo report
    generated: dict[str, set[str]]  # host -> every page path of a generated portal
    arrivals: list[tuple[float, str, str, str]] = field(default_factory=list)

    def pages(self) -> Counter:
        """(host, target) of every GET but robots.txt, counted."""
        return Counter((host, target) for _, host, method, target in self.arrivals
                       if method == "GET" and target != "/robots.txt")


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    from nianbao.demo import DemoPortals
    from nianbao.demo.generated import serve_generated

    demo = DemoPortals(patterns=False)
    demo.start()
    generated = [serve_generated(40, per_list=8) for _ in range(2)]
    sites = Sites(tmp_path_factory.mktemp("cluster") / "portals.toml", [], set(), {})
    servers = [*demo._servers.values(), *(server for server, _ in generated)]
    for server in servers:
        site, host = server.site, server.host
        sites.hosts.append(host)

        def log(method: str, target: str, _log=site.log, _host=host) -> None:
            sites.arrivals.append((time.monotonic(), _host, method, target))
            _log(method, target)

        site.log = log
    sites.report_urls = {r.document_url for r in demo.reports}
    toml = demo.config_toml().replace("requests_per_second = 20.0",
                                      f"requests_per_second = {RATE}")
    for n, (server, _reports) in enumerate(generated):
        sites.generated[server.host] = {p for p in server.site.resources if p != "/robots.txt"}
        toml += (f'\n[[portal]]\nname = "generated-{n}"\n'
                 f'start_urls = ["http://{server.host}/zwgk/ndbg/index.html"]\n'
                 f'allowed_hosts = ["{server.host}"]\nrender = "never"\n'
                 f"requests_per_second = {RATE}\n")
    sites.config.write_text(toml, encoding="utf-8")
    yield sites
    demo.close()
    for server, _ in generated:
        server.close()


def _env() -> dict:
    return {**os.environ, "NIANBAO_BROWSER": "0", "NIANBAO_LEASE_SECONDS": LEASE_SECONDS,
            "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}


def _crawl_args(sites: Sites, data_dir: Path, redis_url: str, db: str) -> list[str]:
    return [sys.executable, "-m", "nianbao.cli", "crawl", "--config", str(sites.config),
            "--data-dir", str(data_dir), "--db", db, "--distributed", redis_url,
            "--no-progress"]


def _fresh(redis_url: str, pg_url: str, name: str, sites: Sites) -> str:
    import redis

    redis.Redis.from_url(redis_url).flushall()
    sites.arrivals.clear()
    return new_database(pg_url, name)


def _reports(db: str) -> Counter:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT url, count(*) FROM report GROUP BY url")).all()
    engine.dispose()
    return Counter(dict(rows))


def _max_per_second(arrivals: list[tuple[float, str, str, str]]) -> dict[str, int]:
    """Per host: the most requests that arrived within any one second."""
    by_host: dict[str, list[float]] = defaultdict(list)
    for moment, host, _method, _target in arrivals:
        by_host[host].append(moment)
    worst = {}
    for host, times in by_host.items():
        times.sort()
        start, most = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        worst[host] = most
    return worst


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _cluster(redis_url: str):
    from nianbao.crawler.cluster import cluster_state, redis_from_url

    return cluster_state(redis_from_url(redis_url))


def test_two_workers_share_one_crawl(services, sites, tmp_path):
    workers = 2
    redis_url, pg_url = services
    db = _fresh(redis_url, pg_url, f"cluster{workers}", sites)
    run = subprocess.run([*_crawl_args(sites, tmp_path, redis_url + "/0", db),
                          "--workers", str(workers)], env=_env(), capture_output=True,
                         text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]

    pages = sites.pages()
    twice = {page: n for page, n in pages.items() if n > 1}
    assert not twice, f"fetched more than once: {twice}"
    for host, paths in sites.generated.items():  # every page of the generated portals
        assert paths <= {t for h, t in pages if h == host}
    reports = _reports(db)
    assert set(reports) == sites.report_urls and set(reports.values()) == {1}

    # the rate is the cluster's: one bucket per host in Redis, not one per worker
    worst = _max_per_second(sites.arrivals)
    assert max(worst.values()) <= RATE, worst

    states, queued, leased = _cluster(redis_url + "/0")
    assert len(states) == workers and queued == 0 and leased == 0
    assert all(s.state == "finished" and not s.alive for s in states)
    assert sum(s.pages > 0 for s in states) >= 2, states  # the work was shared
    assert sum(s.pages for s in states) >= sum(pages.values())

    shown = subprocess.run([sys.executable, "-m", "nianbao.cli", "workers", "--distributed",
                            redis_url + "/0", "--format", "json"], env=_env(),
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)["workers"]) == workers


def test_three_workers_one_killed_the_others_finish(services, sites, tmp_path):
    import redis

    redis_url, pg_url = services
    url = redis_url + "/0"
    db = _fresh(redis_url, pg_url, "cluster_kill", sites)
    processes = [subprocess.Popen(_crawl_args(sites, tmp_path, url, db), env=_env(),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(3)]
    victim = processes[0]
    victim_id = f"{socket.gethostname().split('.')[0]}:{victim.pid}"
    server = redis.Redis.from_url(url)
    held: list[bytes] = []
    deadline = time.monotonic() + 120
    while not held:  # kill it mid-crawl, while it holds leases
        assert time.monotonic() < deadline, "the victim never leased anything"
        assert victim.poll() is None, victim.stderr.read().decode()[-3000:]
        if len(sites.pages()) >= 10:
            held = [i for i, owner in server.hgetall("nianbao:lease:owner").items()
                    if owner.decode() == victim_id]
        time.sleep(0.02)
    shown = {s.worker: s for s in _cluster(url)[0]}  # what `nianbao workers` shows
    assert shown[victim_id].alive and shown[victim_id].leases >= 1
    victim.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    lost = [json.loads(e)["url"] for e in server.hmget("nianbao:lease:entry", held) if e]
    victim.wait()
    for process in processes[1:]:
        assert process.wait(timeout=240) == 0, process.stderr.read().decode()[-3000:]

    # nothing lost: every page, every report; the queue and the leases are empty
    pages = sites.pages()
    in_flight = {(urlsplit(u).netloc, _target(u)) for u in lost}
    twice = {page: n for page, n in pages.items() if n > 1 and page not in in_flight}
    assert not twice, f"fetched more than once: {twice}"  # only what the victim held
    for host, paths in sites.generated.items():
        assert paths <= {t for h, t in pages if h == host}
    reports = _reports(db)
    assert set(reports) == sites.report_urls
    assert set(reports.values()) == {1}  # and nothing stored twice
    states, queued, leased = _cluster(url)
    assert queued == 0 and leased == 0
    # what the victim held when it died was fetched again, by the others, afterwards
    assert lost
    after = {(h, t) for moment, h, _m, t in sites.arrivals if moment > killed_at}
    assert in_flight <= after
    dead = next(s for s in states if s.worker == victim_id)
    assert not dead.alive and dead.state == "running"  # it never said goodbye
    assert max(_max_per_second(sites.arrivals).values()) <= RATE


# -- several processes on one PostgreSQL database --------------------------------------


def test_processes_migrating_one_new_postgres_database_at_once(services):
    url = new_database(services[1], "migrate_race")
    results = _open_together(url, 3)
    assert all(code == 0 for code, _ in results), [err[-800:] for _, err in results]


def test_portal_id_is_one_row_whoever_asks_first(services):
    from nianbao.store import Store
    from sqlalchemy import create_engine, text

    url = new_database(services[1], "portal_upsert")
    Store(url, upgrade=True).close()

    def ask(n: int) -> int:
        with Store(url) as store:
            return store.portal_id("新门户", [f"http://127.0.0.1/{n}"], ["127.0.0.1"])

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(ask, range(16)))
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id FROM portal")).all()
    engine.dispose()
    assert len(ids) == 1 and [r[0] for r in rows] == list(ids)
