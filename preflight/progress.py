"""Progress on stderr for steps that take longer than a second (loading, checking, simulating).

Shown only when stderr is a terminal and ``--quiet`` was not given, so CI logs and piped
output never carry it; it draws one line that is cleared when the step ends. A background
thread draws, so the step itself only keeps a counter the line reads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

DELAY_SECONDS = 1.0  # quick steps never print anything
REFRESH_SECONDS = 0.25

_quiet = False


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def enabled(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    try:
        return not _quiet and stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


@contextmanager
def task(
    label: str | Callable[[], str],
    count: Callable[[], int] | None = None,
    unit: str = "",
    stream: TextIO | None = None,
) -> Iterator[None]:
    """Show ``label`` (and ``count()`` ``unit``) with the elapsed time while the block runs longer than a second.

    A callable ``label`` is read at every redraw, for a step whose stage changes as it runs.
    """
    output = stream or sys.stderr
    if not enabled(output):
        yield
        return
    done = threading.Event()
    started = time.monotonic()

    def draw() -> None:
        if done.wait(DELAY_SECONDS):
            return
        shown = False
        while not done.is_set():
            progress = f" {count()} {unit}" if count is not None else ""
            text = label() if callable(label) else label
            output.write(f"\rpreflight: {text}{progress} ({time.monotonic() - started:.0f} s)\x1b[K")
            output.flush()
            shown = True
            done.wait(REFRESH_SECONDS)
        if shown:
            output.write("\r\x1b[K")
            output.flush()

    drawer = threading.Thread(target=draw, name="preflight-progress", daemon=True)
    drawer.start()
    try:
        yield
    finally:
        done.set()
        drawer.join()
