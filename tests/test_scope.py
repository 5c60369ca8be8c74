"""Scope (issue 16, guarantee 1): nothing outside a portal's allowed hosts is fetched, from
any path a request can take, and a name cannot lead the crawler to an internal address.

Hostile servers run on 127.0.0.2 and 127.0.0.3 (other hosts) and on another port of
127.0.0.1; the portal redirects, refreshes and scripts its way towards them. Name lookups
are stubbed: no test resolves a real name or sends a packet beyond 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import ipaddress
import sqlite3
from pathlib import Path

import pytest
from nianbao.crawler import scope as scope_module
from nianbao.crawler.scope import OutOfScope, Scope, internal
from nianbao.crawler.wire import WireDownloadHandler
from scrapy import Request
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from nianbao.demo import load_seeds, render_report_html

from .conftest import run_nianbao, write_portal_config
from .hostile import HostileServer, http, page

REPORT = "天津市东丽区人力资源和社会保障局2023年政府信息公开工作年度报告"


def report_page(title: str = REPORT) -> bytes:
    seed = next(s for s in load_seeds() if s.id == "000")
    return page(f"<title>{title}</title><h1>{title}</h1>{render_report_html(seed)}")


def _redirect(status: int, location: str) -> bytes:
    return http(status, b"", headers={"Location": location})


def warc_urls(warc_dir: Path) -> list[str]:
    urls = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            urls += [r.rec_headers.get_header("WARC-Target-URI") or ""
                     for r in ArchiveIterator(fh)]
    return urls


def test_redirects_refreshes_and_browser_traffic_never_leave_allowed_hosts(tmp_path):
    evil = [HostileServer({"/": report_page(), "/r.html": report_page(),
                           "/x.js": http(200, b"1", content_type="text/javascript")},
                          address=a) for a in ("127.0.0.2", "127.0.0.3")]
    other_port = HostileServer({"/": report_page(), "/r.html": report_page()})
    two, three = evil
    links = {  # path on the portal -> where it sends the crawler
        "/r301.html": _redirect(301, two.url("/r.html")),
        "/r302.html": _redirect(302, other_port.url("/r.html")),
        "/r307.html": _redirect(307, three.url("/r.html")),
        # a hop within the portal first, then out: every hop is checked
        "/hop.html": _redirect(302, "/r301.html"),
        "/refresh.html": page(f'<meta http-equiv="refresh" content="0;url={two.url("/")}">'),
    }
    listing = "".join(f'<li><a href="{p}">{REPORT[:-4]}{i}年度报告</a></li>'
                      for i, p in enumerate([*links, "/good.html"]))
    listing += f'<li><a href="{three.url("/r.html")}">{REPORT}</a></li>'
    scripted = page(
        f'<a href="/good.html">{REPORT}</a>'
        f'<iframe src="{two.url("/")}"></iframe><img src="{three.url("/r.html")}">'
        f'<script src="{other_port.url("/x.js")}"></script>'
        f'<script>fetch("{three.url("/x.js")}"); fetch("/ok.json");</script>')
    portal = HostileServer({"/": page(f"<ul>{listing}</ul>"), "/good.html": report_page(),
                            "/scripted.html": scripted,
                            "/ok.json": http(200, b"{}", content_type="application/json"),
                            **links})
    config = tmp_path / "portals.toml"
    write_portal_config(config, "hostile", portal.url("/"), portal.host)
    with config.open("a", encoding="utf-8") as fh:  # a second portal rendered by Chromium
        fh.write(f'[[portal]]\nname = "scripted"\nstart_urls = ["{portal.url("/scripted.html")}"]\n'
                 f'allowed_hosts = ["{portal.host}"]\nrender = "always"\n'
                 f'requests_per_second = 50.0\n')
    try:
        result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(tmp_path),
                             "--no-progress")
    finally:
        for server in (*evil, other_port, portal):
            server.close()
    assert result.returncode == 0, result.stdout + result.stderr
    # not one packet reached another host or port
    assert two.paths() == [] and three.paths() == [] and other_port.paths() == []
    # the in-scope part was crawled, by Scrapy and by the browser
    asked = portal.paths()
    assert "/good.html" in asked and "/ok.json" in asked and "/r301.html" in asked
    # counted with their URLs
    out = result.stdout
    for url in (two.url("/r.html"), other_port.url("/r.html"), three.url("/r.html"),
                two.url("/"), three.url("/x.js"), other_port.url("/x.js")):
        assert url in out, url
    # never stored: not in the database, not in the archive
    db = sqlite3.connect(tmp_path / "nianbao.sqlite")
    stored = [u for (u,) in db.execute("SELECT url FROM fetch")]
    assert stored and all(u.startswith(portal.url("/")) for u in stored), stored
    archived = [u for u in warc_urls(tmp_path / "warc") if u.startswith("http")]
    assert archived and all(u.startswith(portal.url("/")) for u in archived), archived
    reports = [u for (u,) in db.execute(
        "SELECT f.url FROM report r JOIN fetch f ON f.id = r.fetch_id")]
    assert reports and set(reports) == {portal.url("/good.html")}


# -- addresses, with a stubbed resolver ----------------------------------------------------

@pytest.fixture()
def resolver(monkeypatch):
    names: dict[str, list[str]] = {}

    def stub(host: str, port: int) -> list:
        if host not in names:
            raise OSError(f"stub resolver: unknown name {host}")
        return [ipaddress.ip_address(a) for a in names[host]]

    monkeypatch.setattr(scope_module, "resolve", stub)
    return names


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                                     "169.254.169.254", "100.100.100.200", "100.64.0.1",
                                     "0.0.0.0", "::1", "fe80::1", "fd00:ec2::254",
                                     "::ffff:10.0.0.1", "::ffff:127.0.0.1"])
def test_a_name_resolving_to_an_internal_address_is_refused(resolver, address):
    resolver["portal.example"] = [address]
    scope = Scope({"p": ["portal.example"]})
    assert internal(ipaddress.ip_address(address))
    with pytest.raises(OutOfScope, match="portal.example resolves to"):
        scope.permitted("p", "portal.example", 80)
    assert scope.refusal("p", "http://portal.example/a.html") is not None
    # the same address typed as a URL is refused too, unless allowed_hosts names it
    literal = f"[{address}]" if ":" in address else address
    assert scope.refusal("p", f"http://{literal}/") is not None
    assert Scope({"p": [literal]}).refusal("p", f"http://{literal}/") is None


def test_public_addresses_pass_and_each_address_of_a_name_is_checked(resolver):
    resolver["www.gov.example"] = ["202.108.22.5"]  # checked, never connected to
    resolver["mixed.gov.example"] = ["10.0.0.5", "202.108.22.6"]
    scope = Scope({"p": ["www.gov.example", "mixed.gov.example"]})
    assert scope.permitted("p", "www.gov.example", 80) == [ipaddress.ip_address("202.108.22.5")]
    # only the public address of the two is ever connected to
    assert scope.permitted("p", "mixed.gov.example", 80) == [
        ipaddress.ip_address("202.108.22.6")]
    # the portal's hosts are its own: another portal's host is out of its scope
    assert Scope({"p": ["www.gov.example"], "q": ["other.example"]}).url_refusal(
        "p", "http://other.example/") is not None
    assert scope.url_refusal("p", "http://www.gov.example:8080/") is not None
    assert scope.url_refusal("p", "ftp://www.gov.example/") is not None
    assert scope.url_refusal("p", "http://www.gov.example:99999/") is not None


def test_existing_configs_naming_loopback_keep_working_and_localhost_does_not_sneak_in(
        resolver):
    resolver["localhost"] = ["127.0.0.1"]
    scope = Scope({"demo": ["127.0.0.1:8080"], "named": ["localhost:8080"]})
    assert scope.refusal("demo", "http://127.0.0.1:8080/list.html") is None
    assert scope.refusal("demo", "http://127.0.0.1:8081/") is not None  # another port
    assert "resolves to 127.0.0.1" in scope.refusal("named", "http://localhost:8080/")


def _fetch(handler: WireDownloadHandler, request: Request):
    async def run():
        try:
            return await handler.download_request(request)
        finally:
            await handler.close()
    return asyncio.run(run())


def test_the_download_handler_connects_only_to_the_checked_address(resolver):
    """A name in allowed_hosts that resolves to loopback: refused before any connection,
    unless allowed_hosts also names the address; then the connection goes to it."""
    server = HostileServer({"/": http(200, b"inside")})
    port = server.host.rsplit(":", 1)[1]
    resolver["portal.example"] = ["127.0.0.1"]
    try:
        refused = get_crawler(settings_dict={
            "SCOPE_ALLOWED_HOSTS": {"p": [f"portal.example:{port}"]}})
        request = Request(f"http://portal.example:{port}/", meta={"portal": "p"})
        with pytest.raises(OutOfScope, match="127.0.0.1"):
            _fetch(WireDownloadHandler(refused), request)
        assert server.paths() == []

        allowed = get_crawler(settings_dict={
            "SCOPE_ALLOWED_HOSTS": {"p": [f"portal.example:{port}", "127.0.0.1"]}})
        response = _fetch(WireDownloadHandler(allowed), request)
        assert response.body == b"inside" and server.paths() == ["/"]
        assert str(response.ip_address) == "127.0.0.1"
    finally:
        server.close()


def test_the_suite_refuses_any_connection_outside_loopback(tmp_path):
    """The guard of tests/conftest.py, in this process and in a process a test starts.
    (0.0.0.0 is outside 127.0.0.0/8 yet reaches only this machine, should the guard fail.)"""
    import os
    import socket
    import subprocess
    import sys

    log = Path(os.environ["NIANBAO_TEST_NET_LOG"])
    size = log.stat().st_size
    try:
        with socket.socket() as sock, pytest.raises(ConnectionRefusedError,
                                                    match="outside loopback"):
            sock.connect(("0.0.0.0", 9))
        child = subprocess.run(
            [sys.executable, "-c", "import socket; socket.create_connection(('0.0.0.0', 9))"],
            capture_output=True, text=True, timeout=60)
        assert child.returncode != 0 and "outside loopback" in child.stderr
        assert log.read_text(encoding="utf-8")[size:].count("outside loopback") == 2
    finally:
        with open(log, "r+", encoding="utf-8") as fh:
            fh.truncate(size)  # expected here: not a failure of this test
