"""Progress lines: only on a terminal, only for slow steps, never with --quiet, cleared at the end."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest

from preflight import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def loud() -> Iterator[None]:
    progress.set_quiet(False)
    yield
    progress.set_quiet(False)


def run_slow_step(stream: io.StringIO) -> None:
    """A step that lasts until the progress line has been drawn at least twice (or a generous bound)."""
    seen = threading.Event()
    counter = [0]

    def count() -> int:
        counter[0] += 1
        if counter[0] >= 2:
            seen.set()
        return 41 + counter[0]

    with progress.task("loading snapshot:", count=count, unit="objects", stream=stream):
        seen.wait(5)


def test_slow_step_on_a_terminal_draws_then_clears(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    monkeypatch.setattr(progress, "REFRESH_SECONDS", 0.01)
    terminal = Terminal()
    run_slow_step(terminal)
    text = terminal.getvalue()
    assert "\rpreflight: loading snapshot: 42 objects (" in text
    assert text.endswith("\r\x1b[K")


def test_nothing_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    piped = io.StringIO()
    with progress.task("loading snapshot:", stream=piped):
        pass
    assert piped.getvalue() == ""


def test_nothing_with_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    progress.set_quiet(True)
    terminal = Terminal()
    with progress.task("simulating", stream=terminal):
        threading.Event().wait(0.05)
    assert terminal.getvalue() == ""


def test_quick_step_prints_nothing_even_on_a_terminal() -> None:
    terminal = Terminal()
    with progress.task("checking", stream=terminal):
        pass
    assert terminal.getvalue() == ""


def test_an_error_in_the_step_still_stops_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.0)
    terminal = Terminal()
    with pytest.raises(ValueError), progress.task("checking", stream=terminal):
        raise ValueError("bad input")
    assert not any(t.name == "preflight-progress" for t in threading.enumerate())
