"""Produce the example output in README.md and docs/commands.md from real runs, so the
examples cannot drift from what the commands print.

    .venv/bin/python tools/readme_examples.py            # crawl the demo, rewrite the files
    .venv/bin/python tools/readme_examples.py --check    # exit 1 if a file is out of date

Each example is a block between ``<!-- example: NAME -->`` and ``<!-- /example -->``; the
block becomes the command and its output, in a console code fence. The data directory's
path in the output is shown as ``nianbao-data``. tests/test_docs.py runs the same commands
on the test suite's demo crawl and compares.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = (ROOT / "README.md", ROOT / "docs" / "commands.md")

# name -> the command as shown (its data-dir options are added when it runs)
EXAMPLES: dict[str, list[str]] = {
    "demo": ["demo", "--port", "0"],
    "query": ["query", "--key", "applications.received.total", "--key",
              "applications.granted.total", "--region", "天津"],
    "group": ["query", "--key", "applications.received.total", "--group-by", "year"],
    "keys": ["keys", "appeals.review.*"],
    "sql": ["sql", "SELECT year, COUNT(*) AS reports, SUM(received) AS received, "
                   "SUM(processed) AS processed FROM report_rates GROUP BY year"],
}
# Commands that do not read collected data take no --data-dir.
NO_DATA = {"keys"}
BLOCK = re.compile(r"(<!-- example: (?P<name>[\w-]+) -->\n).*?(<!-- /example -->)", re.S)


def shown(argv: list[str]) -> str:
    return "$ nianbao " + " ".join(a if re.fullmatch(r"[\w.,:/=-]+", a) else f"'{a}'"
                                  for a in argv)


def run(argv: list[str], data_dir: Path) -> str:
    """The command's standard output, as the README shows it."""
    full = list(argv) if argv[0] in NO_DATA else [*argv, "--data-dir", str(data_dir)]
    if argv[0] == "demo":
        full.append("--no-progress")
    env = {**os.environ, "COLUMNS": "120"}
    out = subprocess.run([sys.executable, "-m", "nianbao.cli", *full], capture_output=True,
                         text=True, env=env, timeout=600, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{shown(argv)} failed ({out.returncode}): {out.stderr}")
    return normalise(out.stdout, data_dir)


def normalise(text: str, data_dir: Path) -> str:
    """The data directory as `nianbao-data`; trailing spaces dropped (rich pads lines)."""
    resolved = str(Path(data_dir).resolve())
    text = text.replace(f"sqlite:///{resolved}", "sqlite:///nianbao-data")
    text = text.replace(resolved, "nianbao-data").replace(str(data_dir), "nianbao-data")
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"


def block(name: str, output: str) -> str:
    return f"```console\n{shown(EXAMPLES[name])}\n{output}```\n"


def render(text: str, outputs: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in outputs:
            raise SystemExit(f"no example named {name!r}")
        return match.group(1) + block(name, outputs[name]) + match.group(3)

    return BLOCK.sub(replace, text)


def outputs_for(data_dir: Path, demo_output: str) -> dict[str, str]:
    """Every example's output; the demo's is given (it crawled `data_dir`)."""
    out = {"demo": normalise(demo_output, data_dir)}
    for name, argv in EXAMPLES.items():
        if name != "demo":
            out[name] = run(argv, data_dir)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a "
                                                             "file is out of date")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "nianbao-data"
        outputs = {"demo": run(EXAMPLES["demo"], data_dir)}
        outputs = outputs_for(data_dir, outputs["demo"])
    stale = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = render(text, outputs)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
