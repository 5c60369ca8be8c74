"""`nianbao serve`: Datasette over the demo database, driven by real headless Chromium: the
journalist's front page (search, reports, regions, agencies, questions), codebook labels,
SQL hidden, charts that agree with the canned queries, the real port, a busy port."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict

import pytest

from .conftest import ROOT, run_nianbao
from .test_query import copy_db, expected_reports

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def start_serve(data_dir, *extra: str) -> tuple[subprocess.Popen, str]:
    """`nianbao serve --port 0`; the base URL is the one it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nianbao.cli", "serve", "--data-dir", str(data_dir), "--port",
         "0", *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("serving "):
            base = line.rsplit(" on ", 1)[1].strip().rstrip("/")
            break
    else:
        process.kill()
        pytest.fail(f"nianbao serve did not say where it serves: {''.join(seen)}")
    assert not base.endswith(":0")
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                return process, base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"nianbao serve did not start: {process.stdout.read()}")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def server(demo_crawl, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("serve-data")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", data_dir)
    # the archive too: the search index reads each report's text from it
    shutil.copytree(demo_crawl.data_dir / "warc", data_dir / "warc")
    process, base = start_serve(data_dir)
    yield base, data_dir
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


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


def shoot(page, data_dir, tmp_path, name: str) -> None:
    """A full-page screenshot that is an image of something, kept beside the database for
    a person to look at after the run."""
    from matplotlib import image

    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    shutil.copy(shot, data_dir / shot.name)
    pixels = image.imread(shot)
    height, width = pixels.shape[:2]
    # as wide as the window (the SQL once made a page 5,468 px wide), and not blank: text
    # and table lines cover a real share of it, in more than two colours
    assert width == page.viewport_size["width"], width
    rgb = pixels[..., :3].reshape(-1, 3)
    background = rgb[0]
    drawn = (abs(rgb - background).sum(axis=1) > 0.1).mean()
    assert drawn > 0.03, name
    assert len({tuple(p) for p in (rgb[::13] * 255).astype(int)}) > 20, name


def test_front_page_leads_to_the_questions_and_hides_the_sql(server, browser, tmp_path):
    base, data_dir = server
    want: dict = defaultdict(int)
    want_tianjin: dict = defaultdict(int)
    for e in expected_reports():
        want[str(e["year"])] += e["values"]["applications.received.total"]
        if e["province"].startswith("天津"):
            want_tianjin[str(e["year"])] += e["values"]["applications.received.total"]

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(base)
    text = page.locator("body").inner_text()
    # what a journalist looks for comes first; the internal tables are not listed
    for word in ("搜索 / search", "报告 / reports", "地区 / regions", "机关 / agencies"):
        assert word in text
    assert text.index("报告 / reports") < text.index("每年新收申请")
    for internal in ("report_value", "crawl_run", "fetch", "alembic_version"):
        assert internal not in text
    page.get_by_role("link", name="每年新收申请 / applications received per year").click()
    page.wait_for_selector("table.rows-and-columns")
    rows = rendered_table(page)
    assert {r["year"]: int(r["received"]) for r in rows} == dict(want)
    # the SQL is behind a toggle, and the page is as wide as the window
    assert page.locator("textarea").count() == 0
    assert "SELECT" not in page.locator("body").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1200
    assert page.get_by_role("link", name="show").count() == 1

    page.fill("input[name=region]", "天津")
    page.locator("form.sql input[type=submit]").click()
    page.wait_for_url("**region=*")
    page.wait_for_selector("table.rows-and-columns")
    rows = rendered_table(page)
    assert {r["year"]: int(r["received"]) for r in rows} == dict(want_tianjin)
    shoot(page, data_dir, tmp_path, "applications_per_year")


def test_full_text_search_finds_a_report_by_a_word_of_its_text(server, browser, tmp_path):
    base, data_dir = server
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(base)
    page.get_by_role("link", name="搜索 / search").click()
    page.fill("input[name=q]", "东丽")
    page.locator("form.sql input[type=submit]").click()
    page.wait_for_selector("table.rows-and-columns")
    rows = rendered_table(page)
    assert {r["agency"] for r in rows} == {"天津市东丽区人力资源和社会保障局"}
    assert "【东丽】" in rows[0]["context"]
    shoot(page, data_dir, tmp_path, "search")
    # a word only the report's text has (a table row), two words both required
    found = get_json(f"{base}/browse/search.json?_shape=array&q="
                     + urllib.request.quote("行政执法案卷"))
    assert len(found) >= 2  # every report prints this row of section 三
    both = get_json(f"{base}/browse/search.json?_shape=array&q="
                    + urllib.request.quote("西青 2019"))
    assert [r["agency"] for r in both] == ["天津市西青区人力资源和社会保障局"]


def test_reports_have_codebook_labels_and_facets(server, browser, tmp_path):
    base, data_dir = server
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{base}/browse/reports")
    descriptions = page.locator("dl.column-descriptions").inner_text()
    assert "一、本年新收政府信息公开申请数量｜总计 / Applications: received this year, total" \
        in descriptions
    assert "行政复议｜总计 / Appeals: administrative review, total" in descriptions
    header = page.locator("th[data-column='applications.received.total']")
    assert "本年新收" in header.get_attribute("data-column-description")
    facets = "\n".join(page.locator(".facet-info").all_inner_texts())
    for name in ("province", "year", "format", "agency_type"):
        assert name in facets
    assert "天津市" in facets and "人社局" in facets
    shoot(page, data_dir, tmp_path, "reports")
    page.goto(f"{base}/browse/report_cells")  # every cell, each column labelled
    descriptions = page.locator("dl.column-descriptions").inner_text()
    assert "行政复议｜结果纠正 / Appeals: administrative review, corrected" in descriptions
    cells = get_json(f"{base}/browse/report_cells.json?_shape=array&_size=max")
    assert len(cells[0]) == 4 + len(json.loads(
        (ROOT / "parsers/data/report-schema.json").read_text("utf-8"))["keys"])
    regions = get_json(f"{base}/browse/regions.json?_shape=array")
    assert {r["district"] for r in regions} >= {"东丽区", "西青区"}
    agencies = get_json(f"{base}/browse/agencies.json?_shape=array")
    assert "天津市东丽区人力资源和社会保障局" in {a["agency"] for a in agencies}


def test_front_page_charts_load(server, browser):
    base, _ = server
    page = browser.new_page()
    page.goto(base)
    for name in ("received", "outcomes", "corrections"):
        image = page.locator(f"img[src='/charts/{name}.png']")
        assert image.count() == 1
        width = page.evaluate(f"document.querySelector(\"img[src='/charts/{name}.png']\")"
                              ".naturalWidth")
        assert width > 100  # the PNG loaded and decoded


def test_charts_and_canned_queries_share_one_definition_of_each_rate(server):
    from nianbao.store import Store, questions, rates

    base, data_dir = server
    shares = {r["year"]: r for r in get_json(
        f"{base}/browse/outcome_shares.json?_shape=array&region=&agency=")}
    corrections = {r["year"]: r for r in get_json(
        f"{base}/browse/correction_rates.json?_shape=array&region=&agency=")}
    with Store(f"sqlite:///{data_dir / 'nianbao.sqlite'}") as store, \
            store.engine.connect() as connection:
        drawn = rates.yearly(connection, questions.Query(keys=[]))
    assert {r.year for r in drawn} == set(shares) == set(corrections)
    for row in drawn:
        for outcome, _ in rates.OUTCOMES:
            assert row.shares[outcome] == shares[row.year][f"{outcome}_share"]
        for group, _ in rates.APPEAL_GROUPS:
            assert row.rates[group] == corrections[row.year][f"{group}_rate"]
    # The 2021 demo report prints 三(七)总计 0: no share in the table, none in the chart
    # (the chart once said 67% granted, from the outcome rows' own sum).
    assert shares[2021]["granted_share"] is None
    assert all(v is None for v in next(r for r in drawn if r.year == 2021).shares.values())


def test_a_busy_port_is_a_one_line_error(server):
    base, data_dir = server
    port = base.rsplit(":", 1)[1]
    out = run_nianbao("serve", "--data-dir", str(data_dir), "--port", port, "--no-charts")
    assert out.returncode == 2
    assert out.stderr.strip() == (f"nianbao: error: port {port} on 127.0.0.1 is in use; "
                                  "choose another with --port (0: any free port)")
    assert "serving" not in out.stdout


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
