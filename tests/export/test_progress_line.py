"""``preflight snapshot`` draws its progress with ``preflight.progress``: on a terminal, and never with --quiet."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight import progress
from preflight.cli import main

from .conftest import FakeKubectl


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def slow_steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every step counts as slow, so a progress line would be drawn at once."""
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    monkeypatch.setattr(progress, "REFRESH_SECONDS", 0.001)
    yield
    progress.set_quiet(False)


def export_on_a_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *extra: str) -> tuple[int, str]:
    """Exit code and stderr of ``preflight snapshot`` whose stderr is a terminal.

    stderr is replaced here, in the test itself: pytest's capture sets it again between phases.
    """
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    arguments = ["snapshot", "--output", str(tmp_path / "snap"), "--context", "prod", "--chunk-size", "2", *extra]
    with pytest.raises(SystemExit) as exited:
        main.main(arguments, prog_name="preflight")
    monkeypatch.undo()
    return int(exited.value.code or 0), terminal.getvalue()


def test_the_export_shows_which_kind_it_reads_on_a_terminal(
    fake_kubectl: FakeKubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, text = export_on_a_terminal(monkeypatch, tmp_path)
    assert code == 0
    assert "\rpreflight: exporting " in text
    assert "preflight: wrote " in text  # the summary follows the cleared line


def test_quiet_export_prints_no_progress(
    fake_kubectl: FakeKubectl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, text = export_on_a_terminal(monkeypatch, tmp_path, "--quiet")
    assert code == 0
    assert "\r" not in text and "exporting" not in text
    assert "preflight: wrote " in text  # what was written and what is missing is no progress line
