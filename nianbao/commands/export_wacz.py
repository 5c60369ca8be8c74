"""`nianbao export-wacz [--out FILE]`: the archive as one WACZ file (the `wacz` package)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nianbao.archive import ArchiveIndex

from .common import add_data_options


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("export-wacz", help="package the WARC archive as a WACZ file")
    add_data_options(parser)
    parser.add_argument("--out", type=Path, default=Path("nianbao.wacz"),
                        help="WACZ file to write (default %(default)s)")
    parser.add_argument("--title", default="nianbao archive")
    parser.set_defaults(func=run)


def pages(index: ArchiveIndex, warc_dir: Path | None = None) -> Iterator[dict]:
    """One page per archived HTML document: its first capture that replays (200), with the
    page's title and readable text (nianbao.page_text) when `warc_dir` is given, so that
    ReplayWeb.page's search finds a report by its words, not only by its URL."""
    for url in index.urls():
        for entry in index.captures(url):
            if entry.record_type == "response" and entry.status == "200" and (
                    entry.mime or "").startswith(("text/html", "application/xhtml")):
                ts = entry.timestamp
                page = {"id": f"{entry.filename}@{entry.offset}", "url": url,
                        "ts": f"{ts[:4]}-{ts[4:6]}-{ts[6:8]}T{ts[8:10]}:{ts[10:12]}:"
                              f"{ts[12:14]}Z"}
                if warc_dir is not None:
                    page.update(_title_and_text(warc_dir, entry, index))
                yield page
                break


def _title_and_text(warc_dir: Path, entry, index: ArchiveIndex) -> dict:
    from nianbao.archive import load_payload

    from ..page_text import page_text

    try:
        stored = load_payload(warc_dir, entry.filename, entry.offset, index)
    except (OSError, LookupError, ValueError):
        return {}
    found = page_text(stored.decoded, entry.mime, entry.url)
    out = {}
    if found.title:
        out["title"] = found.title
    if found.text:
        out["text"] = found.text
    return out


def run(args: argparse.Namespace) -> int:
    from wacz.main import main as wacz_main

    from nianbao.archive import ArchiveIndex
    from nianbao.archive.reader import warc_files

    warc_dir = Path(args.data_dir) / "warc"
    files = [p for p in warc_files(warc_dir, include_open=False)]
    left_open = [p.name for p in warc_files(warc_dir) if p.name.endswith(".open")]
    if not files:
        print(f"nianbao: no closed WARC files in {warc_dir}", file=sys.stderr)
        return 1
    if left_open:
        print(f"nianbao: leaving out {len(left_open)} file(s) a crawl did not close: "
              f"{', '.join(left_open)}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        pages_file = Path(tmp) / "pages.jsonl"
        with open(pages_file, "w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages",
                                 "title": "All Pages"}) + "\n")
            for page in pages(ArchiveIndex.load(warc_dir), warc_dir):
                fh.write(json.dumps(page, ensure_ascii=False) + "\n")
        argv = ["create", "-o", str(args.out), "--pages", str(pages_file), "--title",
                args.title, *map(str, files)]
        # the wacz tool talks on stdout; keep ours for nothing but the result
        with contextlib.redirect_stdout(sys.stderr):
            status = wacz_main(argv)
    if status:
        print(f"nianbao: wacz create failed ({status})", file=sys.stderr)
        return 1
    print(args.out)
    return 0
