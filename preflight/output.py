"""Writing reports atomically: a reader never sees half a report, an interrupted run leaves none."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from preflight.errors import InputError, Location


def write_atomic(path: str, text: str) -> None:
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
                # mkstemp makes the file private; a report is shared like any file the user writes.
                os.fchmod(stream.fileno(), 0o666 & ~_umask())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise InputError(f"cannot write report: {error.strerror or error}", Location(path)) from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
