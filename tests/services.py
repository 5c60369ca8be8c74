"""Throwaway servers the tests start themselves: Redis and a PostgreSQL cluster, each on a
free loopback port, from Debian's packages (tools/system-deps.sh)."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(check, process: subprocess.Popen, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            check()
            return
        except Exception:  # noqa: BLE001 - not up yet
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{what} did not start")
            time.sleep(0.1)


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server (no persistence) on a free port; yields redis://127.0.0.1:PORT."""
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server not installed (tools/system-deps.sh)")
    redis = pytest.importorskip("redis")
    workdir = tempfile.mkdtemp(prefix="nianbao-redis-")
    port = free_port()
    process = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", workdir],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    _wait(lambda: redis.Redis.from_url(url).ping(), process, "redis-server")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def _as_cluster_owner(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs the suite as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresCluster:
    """A throwaway cluster (trust auth, no fsync) on a free loopback port, at ``url`` (its
    ``postgres`` database). A test may stop it (fast shutdown: clients are cut off, as in
    a restart) and start it again on the same port."""

    def __init__(self) -> None:
        if not PG_BIN:
            pytest.skip("PostgreSQL server binaries not installed (tools/system-deps.sh)")
        pytest.importorskip("psycopg")
        self.bindir = os.path.dirname(PG_BIN[-1])
        self.workdir = tempfile.mkdtemp(prefix="nianbao-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self.port = free_port()
        self.data = os.path.join(self.workdir, "data")
        subprocess.run(_as_cluster_owner([f"{self.bindir}/initdb", "-D", self.data, "-A",
                                          "trust", "-U", "nianbao", "--no-sync"]),
                       check=True, capture_output=True)
        self.url = f"postgresql+psycopg://nianbao@127.0.0.1:{self.port}/postgres"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        from sqlalchemy import create_engine

        self.process = subprocess.Popen(_as_cluster_owner([
            f"{self.bindir}/postgres", "-D", self.data, "-h", "127.0.0.1", "-p",
            str(self.port), "-k", self.workdir, "-c", "fsync=off"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def connect() -> None:
            engine = create_engine(self.url)
            try:
                with engine.connect():
                    pass
            finally:
                engine.dispose()

        _wait(connect, self.process, "PostgreSQL")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT to the postmaster itself (not to runuser): the fast shutdown
            with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
                os.kill(int(pid_file.read().split()[0]), signal.SIGINT)
            self.process.wait(timeout=30)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgresCluster for the block; yields the SQLAlchemy URL of its ``postgres``
    database."""
    cluster = PostgresCluster()
    try:
        yield cluster.url
    finally:
        cluster.close()


def new_database(server_url: str, name: str) -> str:
    """A fresh database on the server; returns its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"
