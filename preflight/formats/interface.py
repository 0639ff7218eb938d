"""The formatter contract and the registry of formats by name and file extension."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from preflight.engine.interface import Report
from preflight.errors import UsageError
from preflight.formats.safety import REDACTED_BY_VALUE, safe_pieces, safe_text

Renderer = Callable[[Report], str]

__all__ = [
    "FORMATS",
    "Renderer",
    "encoded_renderer",
    "format_for_path",
    "format_named_by_path",
    "output_format",
    "piecewise_renderer",
    "renderer",
]


FORMATS = ("text", "json", "markdown", "html", "sarif", "junit")
_EXTENSIONS = {
    ".txt": "text",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".sarif": "sarif",
    ".xml": "junit",
}


def renderer(name: str) -> Renderer:
    """A format's ``render``, its text passed through ``safety.safe_text`` (redaction, control bytes)
    unless it redacts by value itself."""
    if name not in FORMATS:
        raise UsageError(f"unknown format '{name}' (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"preflight.formats.{name}_format")
    render: Renderer = module.render
    if name in REDACTED_BY_VALUE:
        return render
    return lambda report: safe_text(name, render(report))


def piecewise_renderer(name: str) -> Callable[[Report], Iterable[str]]:
    """A format's report piece by piece, for writing as it is produced: a module's ``render_pieces``
    where it has one (JSON, whose report on a large cluster is hundreds of MB), else ``render`` whole."""
    render = renderer(name)
    module = importlib.import_module(f"preflight.formats.{name}_format")
    pieces = getattr(module, "render_pieces", None)
    if pieces is None:
        return lambda report: (render(report),)
    if name in REDACTED_BY_VALUE:
        return pieces  # type: ignore[no-any-return]
    return lambda report: safe_pieces(name, pieces(report))


def encoded_renderer(name: str) -> Callable[[Report], Iterable[str | bytes]]:
    """``piecewise_renderer``, except that a format redacted by value which has ``render_encoded``
    (JSON) gives its encoder's bytes as they are, never decoded to text on the way to the file."""
    if name in REDACTED_BY_VALUE:
        encoded = getattr(importlib.import_module(f"preflight.formats.{name}_format"), "render_encoded", None)
        if encoded is not None:
            return encoded  # type: ignore[no-any-return]
    return piecewise_renderer(name)


def format_for_path(path: str) -> str:
    named = format_named_by_path(path)
    if named is None:
        raise UsageError(f"cannot tell the format of '{path}' from its extension; pass --format")
    return named


def format_named_by_path(path: str) -> str | None:
    """The format a file name announces (``report.html`` → html), or ``None`` for an extension of no format."""
    name = Path(path).name.lower()
    if name.endswith(".sarif.json"):
        return "sarif"
    if name.endswith(".junit.xml"):
        return "junit"
    return _EXTENSIONS.get(Path(name).suffix)


# SARIF is JSON: code-scanning uploads commonly name it ``results.json``.
_ALSO_WRITTEN_AS = {"sarif": {"json"}}


def output_format(path: str, format_name: str | None) -> str:
    """The format to write ``path`` in: ``--format`` when given, else the extension's.

    A ``--format`` the file name contradicts (``--format html --output y.json``) is refused: the
    file would lie about its content to whatever reads it next (a CI upload, a browser, a parser).
    """
    named = format_named_by_path(path)
    if format_name is None:
        return format_for_path(path)
    if named is not None and named != format_name and named not in _ALSO_WRITTEN_AS.get(format_name, set()):
        raise UsageError(
            f"--format {format_name} does not match --output '{path}', whose extension means {named}: "
            f"change the extension or drop --format"
        )
    return format_name
