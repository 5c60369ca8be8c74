"""Shared fixtures: the seed reports (bundled with the demo) and a crawl of the demo portals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw from a fixed seed by default, so a run (CI's included) is reproducible
# and a red run is a real change, not a new draw. `pytest --hypothesis-profile=explore`
# draws fresh examples on each run: the way to hunt for new failures.
settings.register_profile("default", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "nianbao" / "demo" / "seeds"
GUARD_DIR = Path(__file__).resolve().parent / "loopback_only"


def pytest_configure(config: pytest.Config) -> None:
    """No test sends a packet beyond 127.0.0.0/8: the guard (tests/loopback_only) in this
    process and, through PYTHONPATH, in every Python process a test starts."""
    import tempfile

    fd, log = tempfile.mkstemp(prefix="nianbao-net-guard-", suffix=".log")
    os.close(fd)
    os.environ["NIANBAO_TEST_NET_LOG"] = log
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(GUARD_DIR), os.environ.get("PYTHONPATH")) if p)
    import importlib.util

    spec = importlib.util.spec_from_file_location("nianbao_net_guard",
                                                  GUARD_DIR / "sitecustomize.py")
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)  # installs itself: NIANBAO_TEST_NET_LOG is set


@pytest.fixture(autouse=True)
def _loopback_only():
    """Fail the test during which any process reached outside loopback."""
    log = Path(os.environ["NIANBAO_TEST_NET_LOG"])
    before = log.stat().st_size
    yield
    with open(log, encoding="utf-8") as fh:
        fh.seek(before)
        reached = fh.read().strip()
    if reached:
        pytest.fail(f"a test reached outside 127.0.0.0/8: {reached.splitlines()[0]}")


@dataclass(frozen=True)
class SeedCase:
    id: str
    path: Path
    expected: dict


def seed_cases() -> list[SeedCase]:
    cases = []
    for path in sorted(SEED_DIR.glob("*.txt")):
        expected = json.loads((SEED_DIR / "expected" / f"{path.stem}.json").read_text())
        cases.append(SeedCase(path.stem[:3], path, expected))
    return cases


def seed_as_word_and_pdf(directory: Path, index: int) -> tuple[object, bytes, bytes]:
    """(seed, .docx, .pdf): a seed rendered by the demo's DOCX renderer, and LibreOffice's
    PDF of that file (fonts embedded as subsets, as in the PDFs portals publish)."""
    from nianbao.parsers.legacy import convert

    from nianbao.demo import load_seeds, render_report_docx

    seed = load_seeds()[index]
    docx = directory / f"seed-{index}.docx"
    docx.write_bytes(render_report_docx(seed))
    (pdf,) = convert([docx], "pdf", directory / "pdf")
    return seed, docx.read_bytes(), pdf.read_bytes()


def run_nianbao(*args: str, cwd: Path | None = None, timeout: int = 300,
                env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, in its own process (Scrapy's reactor runs once per process)."""
    return subprocess.run([sys.executable, "-m", "nianbao.cli", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})})


def write_portal_config(path: Path, name: str, start_url: str, hosts: str | list[str], *,
                        requests_per_second: float = 50.0, **extra: object) -> Path:
    """A one-portal config file (render never, unless ``extra`` says otherwise)."""
    hosts = [hosts] if isinstance(hosts, str) else hosts
    keys = {"render": "never", **extra, "requests_per_second": requests_per_second}
    lines = [f'name = "{name}"', f'start_urls = ["{start_url}"]',
             "allowed_hosts = [" + ", ".join(f'"{h}"' for h in hosts) + "]"]
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in keys.items()]
    path.write_text("[[portal]]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class DemoCrawl:
    data_dir: Path
    reports: list  # nianbao.demo.DemoReport
    decoys: list[str]
    portals: list
    result: subprocess.CompletedProcess

    def export(self) -> list[dict]:
        out = run_nianbao("export", "--data-dir", str(self.data_dir))
        assert out.returncode == 0, out.stderr
        return [json.loads(line) for line in out.stdout.splitlines()]


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> DemoCrawl:
    """The demo portals served from this process, crawled by `nianbao crawl` in another."""
    from nianbao.demo import DemoPortals

    data_dir = tmp_path_factory.mktemp("demo-crawl")
    with DemoPortals() as demo:
        config = data_dir / "portals.toml"
        config.write_text(demo.config_toml(), encoding="utf-8")
        result = run_nianbao("crawl", "--config", str(config), "--data-dir", str(data_dir),
                             "--no-progress")
        crawl = DemoCrawl(data_dir, list(demo.reports), list(demo.decoys), list(demo.portals),
                          result)
    assert result.returncode == 0, result.stderr
    return crawl
