"""`nianbao crawl --distributed URL`: this process as one worker of a shared crawl, and
`--workers K`: K such workers started here (see crawler.cluster, docs/distributed.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from urllib.parse import urlsplit

from .errors import ConfigError


def check_redis_url(url: str) -> str:
    """The URL if it names a Redis server (redis://HOST:PORT/DB); else ConfigError."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise ConfigError(f"--distributed wants a Redis URL such as redis://HOST:6379/0, "
                          f"not {url!r}")
    return url


def worker_settings(url: str) -> dict:
    """The Scrapy settings of a worker; ConfigError when Redis does not answer."""
    import redis

    from nianbao.crawler.cluster import cluster_settings, redis_from_url

    try:
        redis_from_url(url).ping()
    except redis.RedisError as exc:
        raise ConfigError(f"--distributed {url}: Redis does not answer ({exc})") from exc
    settings = cluster_settings(url)
    if "NIANBAO_LEASE_SECONDS" in os.environ:  # short leases for tests and small crawls
        settings["CLUSTER_LEASE_SECONDS"] = float(os.environ["NIANBAO_LEASE_SECONDS"])
    return settings


def run_local_workers(argv: list[str], workers: int) -> int:
    """Start ``workers`` crawl processes with ``argv`` (the crawl's own arguments without
    --workers) and wait for all; the exit status is the worst of theirs."""
    if workers < 1:
        raise ConfigError("--workers wants a number of processes, at least 1")
    processes = [subprocess.Popen([sys.executable, "-m", "nianbao.cli", *argv])
                 for _ in range(workers)]
    try:
        codes = [p.wait() for p in processes]
    except KeyboardInterrupt:
        for p in processes:
            p.send_signal(signal.SIGINT)
        codes = [p.wait() for p in processes]
    return max(codes, key=lambda c: (c != 0, abs(c)))
