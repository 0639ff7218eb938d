"""The command line: parses options, wires the stages, maps errors to exit codes. Nothing else.

Exit codes (also in ``preflight --help``):
  0  no affected finding at or above --fail-on
  1  the gate failed: an affected finding at or above --fail-on
  2  usage error or bad input (unreadable snapshot, unknown version, invalid KB)
  3  internal error (a bug): never reported as success
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from preflight import __version__
from preflight.errors import ExitCode, PreflightError
from preflight.formats.safety import safe_terminal_line
from preflight.gc_pause import collector_paused

EXIT_CODES_HELP = """\b
Exit codes:
  0  no affected finding at or above --fail-on
  1  gate failed: an affected finding at or above --fail-on
  2  usage error or bad input (unreadable snapshot, unknown version, invalid KB)
  3  internal error: never reported as success
"""


class Terminated(BaseException):
    """SIGTERM (a CI job cancelled, a container stopped), raised where the program is, so that
    every ``finally`` and cleanup handler runs: no temporary report or partial snapshot stays behind."""


@contextmanager
def _terminate_by_unwinding() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread (an embedding host's worker)
        return

    def raise_terminated(signal_number: int, frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class PreflightGroup(click.Group):
    """Maps every failure to one line and an exit code, in one place, so a gate fails closed."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            with _terminate_by_unwinding(), collector_paused():
                result = super().main(*args, **kwargs)
        except PreflightError as error:
            click.echo(safe_terminal_line(f"preflight: error: {error}"), err=True)
            sys.exit(int(error.exit_code))
        except click.exceptions.Exit as exit_request:
            sys.exit(exit_request.exit_code)
        except click.Abort:
            click.echo("preflight: aborted", err=True)
            sys.exit(int(ExitCode.BAD_INPUT))
        except click.ClickException as error:
            click.echo(safe_terminal_line(f"preflight: error: {error.format_message()}"), err=True)
            sys.exit(int(ExitCode.BAD_INPUT))
        except KeyboardInterrupt:
            click.echo("preflight: interrupted", err=True)
            sys.exit(int(ExitCode.INTERNAL_ERROR))
        except Terminated:
            click.echo("preflight: terminated; nothing was written", err=True)
            sys.exit(int(ExitCode.INTERNAL_ERROR))
        except Exception as error:  # a bug; the gate must still fail closed
            click.echo(safe_terminal_line(f"preflight: internal error: {type(error).__name__}: {error}"), err=True)
            sys.exit(int(ExitCode.INTERNAL_ERROR))
        sys.exit(int(result) if isinstance(result, int) else 0)


# Commands ``check`` never runs, imported only when they are the one asked for: the cluster exporter,
# the Prometheus client, the report diff (deepdiff) and the plan command together cost about as much start-up
# time as everything ``check`` needs. Names are "module:attribute"; the help lists them all the same.
LAZY_COMMANDS: dict[str, str] = {
    "diff": "preflight.diff.command:diff_command",
    "plan": "preflight.plan.command:plan_command",
    "snapshot": "preflight.export.command:snapshot_command",
    "traffic": "preflight.traffic.export:traffic",
}


class LazyPreflightGroup(PreflightGroup):
    """The top-level group: registered commands as usual, plus ``LAZY_COMMANDS`` imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module_name, attribute = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{LAZY_COMMANDS[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyPreflightGroup, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="preflight")
def main() -> None:
    """Istio Preflight: which of your services an Istio upgrade changes, and why."""


def register(command: click.Command | Callable[..., Any]) -> None:
    main.add_command(command)  # type: ignore[arg-type]


def _register_builtin_commands() -> None:
    from preflight.commands import check_command, demo_command, kb_group

    for command in (check_command, demo_command, kb_group):
        register(command)


_register_builtin_commands()
