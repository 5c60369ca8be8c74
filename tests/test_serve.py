"""`nianbao serve`: Datasette over the demo database, driven by real headless Chromium."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict

import pytest

from .conftest import run_nianbao
from .test_query import copy_db, expected_reports

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_crawl, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("serve-data")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", data_dir)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "nianbao.cli", "serve", "--data-dir", str(data_dir), "--port",
         str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nianbao serve did not start: {process.stdout.read()}")
            time.sleep(0.2)
    yield base, data_dir
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def rendered_table(page) -> list[dict]:
    headers = [h.strip() for h in page.locator("table.rows-and-columns thead th").all_inner_texts()]
    rows = []
    for tr in page.locator("table.rows-and-columns tbody tr").all():
        cells = [c.strip() for c in tr.locator("td").all_inner_texts()]
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def test_canned_query_in_chromium(server, browser, tmp_path):
    base, data_dir = server
    want: dict = defaultdict(int)
    want_tianjin: dict = defaultdict(int)
    for e in expected_reports():
        want[str(e["year"])] += e["values"]["applications.received.total"]
        if e["province"].startswith("天津"):
            want_tianjin[str(e["year"])] += e["values"]["applications.received.total"]

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{base}/nianbao")
    page.get_by_role("link", name="每年新收申请 / applications received per year").click()
    page.wait_for_selector("table.rows-and-columns")
    rows = rendered_table(page)
    assert {r["year"]: int(r["received"]) for r in rows} == dict(want)

    page.fill("input[name=region]", "天津")
    page.locator("form.sql input[type=submit]").click()
    page.wait_for_url("**region=*")
    page.wait_for_selector("table.rows-and-columns")
    rows = rendered_table(page)
    assert {r["year"]: int(r["received"]) for r in rows} == dict(want_tianjin)
    shot = tmp_path / "applications_per_year.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # Keep a copy next to the database, for a person to look at after the run.
    shutil.copy(shot, data_dir / shot.name)


def test_facets_and_front_page_chart(server, browser):
    base, _ = server
    page = browser.new_page()
    page.goto(f"{base}/nianbao/report_rates")
    facets = page.locator(".facet-info").all_inner_texts()
    text = "\n".join(facets)
    for name in ("province", "year", "format", "agency_type"):
        assert name in text
    assert "天津市" in text and "人社局" in text
    page.goto(base)
    image = page.locator("img[src='/charts/received.png']")
    assert image.count() == 1
    width = page.evaluate("document.querySelector(\"img[src='/charts/received.png']\")"
                          ".naturalWidth")
    assert width > 100  # the PNG loaded and decoded


def test_arbitrary_write_sql_is_refused(server):
    base, data_dir = server
    before = (data_dir / "nianbao.sqlite").read_bytes()
    url = f"{base}/nianbao.json?sql=" + urllib.request.quote("DELETE FROM report")
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as error:
        body = error.read().decode()
    assert "SELECT" in body  # Datasette: "Statement must be a SELECT"
    assert (data_dir / "nianbao.sqlite").read_bytes() == before


def test_serve_against_postgresql_points_to_the_cli(tmp_path):
    out = run_nianbao("serve", "--data-dir", str(tmp_path),
                      "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert out.returncode == 2
    assert "nianbao query" in out.stderr and "nianbao sql" in out.stderr
