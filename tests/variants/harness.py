"""Serve generated portal variants on loopback and crawl them all in one `nianbao crawl`.

One config with many portals (one crawl process, one browser) keeps the cost of many variants
near that of one; the servers run in this process, the crawl in another (Scrapy's reactor
runs once per process).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.demo.seeds import load_seeds
from nianbao.demo.server import SiteServer

from .generator import Spec, VariantPortal


@dataclass
class Served:
    spec: Spec
    portal: VariantPortal
    server: SiteServer

    @property
    def name(self) -> str:
        return f"v{self.spec.seed}-{self.spec.mechanism}"

    @property
    def base(self) -> str:
        return f"http://{self.server.host}"

    def urls(self, paths: list[str]) -> set[str]:
        return {self.base + p for p in paths}


def _make_pdfs(portals: list[VariantPortal]) -> None:
    """The PDF attachments of every portal, converted from Word in one LibreOffice run."""
    import tempfile

    from nianbao.parsers.legacy import convert

    wanted = [(p, path, docx) for p in portals for path, docx in p.pdf_sources.items()]
    if not wanted:
        return
    with tempfile.TemporaryDirectory(prefix="variant-pdf-") as tmp:
        sources = []
        for n, (_, _, docx) in enumerate(wanted):
            source = Path(tmp) / f"r{n}.docx"
            source.write_bytes(docx)
            sources.append(source)
        for (portal, path, _), pdf in zip(wanted, convert(sources, "pdf", Path(tmp) / "pdf"),
                                          strict=True):
            portal.add(path, pdf.read_bytes(), "application/pdf")


@dataclass
class CrawlOutcome:
    result: subprocess.CompletedProcess
    exported: set[str]
    stats: dict = field(default_factory=dict)


class Variants:
    """``with Variants(specs) as v: v.crawl(data_dir)`` serves every spec on its own port."""

    def __init__(self, specs: list[Spec]) -> None:
        self.specs = specs
        self.served: list[Served] = []
        self._stack = ExitStack()

    def __enter__(self) -> Variants:
        seeds = load_seeds()
        portals = [VariantPortal(spec, seeds) for spec in self.specs]
        _make_pdfs(portals)
        for spec, portal in zip(self.specs, portals, strict=True):
            server = SiteServer(portal.site())
            server.start()
            self._stack.callback(server.close)
            self.served.append(Served(spec, portal, server))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def config(self, *, max_pages: int = 300, only: set[str] | None = None) -> str:
        lines = []
        for s in self.served:
            if only is not None and s.name not in only:
                continue
            lines += ["[[portal]]", f"name = {json.dumps(s.name)}",
                      f"start_urls = [{json.dumps(s.base + s.portal.start_path)}]",
                      f"allowed_hosts = [{json.dumps(s.server.host)}]",
                      'render = "auto"', f"max_pages = {max_pages}",
                      "requests_per_second = 200.0", ""]
        return "\n".join(lines)

    def crawl(self, data_dir: Path, *, timeout: int = 600, only: set[str] | None = None
              ) -> CrawlOutcome:
        """Crawl every served portal (or those named in ``only``) into ``data_dir``."""
        data_dir.mkdir(parents=True, exist_ok=True)
        config = data_dir / "portals.toml"
        config.write_text(self.config(only=only), encoding="utf-8")
        env = {**os.environ, "NIANBAO_PARSE_PROCESSES": "1"}
        result = subprocess.run(
            [sys.executable, "-m", "nianbao.cli", "crawl", "--config", str(config),
             "--data-dir", str(data_dir), "--no-progress"],
            capture_output=True, text=True, timeout=timeout, env=env)
        # every copy: variants draw reports from one corpus, so one agency's statistics year
        # (one report, one row) may be published by several portals, or as page and file
        out = subprocess.run([sys.executable, "-m", "nianbao.cli", "export", "--all-copies",
                              "--data-dir", str(data_dir)], capture_output=True, text=True,
                             timeout=120, env=env)
        exported = {json.loads(line)["url"] for line in out.stdout.splitlines() if line.strip()}
        return CrawlOutcome(result, exported)

    def fetched(self, data_dir: Path) -> list[tuple[str, str, str | None]]:
        """(method, URL, record type) of every archived exchange."""
        db = sqlite3.connect(data_dir / "nianbao.sqlite")
        try:
            return db.execute("SELECT method, url, record_type FROM fetch").fetchall()
        finally:
            db.close()

    def problems(self, outcome: CrawlOutcome, only: set[str] | None = None) -> list[str]:
        """What went wrong, per portal: reports missed, decoys exported."""
        found = []
        for s in self.served:
            if only is not None and s.name not in only:
                continue
            missed = s.urls(s.portal.reports) - outcome.exported
            decoys = s.urls(s.portal.decoys) & outcome.exported
            if missed or decoys:
                found.append(f"{s.spec.label()}: missed {sorted(missed)} decoys {sorted(decoys)}")
        return found
