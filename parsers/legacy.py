"""Legacy Word (.doc) and Kingsoft WPS (.wps) files, converted to DOCX by LibreOffice.

Both are OLE compound files whose tables no Python library reads reliably; LibreOffice's
import filters are the real thing. Each conversion runs ``soffice --headless`` in its own
process with its own throw-away profile (two conversions never share a lock) and a time
limit, so a file that hangs the converter is an error, not a stuck crawl.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT = 120  # seconds for one batch; a normal report converts in 1-3 s


class ConversionError(ValueError):
    pass


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ConversionError("LibreOffice (soffice) is not installed: run tools/system-deps.sh")
    return found


def convert(paths: list[Path], target: str, outdir: Path, timeout: int = TIMEOUT) -> list[Path]:
    """Convert files in one LibreOffice run (``target``: "docx", "pdf", "doc" …).

    Returns the converted files in the order given; a file LibreOffice could not convert
    is missing from ``outdir`` and raises ConversionError naming it.
    """
    if not paths:
        return []
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nianbao-lo-") as profile:
        command = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
                   "--norestore", "--nolockcheck", "--convert-to", target,
                   "--outdir", str(outdir), *map(str, paths)]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                           env={**os.environ, "HOME": profile}, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"LibreOffice did not finish within {timeout} s") from exc
    extension = target.split(":")[0]
    out = [outdir / f"{Path(p).stem}.{extension}" for p in paths]
    missing = [Path(p).name for p, o in zip(paths, out, strict=True) if not o.exists()]
    if missing:
        raise ConversionError(f"LibreOffice could not convert {', '.join(missing)}")
    return out


def to_docx(body: bytes, kind: str) -> bytes:
    """The DOCX LibreOffice makes of one .doc/.wps document."""
    with tempfile.TemporaryDirectory(prefix="nianbao-doc-") as tmp:
        source = Path(tmp) / f"report.{kind}"
        source.write_bytes(body)
        (converted,) = convert([source], "docx", Path(tmp) / "out")
        return converted.read_bytes()
