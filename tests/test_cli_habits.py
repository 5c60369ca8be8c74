"""What researchers expect of the command line (issue 18): the codebook and `nianbao keys`,
exports with the codebook beside them, Excel's BOM, typed Parquet, strict `replay --at`,
a quiet closed pipe, a fast start, Scrapy's logging options. All through the real command
line, on the demo crawl's database and archive."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, run_nianbao
from .test_query import copy_db


@pytest.fixture(scope="module")
def data_dir(demo_crawl, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("habits-data")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", directory)
    return directory


def schema_keys() -> list[dict]:
    return json.loads((ROOT / "parsers/data/report-schema.json").read_text("utf-8"))["keys"]


# --- the codebook -----------------------------------------------------------------------

def test_keys_lists_every_canonical_key_with_its_printed_labels():
    out = run_nianbao("keys", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["key"] for r in rows] == [k["key"] for k in schema_keys()]
    by_key = {r["key"]: r for r in rows}
    # the labels as the official template prints them, row then column
    assert by_key["applications.received.total"]["label_zh"] == \
        "一、本年新收政府信息公开申请数量｜总计"
    assert by_key["applications.withheld.state_secret.commercial"]["label_zh"] == \
        "（三）不予公开 1.属于国家秘密｜法人或其他组织 商业企业"
    assert by_key["appeals.review.corrected"]["label_zh"] == "行政复议｜结果纠正"
    assert by_key["active.fees.amount"]["unit"] == "万元"
    assert by_key["appeals.review.corrected"]["section"] == "四、政府信息公开行政复议、行政诉讼情况"
    assert by_key["active.rules.issued"]["formats"] == "2021"
    for row in rows:  # every key has both labels and a section
        assert row["label_zh"] and row["label_en"] and row["section"], row["key"]
    assert len({r["label_en"] for r in rows}) == len(rows)  # no two keys read the same


def test_keys_filters_by_pattern_or_label_words():
    out = run_nianbao("keys", "appeals.review.*", "--format", "json")
    keys = [json.loads(line)["key"] for line in out.stdout.splitlines()]
    assert keys == [f"appeals.review.{c}" for c in
                    ("upheld", "corrected", "other", "pending", "total")]
    out = run_nianbao("keys", "国家秘密", "--format", "json")
    assert {json.loads(line)["key"] for line in out.stdout.splitlines()} == {
        f"applications.withheld.state_secret.{c}" for c in
        ("natural_person", "commercial", "research", "social_welfare", "legal_service",
         "other_org", "total")}


def test_a_mistyped_key_suggests_the_nearest_keys(data_dir):
    out = run_nianbao("query", "--data-dir", str(data_dir), "--key",
                      "applications.recieved.total")
    assert out.returncode == 2
    message = out.stderr.strip()
    assert "\n" not in message
    assert "did you mean applications.received.total" in message
    assert ".json" not in message and "parsers/" not in message
    out = run_nianbao("keys", "applications.recieved.totl")
    assert out.returncode == 2 and "applications.received.total" in out.stderr


# --- exports ------------------------------------------------------------------------------

def test_csv_for_excel_has_a_bom_and_the_codebook_beside_it(data_dir, tmp_path):
    from nianbao.cli import main

    out_file = tmp_path / "reports.csv"
    assert main(["export", "--data-dir", str(data_dir), "--format", "csv", "--excel",
                 "--out", str(out_file)]) == 0
    raw = out_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfagency,")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert any(r["agency"] == "天津市东丽区人力资源和社会保障局" for r in rows)
    book = tmp_path / "codebook.csv"
    assert book.read_bytes().startswith(b"\xef\xbb\xbfkey,label_zh")
    entries = list(csv.DictReader(io.StringIO(book.read_text("utf-8-sig"))))
    assert [e["key"] for e in entries] == [k["key"] for k in schema_keys()]
    # without --excel no BOM; on standard output too
    assert main(["export", "--data-dir", str(data_dir), "--format", "csv", "--out",
                 str(out_file)]) == 0
    assert out_file.read_bytes().startswith(b"agency,")
    bom = subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--data-dir",
                          str(data_dir), "--format", "csv", "--excel"], capture_output=True)
    assert bom.stdout.startswith(b"\xef\xbb\xbfagency,")


def test_jsonl_codebook_header_is_asked_for(data_dir, tmp_path):
    from nianbao.cli import main

    out_file = tmp_path / "reports.jsonl"
    assert main(["export", "--data-dir", str(data_dir), "--codebook-header", "--out",
                 str(out_file)]) == 0
    lines = out_file.read_text("utf-8").splitlines()
    header = json.loads(lines[0])["codebook"]
    assert len(header["keys"]) == len(schema_keys())
    assert header["keys"][0]["label_zh"]
    assert all("values" in json.loads(line) for line in lines[1:])
    assert (tmp_path / "codebook.csv").exists()
    # the interface's default stays: every line a report
    assert main(["export", "--data-dir", str(data_dir), "--out", str(out_file)]) == 0
    assert all("values" in json.loads(line) for line in out_file.read_text("utf-8")
               .splitlines())


def test_parquet_is_typed_and_written_in_batches(data_dir, tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    out_file = tmp_path / "reports.parquet"
    out = run_nianbao("export", "--data-dir", str(data_dir), "--format", "parquet", "--out",
                      str(out_file))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "codebook.csv").exists()
    table = pq.read_table(out_file)
    schema = table.schema
    assert schema.field("applications.received.total").type == pa.int64()  # counts
    assert schema.field("appeals.review.corrected").type == pa.int64()
    assert schema.field("active.fees.amount").type == pa.float64()  # 万元
    assert schema.field("published").type == pa.date32()
    assert schema.field("year").type == pa.int64()
    rows = table.to_pylist()
    dongli = next(r for r in rows if r["agency"] == "天津市东丽区人力资源和社会保障局")
    assert dongli["applications.received.total"] == 6
    assert any(r["active.rules.issued"] is None for r in rows)  # blank stays null, not 0

    # streaming: rows go out in row groups as they come, never all at once
    from nianbao.typed_export import write_parquet

    many = tmp_path / "many.parquet"
    columns = ["year", "applications.received.total", "published"]
    count = write_parquet(many, columns, ((2020, i, "2021-01-05") for i in range(50)),
                          batch_rows=8)
    assert count == 50
    assert pq.ParquetFile(many).metadata.num_row_groups == 7


# --- replay, pipes, start-up ---------------------------------------------------------------

def test_replay_at_is_strict(demo_crawl, capsys):
    from nianbao.cli import main

    url = demo_crawl.reports[0].page_url
    for bad in ("garbage", "2024-13-01", "20241301", "yesterday", "2024-01-20 8am"):
        assert main(["replay", "--data-dir", str(demo_crawl.data_dir), url, "--at", bad]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.count("\n") == 1 and "--at" in captured.err and bad in captured.err


def test_replay_at_takes_iso_and_warc_digits(demo_crawl, capsysbinary):
    from nianbao.commands.replay import capture_time

    assert capture_time("2024-01-20") == "20240120235959"  # any capture that day
    assert capture_time("2024-01-20T08:00:00Z") == "20240120080000"
    assert capture_time("2024-01-20T16:00:00+08:00") == "20240120080000"  # to UTC
    assert capture_time("2024-01-20T16:00+08:00") == "20240120080059"
    assert capture_time("20240120080000") == "20240120080000"
    assert capture_time("2024") == "20241231235959"
    from nianbao.cli import main

    url = demo_crawl.reports[0].page_url
    argv = ["replay", "--data-dir", str(demo_crawl.data_dir), url, "--at"]
    assert main([*argv, "2999-01-01T00:00:00+08:00"]) == 0
    out, _err = capsysbinary.readouterr()
    assert b"<html" in out.lower()
    assert main([*argv, "2001"]) == 1
    assert b"not in the archive at or before 2001" in capsysbinary.readouterr()[1]


@pytest.mark.parametrize("command", [["export"], ["changes"]])
def test_a_closed_pipe_ends_quietly(data_dir, command):
    argv = [sys.executable, "-m", "nianbao.cli", *command, "--data-dir", str(data_dir)]
    # a reader that takes one line and goes away, as `| head -1` does
    script = ("set -o pipefail; " + " ".join(f"'{a}'" for a in argv) + " | head -1 >/dev/null;"
              " echo status=$?")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    assert out.stdout.strip() == "status=0"
    assert "Error" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_help_and_version_load_no_command():
    code = ("import sys, contextlib, io\n"
            "from nianbao.cli import main\n"
            "for argv in (['--help'], ['--version']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "        try: main(argv)\n"
            "        except SystemExit as e: assert e.code == 0\n"
            "    assert out.getvalue()\n"
            "heavy = [m for m in ('sqlalchemy', 'alembic', 'scrapy', 'twisted', 'matplotlib', "
            "'datasette', 'rich', 'lxml', 'nianbao.parsers', 'nianbao.store') "
            "if m in sys.modules]\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    version = run_nianbao("--version")
    assert version.returncode == 0 and version.stdout.startswith("nianbao ")


def test_every_command_registers_the_help_line_the_lazy_table_shows():
    import argparse

    from nianbao.cli import build_parser
    from nianbao.commands import COMMANDS

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, (_module, help_line) in COMMANDS.items():
        assert helps[name] == help_line, name


def test_an_unexpected_error_is_one_line_without_debug(data_dir, tmp_path, capsys):
    from nianbao.cli import main

    missing = tmp_path / "no-such-dir" / "out.csv"
    argv = ["export", "--data-dir", str(data_dir), "--format", "csv", "--out", str(missing)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "FileNotFoundError" in err and "no-such-dir" in err
    with pytest.raises(FileNotFoundError):
        main(["--debug", *argv])  # the traceback, for a developer


def test_bad_setting_override_is_a_usage_error(tmp_path):
    out = run_nianbao("-s", "NOVALUE", "keys")
    assert out.returncode == 2 and out.stderr.strip() == \
        "nianbao: error: -s takes NAME=VALUE, not 'NOVALUE'"


# --- Scrapy's habits ------------------------------------------------------------------------

def test_logfile_loglevel_and_settings_reach_the_crawl(tmp_path):
    log = tmp_path / "crawl.log"
    out = run_nianbao("demo", "--port", "0", "--data-dir", str(tmp_path / "data"),
                      "--no-progress", "--logfile", str(log), "-L", "INFO",
                      "-s", "NIANBAO_STATS_INTERVAL=0.3", "-s", "DOWNLOAD_TIMEOUT=17")
    assert out.returncode == 0, out.stderr
    text = log.read_text(encoding="utf-8")
    stats = [line for line in text.splitlines() if "[nianbao.stats]" in line]
    assert len(stats) >= 2  # periodic, and the last one at the end
    assert "pages/min" in stats[-1] and " reports, " in stats[-1] and "errors" in stats[-1]
    assert "'DOWNLOAD_TIMEOUT': '17'" in text  # Scrapy's "Overridden settings"
    # the summary, one line per portal, still goes to standard output
    assert "demo-tianjin" in out.stdout and "reports parsed" in out.stdout
    assert "[nianbao.stats]" not in out.stderr  # the log went to the file
