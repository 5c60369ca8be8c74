"""The one ingest path: local files through `nianbao ingest`, reparse that survives kill -9
and runs twice as once, migrations in one line that upgrade a database today's main wrote,
and commands that only read never create or migrate anything."""

from __future__ import annotations

import ast
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from nianbao.store.db import head_revision

from nianbao.cli import main

from .conftest import ROOT, run_nianbao, seed_as_word_and_pdf

FIXTURE = ROOT / "tests" / "data" / "main-d7bc62b.sqlite"  # `nianbao demo` twice + reparse
VERSIONS = ROOT / "store" / "migrations" / "versions"
TABLES = ("portal", "crawl_run", "fetch", "report", "report_value", "check_failure", "error")


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in TABLES}


# -- migrations ----------------------------------------------------------------------------


def test_migration_history_is_one_line_and_never_imports_live_code():
    from alembic.script import ScriptDirectory
    from nianbao.store.db import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        down = revision.down_revision
        assert down is None or isinstance(down, str), f"{revision.revision} merges {down}"
    for path in VERSIONS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module] if isinstance(node, ast.ImportFrom) else [
                    a.name for a in node.names]
                for name in names:  # the standard library, alembic and SQLAlchemy only
                    top = name.split(".")[0]
                    assert top in sys.stdlib_module_names or top in (
                        "alembic", "sqlalchemy"), (path.name, name)


def test_the_frozen_view_sql_is_what_store_views_writes():
    """Changing a view means a migration with the new SQL (python -m tools.freeze_views)."""
    from alembic.script import ScriptDirectory
    from nianbao.store.db import alembic_config

    from tools.freeze_views import BEGIN, frozen_block

    script = ScriptDirectory.from_config(alembic_config())
    newest = next(Path(r.path) for r in script.walk_revisions()
                  if BEGIN in Path(r.path).read_text(encoding="utf-8"))
    text = newest.read_text(encoding="utf-8")
    assert frozen_block() in text, f"{newest.name} does not hold the views as written now"


def test_a_database_written_by_main_upgrades_keeping_every_row(tmp_path):
    db = tmp_path / "nianbao.sqlite"
    shutil.copy(FIXTURE, db)
    before = counts(db)
    assert before["report"] == 24 and before["report_value"] > 4000
    # a command that only reads does not migrate: it says what to run
    out = run_nianbao("export", "--data-dir", str(tmp_path))
    assert out.returncode == 2 and "nianbao db upgrade" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert counts(db) == before
    assert main(["db", "upgrade", "--data-dir", str(tmp_path)]) == 0
    assert counts(db) == before  # every row kept
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)]
        # 0005_current fills the wide table: each report at latest_report's copy, its values
        assert connection.execute(
            "SELECT report_id, identity FROM report_current ORDER BY report_id").fetchall() \
            == connection.execute("SELECT report_id, identity FROM latest_report "
                                  "ORDER BY report_id").fetchall()
        assert connection.execute(
            'SELECT SUM(c."applications.total.total") FROM report_current c').fetchone() == \
            connection.execute("SELECT SUM(v.value) FROM report_value v JOIN latest_report l "
                               "ON l.report_id = v.report_id "
                               "WHERE v.key = 'applications.total.total'").fetchone()
        # each old row is a version, with its payload and when it was last seen
        missing = connection.execute(
            "SELECT COUNT(*) FROM report WHERE payload_digest IS NULL "
            "OR last_seen_at IS NULL OR values_digest IS NULL").fetchone()[0]
        assert missing == 0
        assert connection.execute("SELECT COUNT(*) FROM report_version").fetchone()[0] == 24
    out = run_nianbao("export", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 5  # the demo's 5 reports, once each
    assert main(["db", "upgrade", "--data-dir", str(tmp_path)]) == 0  # again: nothing to do
    assert counts(db) == before


def test_a_read_only_command_on_a_missing_database_exits_2_and_makes_nothing(tmp_path):
    data = tmp_path / "nowhere"
    for command in (["export"], ["query", "--key", "applications.total.total"],
                    ["sql", "SELECT 1"]):
        out = run_nianbao(*command, "--data-dir", str(data))
        assert out.returncode == 2, (command, out.stderr)
        assert len(out.stderr.strip().splitlines()) == 1 and "no database" in out.stderr
        assert not data.exists()


# -- nianbao ingest ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The five seeds as text, HTML, DOCX and PDF in a folder, with one broken PDF."""
    from nianbao.demo import load_seeds, render_report_docx, render_report_html, report_title

    work = tmp_path_factory.mktemp("ingest")
    folder = work / "downloads"
    (folder / "word").mkdir(parents=True)
    seeds = load_seeds()
    shutil.copy(sorted((ROOT / "nianbao" / "demo" / "seeds").glob("000_*.txt"))[0],
                folder / "report-a.txt")
    for index, name in ((1, "report-b.html"), (4, "report-e.htm")):
        seed = seeds[index]
        page = (f"<html><head><meta charset='utf-8'><title>{report_title(seed)}</title></head>"
                f"<body><h1>{report_title(seed)}</h1>{render_report_html(seed)}</body></html>")
        (folder / name).write_text(page, encoding="utf-8")
    (folder / "word" / "report-c.docx").write_bytes(render_report_docx(seeds[2]))
    _, _, pdf = seed_as_word_and_pdf(work, 3)
    (folder / "report-d.pdf").write_bytes(pdf)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> truncated")
    data = work / "data"
    out = run_nianbao("ingest", str(folder), "--data-dir", str(data), "--processes", "2")
    assert out.returncode == 0, out.stderr
    return {"data": data, "folder": folder, "seeds": seeds, "stdout": out.stdout}


def test_ingest_of_a_folder_gives_five_reports_and_one_error_row(ingested):
    data = ingested["data"]
    assert "6 files: 5 reports" in ingested["stdout"]
    with sqlite3.connect(data / "nianbao.sqlite") as db:
        errors = db.execute("SELECT url, stage, message FROM error").fetchall()
        assert len(errors) == 1 and errors[0][0].endswith("/broken.pdf")
        assert errors[0][1] == "parse" and "PDF" in errors[0][2]
    out = run_nianbao("export", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    import json

    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 5
    by_agency = {r["agency"]: r for r in rows}
    for seed in ingested["seeds"]:
        row = by_agency[seed.agency]
        assert row["year"] == seed.year
        assert {k: row["values"][k] for k in seed.expected["values"]} == seed.expected[
            "values"]
        assert row["copies"]["count"] == 1 and row["copies"]["urls"][0].startswith("file://")
        assert row["source"]["warc_file"].startswith("nianbao-ingest")


def test_ingested_files_are_warc_resource_records_that_pass_warcio_check(ingested):
    from nianbao.archive import iter_records

    files = sorted((ingested["data"] / "warc").glob("*.warc.gz"))
    assert files and not list((ingested["data"] / "warc").glob("*.open"))
    check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", "-v",
                            *map(str, files)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    records = [r for path in files for r in iter_records(path)]
    resources = [r for r in records if r.rec_type == "resource"]
    assert len(resources) == 6
    paths = {r.rec_headers.get_header("WARC-Nianbao-Path") for r in resources}
    assert any(p.endswith("word/report-c.docx") for p in paths)
    assert all(r.rec_headers.get_header("WARC-Nianbao-Mtime") for r in resources)
    body = {r.rec_headers.get_header("WARC-Nianbao-Path"): r.raw_stream.read()
            for r in resources}
    assert body[next(p for p in paths if p.endswith("broken.pdf"))].startswith(b"%PDF-1.7")
    # ingest wrote what it made of each: a metadata record (the error for the broken one)
    metadata = [r for r in records if r.rec_type == "metadata"]
    assert len(metadata) == 6
    assert sum(b'"error"' in r.raw_stream.read() for r in metadata) == 1


def test_ingesting_the_same_folder_again_adds_no_version(ingested, tmp_path):
    data = tmp_path / "again"
    shutil.copytree(ingested["data"], data)
    before = counts(data / "nianbao.sqlite")
    out = run_nianbao("ingest", str(ingested["folder"]), "--data-dir", str(data),
                      "--processes", "1")
    assert out.returncode == 0, out.stderr
    assert "5 already stored" in out.stdout
    after = counts(data / "nianbao.sqlite")
    assert {t: after[t] for t in ("report", "report_value", "error")} == {
        t: before[t] for t in ("report", "report_value", "error")}
