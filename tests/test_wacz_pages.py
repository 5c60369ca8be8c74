"""`nianbao export-wacz`: ReplayWeb.page's search needs each page's title and text in
pages/pages.jsonl, and the WACZ's index must hold every record cdxj-indexer indexes."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import run_nianbao


def test_wacz_pages_carry_title_and_text_and_the_index_is_complete(demo_crawl, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(demo_crawl.data_dir / "warc", data_dir / "warc",
                    ignore=shutil.ignore_patterns("*.open"))
    out = tmp_path / "archive.wacz"
    result = run_nianbao("export-wacz", "--data-dir", str(data_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as wacz:
        lines = wacz.read("pages/pages.jsonl").decode().splitlines()
        index_names = [n for n in wacz.namelist() if n.startswith("indexes/")]
        index = b"".join(gzip.decompress(wacz.read(n)) if n.endswith(".gz") else wacz.read(n)
                         for n in index_names if n.endswith((".cdx", ".cdxj", ".cdx.gz")))
    pages = [json.loads(line) for line in lines[1:]]
    assert pages and all(p.get("title") for p in pages)  # no page titled by its URL alone
    reports = {r.page_url for r in demo_crawl.reports}
    dongli = [p for p in pages if "东丽" in p.get("title", "")]
    assert dongli and {p["url"] for p in dongli} & reports
    # the text is the page's words, tables included: what a search box looks for
    text = next(p["text"] for p in dongli if p["url"] in reports)
    assert "政府信息公开" in text and "行政复议" in text
    titled = {p["url"]: p["title"] for p in pages}
    for report in demo_crawl.reports:
        if report.page_url in titled and report.document_url == report.page_url:
            assert titled[report.page_url].startswith(report.title[:8]), report.page_url

    # every record cdxj-indexer indexes is in the WACZ's index (it is built with it)
    indexer = Path(sys.executable).parent / "cdxj-indexer"
    warcs = sorted(str(p) for p in (data_dir / "warc").glob("*.warc.gz"))
    expected = subprocess.run([str(indexer), *warcs], capture_output=True, text=True,
                              check=True).stdout.splitlines()

    def keys(lines: list[str]) -> set[tuple[str, str, str]]:
        # a record is its file and offset: the WACZ keys a POST by URL and body
        # (?__wb_method=post&…, as ReplayWeb.page looks it up), the bare indexer by URL
        out = set()
        for line in lines:
            if not line.strip() or line.startswith("!"):
                continue
            _surt, timestamp, fields = line.split(" ", 2)
            entry = json.loads(fields)
            out.add((Path(entry["filename"]).name, entry["offset"], timestamp))
        return out

    want = keys(expected)
    assert want and want <= keys(index.decode().splitlines())
