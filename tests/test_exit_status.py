"""Truthful exit status (issue 16, guarantees 5 and 6): every malformed config value exits
2 with one line naming the key and its line in the right portal; bad database URLs too; no
traceback without --debug; `sql` stops a runaway query; `serve` on a public address warns.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from nianbao.cli import main
from nianbao.config import load_config

from .conftest import run_nianbao

FIRST = """[[portal]]
name = "first"
start_urls = ["http://www.first.gov.cn/gk/"]
allowed_hosts = ["www.first.gov.cn"]
max_pages = 10
requests_per_second = 1.0
timeout = 5
"""
# the second portal repeats every key of the first, so a line found in the wrong portal
# (the first occurrence in the file) would be the wrong line
SECOND = """
[[portal]]
name = "second"
start_urls = ["http://www.second.gov.cn/gk/"]
allowed_hosts = ["www.second.gov.cn"]
max_pages = 10
requests_per_second = 1.0
timeout = 5
"""
SECOND_LINE = FIRST.count("\n") + 2  # the [[portal]] line of the second table


def _line(key: str) -> int:
    for number, line in enumerate(SECOND.splitlines(), SECOND_LINE - 1):
        if line.split("=")[0].strip() == key:
            return number
    return SECOND_LINE


def _config(tmp_path, text: str | bytes):
    path = tmp_path / "portals.toml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _one_line_exit_2(path, capsys) -> str:
    assert main(["crawl", "--config", str(path), "--data-dir", str(path.parent)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("nianbao: error: "), err
    return err


# (the line in the second portal, its replacement, the key named, what the message says)
MALFORMED = [
    ('start_urls = ["http://www.second.gov.cn/gk/"]', "start_urls = [1]", "start_urls",
     "wrong type"),
    ('start_urls = ["http://www.second.gov.cn/gk/"]', 'start_urls = "http://www.second.gov.cn/"',
     "start_urls", "wrong type"),
    ('start_urls = ["http://www.second.gov.cn/gk/"]', 'start_urls = ["www.second.gov.cn/gk/"]',
     "start_urls", "not an http(s) URL"),
    ('start_urls = ["http://www.second.gov.cn/gk/"]', 'start_urls = ["ftp://www.second.gov.cn/"]',
     "start_urls", "not an http(s) URL"),
    ('start_urls = ["http://www.second.gov.cn/gk/"]',
     'start_urls = ["http://www.second.gov.cn:99999/gk/"]', "start_urls", "bad port"),
    ('start_urls = ["http://www.second.gov.cn/gk/"]', "start_urls = []", "start_urls", "empty"),
    ('allowed_hosts = ["www.second.gov.cn"]', 'allowed_hosts = ["www.second.gov.cn:99999"]',
     "allowed_hosts", "bad port"),
    ('allowed_hosts = ["www.second.gov.cn"]', 'allowed_hosts = ["http://www.second.gov.cn/"]',
     "allowed_hosts", "not a host"),
    ('allowed_hosts = ["www.second.gov.cn"]', 'allowed_hosts = "www.second.gov.cn"',
     "allowed_hosts", "wrong type"),
    ('allowed_hosts = ["www.second.gov.cn"]', 'allowed_hosts = ["www.other.gov.cn"]',
     "start_urls", "not on its allowed_hosts"),
    ("max_pages = 10", "max_pages = true", "max_pages", "wrong type"),
    ("max_pages = 10", "max_pages = 1.5", "max_pages", "wrong type"),
    ("max_pages = 10", 'max_pages = "10"', "max_pages", "wrong type"),
    ("max_pages = 10", "max_pages = 0", "max_pages", "must be positive"),
    ("requests_per_second = 1.0", 'requests_per_second = "fast"', "requests_per_second",
     "wrong type"),
    ("requests_per_second = 1.0", "requests_per_second = 0", "requests_per_second",
     "must be positive"),
    ("timeout = 5", "timeout = -1", "timeout", "must be positive"),
    ("timeout = 5", 'timeout = "1m"', "timeout", "wrong type"),
    ("timeout = 5", "timeout = 5\nrender = 3", "render", "render must be"),
    ("timeout = 5", 'timeout = 5\nrender = "sometimes"', "render", "render must be"),
    ("timeout = 5", "timeout = 5\nagency = 1", "agency", "wrong type"),
    ("timeout = 5", 'timeout = 5\nobey_robots = "no"', "obey_robots", "wrong type"),
    ("timeout = 5", "timeout = 5\nmax_depth = -1", "max_depth", "must be positive"),
    ("timeout = 5", "timeout = 5\nmax_download_mb = 0", "max_download_mb", "must be positive"),
    ("timeout = 5", 'timeout = 5\nschedule = "weekly"', "schedule", "bad schedule"),
    ("timeout = 5", "timeout = 5\nschedule = 5", "schedule", "wrong type"),
    ("timeout = 5", "timeout = 5\nmax_page = 5", "max_page", "unknown key"),
    ('name = "second"', "name = 2", "name", "wrong type"),
    ('name = "second"', 'name = "first"', "name", "duplicate portal name"),
]


@pytest.mark.parametrize(("old", "new", "key", "problem"), MALFORMED,
                         ids=[m[1].replace("\n", " ") for m in MALFORMED])
def test_every_malformed_value_exits_2_naming_key_and_its_line(tmp_path, capsys, old, new,
                                                               key, problem):
    second = SECOND.replace(old, new)
    assert second != SECOND
    path = _config(tmp_path, FIRST + second)
    err = _one_line_exit_2(path, capsys)
    line = next(n for n, text in enumerate((FIRST + second).splitlines(), 1)
                if n >= SECOND_LINE and text.split("=")[0].strip() == key)
    assert f"{path}:{line}: " in err, err
    assert problem in err and "portal #2" in err, err
    if problem not in ("unknown key", "duplicate portal name", "not on its allowed_hosts"):
        assert f"'{key}'" in err or f"{key} " in err, err


def test_a_missing_key_names_the_portal_table(tmp_path, capsys):
    path = _config(tmp_path, FIRST + SECOND.replace('name = "second"\n', ""))
    err = _one_line_exit_2(path, capsys)
    assert f":{SECOND_LINE}: missing 'name' in portal #2" in err


def test_wrong_encoding_exits_2_and_a_bom_is_accepted(tmp_path, capsys):
    text = FIRST + SECOND + 'agency = "天津市东丽区人力资源和社会保障局"\n'
    path = _config(tmp_path, text.encode("gbk"))
    err = _one_line_exit_2(path, capsys)
    assert f"{path}:{text.count(chr(10))}: not UTF-8" in err
    path = _config(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    first, second = load_config(path)
    assert second.agency == "天津市东丽区人力资源和社会保障局"


def test_invalid_toml_names_its_line(tmp_path, capsys):
    path = _config(tmp_path, FIRST + SECOND.replace("max_pages = 10", "max_pages = "))
    err = _one_line_exit_2(path, capsys)
    assert f"{path}:{_line('max_pages')}: invalid TOML" in err


@pytest.mark.parametrize("url", ["nope", "foo://x/y", "postgresql+nodriver://u@h/db",
                                 "postgresql://u:secret@127.0.0.1:99999/db",
                                 "postgresql://u:secret@127.0.0.1:port/db"])
def test_bad_database_urls_exit_2_in_one_line_without_the_password(tmp_path, capsys, url):
    assert main(["sql", "--db", url, "SELECT 1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bad database URL" in err and "secret" not in err


def test_no_traceback_without_debug_and_one_with_it(tmp_path, capsys):
    from sqlalchemy.exc import OperationalError

    # a database that does not answer: a failure (1), not bad usage
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    url = f"postgresql+psycopg://nianbao@127.0.0.1:{port}/postgres"
    assert main(["sql", "--db", url, "SELECT 1"]) == 1
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "database" in err and "Traceback" not in err
    # --debug lets the exception through, so Python prints its traceback
    for argv in (["--debug", "sql", "--db", url, "SELECT 1"],
                 ["sql", "--debug", "--db", url, "SELECT 1"]):
        with pytest.raises(OperationalError):
            main(argv)


def test_sql_stops_a_runaway_query(tmp_path, capsys):
    runaway = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
               "SELECT count(*) FROM c")
    assert main(["db", "upgrade", "--data-dir", str(tmp_path)]) == 0  # sql never makes one
    started = time.monotonic()
    assert main(["sql", "--data-dir", str(tmp_path), "--timeout", "1", runaway]) == 1
    assert time.monotonic() - started < 15
    assert "ran longer than 1 s" in capsys.readouterr().err
    assert main(["sql", "--data-dir", str(tmp_path), "SELECT 1 AS one"]) == 0


def test_serve_on_a_public_address_warns_that_the_database_is_readable(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["db", "upgrade", "--data-dir", str(tmp_path)]) == 0  # serve never makes one
    process = subprocess.Popen(
        [sys.executable, "-m", "nianbao.cli", "serve", "--data-dir", str(tmp_path),
         "--host", "0.0.0.0", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "warning" in line and "0.0.0.0" in line and "readable" in line and "network" in line
    from nianbao.commands.serve import _loopback

    assert _loopback("127.0.0.1") and _loopback("::1") and _loopback("localhost")
    assert not _loopback("192.168.1.5") and not _loopback("::") and not _loopback("my.host")


def test_a_crawl_with_a_failed_portal_exits_1_naming_it(tmp_path):
    from .faults import Portal

    portal = Portal(2)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"  # nothing listens there once closed
    config = tmp_path / "portals.toml"
    config.write_text(
        f'[[portal]]\nname = "alive"\nstart_urls = ["{portal.url("/")}"]\n'
        f'allowed_hosts = ["{portal.host}"]\nrender = "never"\nrequests_per_second = 50.0\n'
        f'\n[[portal]]\nname = "gone"\nstart_urls = ["http://{dead}/"]\n'
        f'allowed_hosts = ["{dead}"]\nrender = "never"\nrequests_per_second = 50.0\n',
        encoding="utf-8")
    try:
        out = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                          "--no-progress")
    finally:
        portal.close()
    assert out.returncode == 1, out.stdout + out.stderr
    failed = [line for line in out.stderr.splitlines() if "failed:" in line]
    assert len(failed) == 1 and "portal gone failed: start URL" in failed[0], out.stderr
    assert "Connection" in failed[0] and "Traceback" not in out.stderr


def test_a_portal_whose_start_url_leads_out_of_scope_failed(tmp_path):
    from .hostile import HostileServer, http

    elsewhere = HostileServer({"/": http(200, b"<p>elsewhere</p>")}, address="127.0.0.2")
    portal = HostileServer({"/": http(302, b"", headers={"Location": elsewhere.url("/")})})
    config = tmp_path / "portals.toml"
    config.write_text(f'[[portal]]\nname = "moved"\nstart_urls = ["{portal.url("/")}"]\n'
                      f'allowed_hosts = ["{portal.host}"]\nrender = "never"\n'
                      f'requests_per_second = 50.0\n', encoding="utf-8")
    try:
        out = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                          "--no-progress")
    finally:
        portal.close()
        elsewhere.close()
    assert out.returncode == 1, out.stdout + out.stderr
    assert (f"portal moved failed: no page was fetched: it led out of scope, to "
            f"{elsewhere.url('/')}") in out.stderr
    assert elsewhere.paths() == []
