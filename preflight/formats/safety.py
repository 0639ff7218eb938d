"""What every rendered report, and every line written to the terminal, passes through last.

Two promises are kept here, once for all formats, so a new field in a report cannot break them:

- no credential-looking text (``preflight.redaction``): whatever string reached the report,
  a label value, a waiver reason, KB overlay text, is redacted again in the finished text,
  with the marker written in the format's own syntax;
- no control bytes: C0 and C1 controls other than tab and newline (ANSI colour and OSC
  sequences, BEL, NUL, carriage return) are written as visible ``\\xNN`` text, so a value
  can neither drive the terminal nor make an XML report ill-formed. The JSON encoder
  already escapes C0 controls; the C1 ones it leaves raw become ``\\u00NN`` escapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from preflight.redaction import REDACTED, redact_credentials_in_text

_MARKUP_MARKER = REDACTED.replace("<", "&lt;").replace(">", "&gt;")
_MARKER = {
    "html": _MARKUP_MARKER,
    "junit": _MARKUP_MARKER,
    "markdown": _MARKUP_MARKER,  # outside code spans, Markdown would take <redacted> for an HTML tag
    "text": REDACTED,
    "json": REDACTED,
    "sarif": REDACTED,
}
_JSON_FORMATS = frozenset({"json", "sarif"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_C1_AND_DELETE = re.compile(r"[\x7f-\x9f]")


def escape_control(text: str) -> str:
    """Control characters (all but tab and newline) written as ``\\xNN``, visible and inert."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group(0)):02x}", text)


def safe_text(format_name: str, text: str) -> str:
    """``text`` of a report in ``format_name`` with credentials redacted and control bytes made inert."""
    text = redact_credentials_in_text(text, _MARKER[format_name])
    if format_name in _JSON_FORMATS:
        if _C1_AND_DELETE.search(text) is None:
            return text
        return _C1_AND_DELETE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)
    return escape_control(text)


def safe_pieces(format_name: str, pieces: Iterable[str]) -> Iterator[str]:
    """``safe_text`` piece by piece. The JSON encoder's pieces end between values, never inside a
    string, so a secret or an escape sequence is never split between two of them."""
    for piece in pieces:
        yield safe_text(format_name, piece)


def safe_terminal_line(text: str) -> str:
    """An error, summary or progress line: redacted, control bytes made visible, one line."""
    return escape_control(redact_credentials_in_text(text)).replace("\n", " ")


def safe_terminal_text(text: str) -> str:
    """Several lines for the terminal (a summary): redacted, control bytes made visible."""
    return escape_control(redact_credentials_in_text(text))
