"""Writing reports atomically: a reader never sees half a report, an interrupted run leaves none."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
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


def write_all_atomic(reports: Sequence[tuple[str, Callable[[], Iterable[str]]]]) -> None:
    """Write several reports, each produced piece by piece; a failure producing any of them changes none.

    Each report streams into a temporary file beside its target (a large JSON report never has to be
    one string in memory); only when every one is complete are they moved in place. A failure while
    producing or writing any of them removes the temporaries and leaves every target as it was.
    """
    written: list[tuple[Path, str]] = []
    try:
        for path, pieces in reports:
            target = Path(path)
            written.append((target, _temporary_beside(target, path)))
            try:
                with open(written[-1][1], "w", encoding="utf-8", newline="\n") as stream:
                    stream.writelines(pieces())
                    # mkstemp makes the file private; a report is shared like any file the user writes.
                    os.fchmod(stream.fileno(), 0o666 & ~_umask())
            except OSError as error:
                raise InputError(f"cannot write report: {error.strerror or error}", Location(path)) from None
        for target, temporary in written:
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise InputError(f"cannot write report: {error.strerror or error}", Location(str(target))) from None
    except BaseException:
        for _, temporary in written:
            Path(temporary).unlink(missing_ok=True)
        raise


def _temporary_beside(target: Path, path: str) -> str:
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise InputError(f"cannot write report: {error.strerror or error}", Location(path)) from None
    os.close(handle)
    return temporary


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
