"""The formatter contract and the registry of formats by name and file extension."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from preflight.engine.interface import Report
from preflight.errors import UsageError
from preflight.formats.safety import safe_pieces, safe_text

Renderer = Callable[[Report], str]

__all__ = ["FORMATS", "Renderer", "format_for_path", "piecewise_renderer", "renderer"]


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
    """A format's ``render``, its text passed through ``safety.safe_text`` (redaction, control bytes)."""
    if name not in FORMATS:
        raise UsageError(f"unknown format '{name}' (choose from {', '.join(FORMATS)})")
    module = importlib.import_module(f"preflight.formats.{name}_format")
    render: Renderer = module.render
    return lambda report: safe_text(name, render(report))


def piecewise_renderer(name: str) -> Callable[[Report], Iterable[str]]:
    """A format's report piece by piece, for writing as it is produced: a module's ``render_pieces``
    where it has one (JSON, whose report on a large cluster is hundreds of MB), else ``render`` whole."""
    render = renderer(name)
    module = importlib.import_module(f"preflight.formats.{name}_format")
    pieces = getattr(module, "render_pieces", None)
    if pieces is None:
        return lambda report: (render(report),)
    return lambda report: safe_pieces(name, pieces(report))


def format_for_path(path: str) -> str:
    name = Path(path).name.lower()
    if name.endswith(".sarif.json"):
        return "sarif"
    if name.endswith(".junit.xml"):
        return "junit"
    suffix = Path(name).suffix
    if suffix not in _EXTENSIONS:
        raise UsageError(f"cannot tell the format of '{path}' from its extension; pass --format")
    return _EXTENSIONS[suffix]
