"""Writing reports: all targets or none, a reader never sees half a report, special files stay special.

A regular file (or a path that does not exist yet) is written to a temporary file beside it
and renamed into place only when every report of the run is complete. Renaming over a
device node or a FIFO would replace it with a regular file (``--output /dev/null`` run as
root would leave the machine without a ``/dev/null``), so character devices, FIFOs and
``-`` (standard output) are written directly, and nothing else that is not a regular file
(a directory, a socket, a block device) is accepted as a target.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from preflight.errors import InputError, Location

STDOUT = "-"

# Text, or UTF-8 bytes straight from an encoder (the JSON report: 48 MB at 1,000 services need not be
# decoded to be encoded again on the way to the file).
Pieces = Callable[[], Iterable[str | bytes]]


@dataclass
class _Target:
    """One ``--output``: where it goes and what this run has put on disk for it so far."""

    path: str
    pieces: Pieces
    direct: bool  # stdout, a character device or a FIFO: written in place, never renamed over
    temporary: str | None = None
    backup: str | None = None  # a hard link to the file this run replaced, to restore on failure
    published: bool = False
    created_directories: list[Path] = field(default_factory=list)


def write_atomic(path: str, text: str) -> None:
    """One report, as ``write_all_atomic`` writes several."""
    write_all_atomic([(path, lambda: (text,))])


def write_all_atomic(reports: Sequence[tuple[str, Pieces]]) -> None:
    """Write several reports, each produced piece by piece; a failure producing any of them changes none.

    Every target is checked before anything is written (a directory, a missing permission, the same
    path twice). Regular files stream into temporaries beside their targets (a large JSON report never
    has to be one string in memory); special files are written next, and the temporaries are moved in
    place last. On any failure, or a signal that unwinds the run, every temporary goes, files this run
    already replaced get their previous content back, and the error names the target that failed.
    """
    targets = _checked_targets(reports)
    try:
        for target in targets:
            if not target.direct:
                _write_temporary(target)
        for target in targets:
            if target.direct:
                _write_direct(target)
        for target in targets:
            if not target.direct:
                _publish(target)
    except BaseException:
        _undo(targets)
        raise
    for target in targets:
        if target.backup is not None:
            Path(target.backup).unlink(missing_ok=True)


def _checked_targets(reports: Sequence[tuple[str, Pieces]]) -> list[_Target]:
    targets: list[_Target] = []
    seen: set[str] = set()
    for path, pieces in reports:
        key = path if path == STDOUT else os.path.realpath(path)
        if key in seen:
            raise InputError("given twice as --output", Location(path))
        seen.add(key)
        targets.append(_Target(path, pieces, direct=_is_direct(path)))
    return targets


def _is_direct(path: str) -> bool:
    """Whether ``path`` is written in place; ``InputError`` for a target that cannot be written at all."""
    if path == STDOUT:
        return True
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        _check_directory_for(path)
        return False
    except OSError as error:
        raise _cannot_write(path, error) from None
    if stat.S_ISDIR(mode):
        raise InputError("cannot write report: is a directory", Location(path))
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        if not os.access(path, os.W_OK):
            raise InputError("cannot write report: permission denied", Location(path))
        return True
    if not stat.S_ISREG(mode):
        raise InputError("cannot write report: not a regular file, character device or FIFO", Location(path))
    _check_directory_for(path)
    return False


def _check_directory_for(path: str) -> None:
    """The nearest existing ancestor must be a directory this process may create files in."""
    ancestor = Path(path).absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot write report: {ancestor} is not a directory", Location(path))
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise InputError(f"cannot write report: permission denied in {ancestor}", Location(path))


def _write_temporary(target: _Target) -> None:
    final = Path(target.path)
    directory = final.parent if str(final.parent) else Path(".")
    try:
        missing = [d for d in (directory, *directory.parents) if not d.exists()]
        directory.mkdir(parents=True, exist_ok=True)
        target.created_directories = missing  # deepest first, the order to remove them in
        handle, target.temporary = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            _write_pieces(stream, target.pieces())
            # mkstemp makes the file private; a report is shared like any file the user writes.
            os.fchmod(stream.fileno(), 0o666 & ~_umask())
    except OSError as error:
        raise _cannot_write(target.path, error) from None


def _write_direct(target: _Target) -> None:
    try:
        if target.path == STDOUT:
            stream = sys.stdout
            if stream is None:
                raise InputError("cannot write report: standard output is closed", Location(STDOUT))
            _write_pieces(stream, target.pieces())
            stream.flush()
            return
        with open(target.path, "w", encoding="utf-8", newline="\n") as device:
            _write_pieces(device, target.pieces())
    except OSError as error:
        raise _cannot_write(target.path, error) from None


def _write_pieces(stream: TextIO, pieces: Iterable[str | bytes]) -> None:
    """Text through the text stream; bytes (UTF-8) straight to the binary stream under it, after
    what was written as text, or decoded where there is none (stdout replaced by a text-only stream)."""
    binary = getattr(stream, "buffer", None)
    for piece in pieces:
        if isinstance(piece, str):
            stream.write(piece)
        elif binary is None:
            stream.write(piece.decode("utf-8"))
        else:
            stream.flush()
            binary.write(piece)


def _publish(target: _Target) -> None:
    assert target.temporary is not None
    final = Path(target.path)
    try:
        if final.is_file():
            backup = str(final.parent / f".{final.name}.{secrets.token_hex(6)}.old")
            try:
                os.link(final, backup)  # refuses an existing name: nothing of anyone else's is touched
                target.backup = backup
            except OSError:
                pass  # a file system without hard links: the old report cannot be restored
        os.replace(target.temporary, final)
        target.temporary = None
        target.published = True
    except OSError as error:
        raise _cannot_write(target.path, error) from None


def _undo(targets: list[_Target]) -> None:
    for target in targets:
        if target.temporary is not None:
            Path(target.temporary).unlink(missing_ok=True)
        if target.published:
            if target.backup is not None:
                os.replace(target.backup, target.path)
            else:
                Path(target.path).unlink(missing_ok=True)
        elif target.backup is not None:
            Path(target.backup).unlink(missing_ok=True)
    for target in targets:  # only once every file is gone can the directories made for them be empty
        for directory in target.created_directories:
            try:
                directory.rmdir()
            except OSError:
                break  # not empty: something else lives there now


def _cannot_write(path: str, error: OSError) -> InputError:
    return InputError(f"cannot write report: {error.strerror or error}", Location(path))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
