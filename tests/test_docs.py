"""The documentation cannot drift: every command and option the parser knows is in
docs/commands.md (walked from the argparse tree, so a command added tomorrow is caught),
and the README's examples are what the commands print on the demo crawl."""

from __future__ import annotations

import argparse
import importlib.util
import re

from .conftest import ROOT
from .test_query import copy_db

COMMANDS_MD = ROOT / "docs" / "commands.md"
GLOBAL = {"-h", "--help", "--version", "-L", "--loglevel", "--logfile", "-s", "--set",
          "--debug"}


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)),
                None)


def command_tree() -> list[tuple[str, argparse.ArgumentParser]]:
    """("nianbao X", parser) and ("nianbao X Y", parser) for every command, fully loaded."""
    from nianbao.cli import build_parser

    out = []

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        sub = _subparsers(parser)
        if sub is None:
            return
        for name, child in sub.choices.items():
            out.append((f"{prefix} {name}", child))
            walk(f"{prefix} {name}", child)

    walk("nianbao", build_parser())
    return out


def section(text: str, title: str) -> str | None:
    """The text under the heading "`title`" up to the next heading of the same or a higher
    level."""
    match = re.search(rf"^(#+) `{re.escape(title)}`\s*$", text, re.M)
    if not match:
        return None
    level = len(match.group(1))
    rest = text[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[:end.start()] if end else rest


def test_every_command_and_option_is_documented():
    text = COMMANDS_MD.read_text(encoding="utf-8")
    missing = []
    tree = command_tree()
    assert len(tree) >= 15  # the walk sees the commands (and schedule's actions)
    for title, parser in tree:
        body = section(text, title)
        if body is None:
            missing.append(f"{title}: no section")
            continue
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if action.option_strings:
                names = [o for o in action.option_strings if o not in GLOBAL]
                if names and not any(f"`{o}`" in body for o in names):
                    missing.append(f"{title} {names[-1]}")
            elif f"`{action.metavar or action.dest}`" not in body:
                missing.append(f"{title} {action.metavar or action.dest}")
    for option in ("--loglevel", "--logfile", "-s NAME=VALUE", "--debug", "--version"):
        if option not in text:
            missing.append(f"global {option}")
    assert missing == [], "undocumented in docs/commands.md: " + ", ".join(missing)


def test_the_docs_check_would_see_a_missing_option():
    text = COMMANDS_MD.read_text(encoding="utf-8")
    body = section(text, "nianbao export")
    assert body is not None and "`--excel`" in body
    assert "`--excel`" not in (section(text.replace("`--excel`", "`--xl`"), "nianbao export")
                               or "")


def _examples_module():
    spec = importlib.util.spec_from_file_location("readme_examples",
                                                  ROOT / "tools" / "readme_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_examples_are_what_the_commands_print(demo_crawl, tmp_path):
    examples = _examples_module()
    data_dir = tmp_path / "data"
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", data_dir)
    demo_output = examples.normalise(demo_crawl.result.stdout, demo_crawl.data_dir)
    outputs = examples.outputs_for(data_dir, demo_output)
    assert "crawl run 1: completed" in outputs["demo"]
    for path in examples.FILES:
        text = path.read_text(encoding="utf-8")
        names = re.findall(r"<!-- example: ([\w-]+) -->", text)
        assert names, path
        assert examples.render(text, outputs) == text, (
            f"{path.name} is out of date: run tools/readme_examples.py")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"<!-- example: ([\w-]+) -->", readme)) == set(examples.EXAMPLES)
    assert len(readme.splitlines()) < 200  # a front page; the manual is in docs/
