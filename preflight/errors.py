"""The one error type the tool raises on purpose, and the exit codes it maps to.

Every expected failure (bad input, unknown version, broken knowledge base) is a
``PreflightError``; the CLI turns it into a one-line message and an exit code in one
place. Anything else is an internal error and still exits non-zero, so a CI gate
built on ``preflight check`` fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    GATE_FAILED = 1  # an affected finding at or above --fail-on
    BAD_INPUT = 2  # usage errors, unreadable snapshot, unknown version, invalid KB
    INTERNAL_ERROR = 3  # a bug: never reported as success


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, and a line (1-based) or document index when known."""

    file: str
    line: int | None = None
    document: int | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
        if self.document is not None:
            text += f" (document {self.document})"
        return text


class PreflightError(Exception):
    """An expected failure with a message fit for a terminal."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class InputError(PreflightError):
    """The snapshot, traffic file, waiver file or another input cannot be used."""


class VersionError(PreflightError):
    """A version is malformed, unknown to the knowledge base, or the path is a downgrade."""


class KnowledgeBaseError(PreflightError):
    """A knowledge-base file or entry is invalid."""


class UsageError(PreflightError):
    """The command line asks for something impossible."""
