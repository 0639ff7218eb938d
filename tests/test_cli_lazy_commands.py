"""The commands ``check`` never runs are imported only when asked for, and still behave as registered ones."""

from __future__ import annotations

import subprocess
import sys

import click
from click.testing import CliRunner

from preflight.cli import LAZY_COMMANDS, main


def test_check_start_up_imports_none_of_the_other_commands() -> None:
    probe = (
        "import sys, preflight.cli; "
        "print(' '.join(m for m in sys.modules if m.startswith(('preflight.export', 'preflight.diff', "
        "'preflight.traffic.export', 'preflight.plan.command', 'deepdiff'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.split()
    assert loaded == []


def test_every_lazy_command_resolves_to_the_command_of_its_name() -> None:
    context = click.Context(main)
    for name in LAZY_COMMANDS:
        command = main.get_command(context, name)
        assert isinstance(command, click.Command)
        assert command.name == name


def test_help_lists_lazy_and_registered_commands_alike() -> None:
    result = CliRunner().invoke(main, ["--help"])
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.startswith("  ")}
    assert {"check", "demo", "kb", *LAZY_COMMANDS} <= listed


def test_a_lazy_command_runs_from_the_command_line() -> None:
    result = CliRunner().invoke(main, ["traffic", "--help"])
    assert result.exit_code == 0
    assert "traffic" in result.output.lower()


def test_an_unknown_command_is_still_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
