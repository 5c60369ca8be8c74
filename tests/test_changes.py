"""Change detection against a portal that changes between crawls.

A test-local portal on 127.0.0.1 publishes demo seed reports and is switched between states;
each state is crawled for real by the scheduler's job (a child `nianbao crawl`, real WARC
files, real SQLite), and `nianbao changes` reads what was found.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3

import pytest

from nianbao.commands.schedule import config_jobs
from nianbao.demo import load_seeds, render_report_html, report_title
from scheduler.jobs import crawl_job
from store import default_url

from .conftest import run_nianbao, write_portal_config
from .pages import PageServer

SEEDS = {s.id: s for s in load_seeds()}
X, Y, Z = SEEDS["000"], SEEDS["001"], SEEDS["003"]  # revised, removed, new
# X revised in three cells (its totals stay consistent)
REVISION = {"active.licensing.decisions": 290, "applications.received.natural_person": 7,
            "applications.received.total": 8}
X2 = dataclasses.replace(X, values={**X.values, **REVISION})


def report_page(seed) -> bytes:
    title = report_title(seed)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<h1>{title}</h1>{render_report_html(seed)}</body></html>").encode()


def listing(links: list[tuple[str, str]], next_page: str | None) -> bytes:
    items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links)
    more = f'<a href="{next_page}">下一页</a>' if next_page else ""
    return (f"<html><head><meta charset='utf-8'></head><body><ul>{items}</ul>{more}"
            f"</body></html>").encode()


def site(state: str) -> dict[str, tuple[int, bytes]]:
    """The portal in each state: page 1 lists one report and links to page 2."""
    x = X2 if state in ("B", "C", "D", "E") else X
    second = Y if state == "A" else Z
    pages = {
        "/robots.txt": (200, b"User-agent: *\nAllow: /\n"),
        "/index.html": (200, listing([("/art/x.html", report_title(x))], "/index_1.html")),
        "/index_1.html": (200, listing([(f"/art/{second.id}.html", report_title(second))],
                                       None)),
        "/art/x.html": (200, report_page(x)),
        f"/art/{second.id}.html": (200, report_page(second)),
    }
    if state == "C":  # the crawl fails midway: page 2 of the list is down
        pages["/index_1.html"] = (503, b"<h1>Service Unavailable</h1>")
    if state == "D":  # X is still listed but its page is gone
        pages["/art/x.html"] = (404, b"not found")
    return pages


class Portal(PageServer):
    def switch(self, state: str) -> None:
        self.pages = site(state)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Crawls of states A, B, B again, C (fails midway), D (X 404) and E (X back)."""
    data = tmp_path_factory.mktemp("changes")
    portal = Portal()
    config = data / "portals.toml"
    write_portal_config(config, "two-state", f"http://{portal.host}/index.html", portal.host,
                        requests_per_second=50.0)
    (job,) = config_jobs(config, data)
    runs = {}
    try:
        for step in ("A", "B", "B2", "C", "D", "E"):
            portal.switch(step[0])
            # what `schedule run` and `schedule run-now` run: `nianbao crawl` in a child
            # process, then change detection
            runs[step] = crawl_job(job.portal, list(job.argv), default_url(data.resolve()),
                                   str(data / "schedule"), trigger="run-now")
    finally:
        portal.close()
    out = run_nianbao("changes", "--data-dir", str(data), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    changes = [json.loads(line) for line in out.stdout.splitlines()]
    db = sqlite3.connect(data / "nianbao.sqlite")
    run_ids = [r for (r,) in db.execute("SELECT crawl_run_id FROM schedule_run ORDER BY id")]
    by_step = {step: [c for c in changes if c["crawl_run"] == run_id]
               for step, run_id in zip(runs, run_ids, strict=True)}
    return {"data": data, "runs": runs, "changes": by_step, "db": db, "run_ids": run_ids,
            "all": changes}


def kinds(changes: list[dict]) -> list[tuple[str, str, int]]:
    return sorted((c["kind"], c["agency"], c["year"]) for c in changes)


def test_first_crawl_finds_two_new_reports(history):
    assert history["runs"] == dict.fromkeys(("A", "B", "B2", "C", "D", "E"), "completed")
    assert kinds(history["changes"]["A"]) == sorted([("new", X.agency, 2023),
                                                     ("new", Y.agency, 2019)])


def test_switching_the_portal_gives_exactly_the_three_changes(history):
    changes = history["changes"]["B"]
    assert kinds(changes) == sorted([("revised", X.agency, 2023), ("new", Z.agency, 2023),
                                     ("removed", Y.agency, 2019)])
    revised = next(c for c in changes if c["kind"] == "revised")
    assert revised["diff"] == {"active.licensing.decisions": [282, 290],
                               "applications.received.natural_person": [5, 7],
                               "applications.received.total": [6, 8]}
    assert revised["text_only"] is False
    removed = next(c for c in changes if c["kind"] == "removed")
    assert removed["url"].endswith("/art/001.html") and "diff" not in removed
    assert "no longer listed" in removed["reason"]
    # the new version is kept next to the old one, each with its WARC record
    (old,) = [c for c in history["changes"]["A"] if c["agency"] == X.agency]
    assert revised["source"]["warc_record_id"] != old["source"]["warc_record_id"]
    db = history["db"]
    values = db.execute(
        "SELECT v.value FROM report_value v JOIN report r ON r.id = v.report_id "
        "WHERE r.agency = ? AND v.key = 'active.licensing.decisions' ORDER BY r.id",
        (X.agency,)).fetchall()
    assert [v for (v,) in values][:2] == [282, 290]


def test_a_second_crawl_of_an_unchanged_portal_records_no_change(history):
    assert history["changes"]["B2"] == []


def test_a_crawl_that_fails_midway_removes_nothing(history):
    db = history["db"]
    run_id = history["run_ids"][3]
    status, errors = db.execute("SELECT status, errors FROM crawl_run_portal "
                                "WHERE crawl_run_id = ?", (run_id,)).fetchone()
    assert (status, errors) == ("completed", 1)  # Z's list page was down: Z was not seen
    assert history["changes"]["C"] == []


def test_a_404_removes_and_a_return_reappears(history):
    (removed,) = history["changes"]["D"]
    assert (removed["kind"], removed["agency"]) == ("removed", X.agency)
    assert removed["reason"] == "HTTP 404"
    (back,) = history["changes"]["E"]
    assert (back["kind"], back["agency"], back["year"]) == ("reappeared", X.agency, 2023)
    assert "diff" not in back  # the same values as the version last seen


def test_changes_text_and_filters(history):
    data = history["data"]
    out = run_nianbao("changes", "--data-dir", str(data), "--kind", "revised")
    assert out.returncode == 0, out.stderr
    assert "revised" in out.stdout and "3 values" in out.stdout
    assert "active.licensing.decisions: 282 → 290" in out.stdout
    assert "new " not in out.stdout
    out = run_nianbao("schedule", "history", "--data-dir", str(data), "--format", "jsonl")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["changes"] for r in reversed(rows)] == [2, 3, 0, 0, 1, 1]
    assert all(r["finished_at"] and r["status"] == "completed" for r in rows)


def test_a_report_on_two_portals_is_followed_on_each_without_flip_flopping(tmp_path):
    """The same report on two portals (each its own page): new on each the first time, and
    an unchanged second crawl logs nothing, rather than a text-only revision each way."""
    pages = {"/robots.txt": (200, b"User-agent: *\nAllow: /\n"),
             "/index.html": (200, listing([("/art/x.html", report_title(X))], None))}
    with PageServer({**pages, "/art/x.html": (200, report_page(X))}) as one, \
            PageServer({**pages, "/art/x.html": (200, report_page(X) + b"<!-- copy -->")}) as two:
        config = tmp_path / "portals.toml"
        text = ""
        for name, server in (("district", one), ("agency", two)):
            write_portal_config(config, name, f"http://{server.host}/index.html", server.host)
            text += config.read_text(encoding="utf-8")
        config.write_text(text, encoding="utf-8")
        runs = []
        for _ in range(2):
            crawled = run_nianbao("crawl", "--config", str(config), "--data-dir",
                                  str(tmp_path), "--no-progress")
            assert crawled.returncode == 0, crawled.stderr
            out = run_nianbao("changes", "--data-dir", str(tmp_path), "--format", "jsonl")
            runs.append([json.loads(line) for line in out.stdout.splitlines()])
    first, second = runs
    assert sorted((c["kind"], c["url"].split("/")[2]) for c in first) == sorted(
        [("new", one.host), ("new", two.host)])
    assert second == first  # the second crawl added nothing to the log
