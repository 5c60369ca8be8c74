"""index.sqlite: asked one URL at a time, added to by several processes at once, made
from the per-file indexes of an older directory, streamed out as one sorted CDXJ file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nianbao.archive.index import INDEX_DB, ArchiveIndex, read_index, rebuild_index, write_cdxj
from nianbao.archive.records import IndexEntry

ROOT = Path(__file__).resolve().parent.parent

ADD_FILES = """
import sys
from pathlib import Path
from nianbao.archive.index import ArchiveIndex
from nianbao.archive.records import IndexEntry
directory, worker = Path(sys.argv[1]), int(sys.argv[2])
index = ArchiveIndex(directory)
for f in range(15):
    name = f"nianbao-20260101000000-{f:05d}-{worker}-host.warc.gz"
    index.commit_file(directory / name, [
        IndexEntry(f"http://127.0.0.1/{worker}/{f}/{n}.html", "20260101000000", name,
                   n * 100, 100, f"sha1:{worker}{f}{n}", "text/html", "200", "response")
        for n in range(40)])
"""


def entries(name: str, count: int, *, stamp: str = "20260101000000") -> list[IndexEntry]:
    return [IndexEntry(f"http://127.0.0.1/{n % 7}.html", stamp, name, n * 100, 100,
                       f"sha1:{n}", "text/html", "200", "response") for n in range(count)]


def test_several_processes_add_files_at_once(tmp_path):
    processes = [subprocess.Popen([sys.executable, "-c", ADD_FILES, str(tmp_path), str(w)],
                                  cwd=ROOT, stderr=subprocess.PIPE, text=True)
                 for w in range(4)]
    for p in processes:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    index = ArchiveIndex(tmp_path)
    assert len(index) == 4 * 15 * 40
    assert [e.offset for e in index.captures("http://127.0.0.1/3/14/39.html")] == [3900]
    assert len(list(tmp_path.glob("*.cdxj"))) == 60
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_lookups_are_the_newest_committed_capture(tmp_path):
    index = ArchiveIndex(tmp_path)
    index.commit_file(tmp_path / "a.warc.gz", entries("a.warc.gz", 7))
    index.commit_file(tmp_path / "b.warc.gz", entries("b.warc.gz", 7, stamp="20260202000000"))
    latest = index.latest("http://127.0.0.1/3.html")
    assert (latest.filename, latest.offset) == ("b.warc.gz", 300)
    assert index.latest("http://127.0.0.1/3.html", at="20260115000000").filename == "a.warc.gz"
    assert index.original("http://127.0.0.1/3.html", "sha1:3").filename == "b.warc.gz"
    assert index.original("http://127.0.0.1/3.html", "sha1:4") is None
    # another process sees what this one committed, without reloading anything
    assert ArchiveIndex(tmp_path).latest("http://127.0.0.1/3.html") == latest
    # committing a file again changes nothing
    index.commit_file(tmp_path / "a.warc.gz", entries("a.warc.gz", 7))
    assert len(index) == 14


def test_an_older_directory_is_imported_and_written_out_sorted(tmp_path):
    from nianbao.archive.index import write_file_index

    for name in ("a.warc.gz", "b.warc.gz"):  # only per-file indexes, as before index.sqlite
        write_file_index(tmp_path / name, entries(name, 20))
    assert not (tmp_path / INDEX_DB).exists()
    assert len(ArchiveIndex(tmp_path)) == 40
    out = tmp_path / "index.cdxj"
    assert write_cdxj(tmp_path, out) == 40
    lines = out.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == 40
    assert [e.cdxj_line() for e in read_index(tmp_path)] == lines
    (tmp_path / INDEX_DB).unlink()
    assert rebuild_index(tmp_path) == 40


def test_an_archive_that_does_not_exist_is_an_empty_index(tmp_path):
    index = ArchiveIndex(tmp_path / "missing")
    assert len(index) == 0 and index.latest("http://127.0.0.1/") is None
    assert not (tmp_path / "missing").exists()
