"""The garbage collector is paused once, around the whole command, and nowhere inside a stage."""

from __future__ import annotations

import ast
import gc
from pathlib import Path

from click.testing import CliRunner

from preflight.cli import main

PACKAGE = Path(__file__).resolve().parents[1] / "preflight"
ALLOWED = {PACKAGE / "cli.py", PACKAGE / "gc_pause.py"}


def _uses_of_pause(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name | ast.Attribute)
        and (node.id if isinstance(node, ast.Name) else node.attr) == "collector_paused"
    ]


def test_only_the_cli_pauses_the_collector() -> None:
    used = {
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path not in ALLOWED
        for line in _uses_of_pause(path)
    }
    assert not used, f"pause the collector at the CLI only: {sorted(used)}"


def test_the_cli_pause_is_seen_by_the_walk() -> None:
    assert _uses_of_pause(PACKAGE / "cli.py"), "the walk no longer sees the CLI's pause"


def test_a_command_leaves_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    result = CliRunner().invoke(main, ["kb", "list", "--version", "1.22"])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()
