"""Pausing Python's cyclic garbage collector around large acyclic work, in one place.

A check allocates millions of short-lived dicts, lists and strings (the parsed snapshot,
decisions, report pieces) that form no reference cycles, so the cyclic collector can free
none of them; yet each of its passes walks everything alive, which cost a fifth of a large
check. Reference counting still frees everything as usual. Nested pauses are safe: only the
outermost one turns the collector back on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
