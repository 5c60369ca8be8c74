"""nianbao's own check of every record: do the stored HTTP headers describe the stored body?

`warcio check` verifies digests, not HTTP semantics: a `Content-Encoding: gzip` header
over a body some layer already decompressed passes it, yet replays as garbage. This checks
what a replaying client relies on, record by record:

- `Content-Length`, when sent (and no `Transfer-Encoding`), equals the stored body length;
- `Transfer-Encoding: chunked` means the stored body parses as chunks;
- `Content-Encoding: gzip|deflate|br` means the (transfer-decoded) body decodes that way;
- `WARC-Payload-Digest` is sha1/base32 of the transfer-decoded body, and
  `WARC-Block-Digest` of the whole block (HTTP head and body);
- a `revisit` names the record it refers to and carries `WARC-Truncated: length` when its
  profile is identical-payload-digest.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .records import sha1_base32


@dataclass(frozen=True)
class Problem:
    warc_file: str
    offset: int
    record_id: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.warc_file}@{self.offset} {self.record_id}: {self.message}"


def dechunk(body: bytes) -> bytes:
    """The body of a chunked transfer; ValueError when it is not well-formed."""
    out, pos = bytearray(), 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise ValueError("chunk size line not terminated")
        size = int(body[pos:end].split(b";")[0].strip() or b"x", 16)
        pos = end + 2
        if size == 0:
            return bytes(out)
        if pos + size + 2 > len(body) or body[pos + size:pos + size + 2] != b"\r\n":
            raise ValueError("chunk shorter than its size")
        out += body[pos:pos + size]
        pos += size + 2


def content_decode(coding: str, body: bytes) -> bytes:
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    if coding == "br":
        import brotli

        return brotli.decompress(body)
    if coding == "identity":
        return body
    raise ValueError(f"unknown content-coding {coding!r}")


def check_record(record, warc_file: str = "", offset: int = 0) -> list[str]:
    """What is wrong with one record (an empty list when nothing is)."""
    problems: list[str] = []
    rec_type = record.rec_type
    head = record.rec_headers
    if rec_type == "revisit":
        profile = head.get_header("WARC-Profile") or ""
        if not head.get_header("WARC-Refers-To-Target-URI"):
            problems.append("revisit without WARC-Refers-To-Target-URI")
        if not head.get_header("WARC-Refers-To-Date"):
            problems.append("revisit without WARC-Refers-To-Date")
        if profile.endswith("identical-payload-digest"):
            if not head.get_header("WARC-Payload-Digest"):
                problems.append("identical-payload-digest revisit without a payload digest")
            if (head.get_header("WARC-Truncated") or "") != "length":
                problems.append("identical-payload-digest revisit without WARC-Truncated")
        elif not profile.endswith("server-not-modified"):
            problems.append(f"unknown revisit profile {profile!r}")
    if rec_type not in ("response", "revisit", "request", "resource", "metadata", "warcinfo",
                        "conversion"):
        problems.append(f"unexpected record type {rec_type}")
    block = record.raw_stream.read()
    http = record.http_headers
    # For records with an HTTP head, `warcio check` verifies the block digest.
    block_digest = head.get_header("WARC-Block-Digest")
    if block_digest and rec_type not in ("response", "revisit", "request"):
        if sha1_base32(block) != block_digest:
            problems.append("WARC-Block-Digest does not match the block")
    if block_digest and not block_digest.startswith("sha1:"):
        problems.append(f"block digest not sha1: {block_digest}")
    if rec_type != "response" or http is None:
        return problems
    te = (http.get_header("Transfer-Encoding") or "").lower()
    ce = http.get_header("Content-Encoding") or ""
    cl = http.get_header("Content-Length")
    payload = block
    if "chunked" in te:
        try:
            payload = dechunk(block)
        except ValueError as exc:
            problems.append(f"Transfer-Encoding: chunked over a body that is not chunked ({exc})")
    elif te:
        problems.append(f"unsupported Transfer-Encoding {te!r} stored")
    elif cl is not None:
        try:
            if int(cl) != len(block):
                problems.append(f"Content-Length {cl} but the stored body has {len(block)} "
                                "bytes")
        except ValueError:
            problems.append(f"Content-Length {cl!r} is not a number")
    if ce and payload:
        for coding in reversed([c for c in ce.split(",") if c.strip()]):
            try:
                payload = content_decode(coding, payload)
            except Exception as exc:  # noqa: BLE001 - any failure to decode is the finding
                problems.append(f"Content-Encoding: {ce} over a body that does not decode "
                                f"({type(exc).__name__})")
                break
    digest = head.get_header("WARC-Payload-Digest")
    if digest is None:
        problems.append("response without WARC-Payload-Digest")
    elif not digest.startswith("sha1:"):
        problems.append(f"payload digest not sha1: {digest}")
    else:
        try:
            transfer_decoded = dechunk(block) if "chunked" in te else block
        except ValueError:
            transfer_decoded = block
        if sha1_base32(transfer_decoded) != digest:
            problems.append("WARC-Payload-Digest is not the digest of the transfer-decoded "
                            "body")
    return problems


def check_file(path: Path | str) -> list[Problem]:
    """Every problem of every record of one WARC file (a partial tail is one problem)."""
    from .reader import _iter_with_offsets, scan_file

    path = Path(path)
    problems: list[Problem] = []
    for record, offset in _iter_with_offsets(path):
        for message in check_record(record, path.name, offset):
            problems.append(Problem(path.name, offset,
                                    record.rec_headers.get_header("WARC-Record-ID"), message))
    scan = scan_file(path)
    if scan.truncated:
        problems.append(Problem(path.name, scan.complete_to, None,
                                f"partial record after offset {scan.complete_to} "
                                f"({scan.size - scan.complete_to} bytes)"))
    return problems


def check_directory(directory: Path | str) -> Iterator[Problem]:
    for path in sorted(Path(directory).glob("*.warc.gz")):
        yield from check_file(path)
