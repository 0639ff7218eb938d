"""What every rendered report, and every line written to the terminal, passes through last.

Two promises are kept here, once for all formats, so a new field in a report cannot break them:

- no credential-looking text (``preflight.redaction``): whatever string reached the report,
  a label value, a waiver reason, KB overlay text, is redacted again in the finished text,
  with the marker written in the format's own syntax;
- no control bytes: C0 and C1 controls other than tab and newline (ANSI colour and OSC
  sequences, BEL, NUL, carriage return) are written as visible ``\\xNN`` text, so a value
  can neither drive the terminal nor make an XML report ill-formed. The JSON encoder
  already escapes C0 controls; the C1 ones it leaves raw become ``\\u00NN`` escapes.

The JSON-family reports (JSON, SARIF) are redacted by value instead (``JsonGuard``): every
string of the document, keys and values alike, whatever field it is in, passes the rules
before it is encoded. A report repeats the same strings (reasons, names, paths) hundreds of
thousands of times, so each distinct string is searched once; searching the finished text
(48 MB at 1,000 services) cost more than building and encoding the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any

from preflight.redaction import REDACTED, names_credential, redact_credentials_in_text, redact_value_assigned_to

_MARKUP_MARKER = REDACTED.replace("<", "&lt;").replace(">", "&gt;")
_MARKER = {
    "html": _MARKUP_MARKER,
    "junit": _MARKUP_MARKER,
    "markdown": _MARKUP_MARKER,  # outside code spans, Markdown would take <redacted> for an HTML tag
    "text": REDACTED,
    "json": REDACTED,
    "sarif": REDACTED,
}
# The JSON-family formats: their renderers redact every string by value (``JsonGuard``) before encoding.
REDACTED_BY_VALUE = frozenset({"json", "sarif"})
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
    if format_name in REDACTED_BY_VALUE:
        if _C1_AND_DELETE.search(text) is None:
            return text
        return _C1_AND_DELETE.sub(lambda match: f"\\u{ord(match.group(0)):04x}", text)
    return escape_control(text)


_RAW_C1_OR_DELETE = re.compile(rb"\x7f|\xc2[\x80-\x9f]")  # UTF-8: 0xc2 only ever leads a character


class JsonGuard:
    """Redaction by value for one JSON-family report, with the memo of strings already seen.

    ``value`` is applied to whatever is handed to the encoder, ``encoded`` to what it gives
    back. Together they give what ``safe_text`` gives on the finished text: each string
    redacted by the same rules, and a value assigned to a credential-named key
    (``"db_password": "x"``), which the text pass found across key and value, redacted too.
    """

    def __init__(self, marker: str = REDACTED) -> None:
        self._marker = marker
        self._seen: dict[str, str] = {}
        self._keys: dict[str, bool] = {}

    def text(self, text: str) -> str:
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = redact_credentials_in_text(text, self._marker)
        return found

    def value(self, value: Any) -> Any:
        """``value`` (dicts, lists, tuples, strings, scalars) with every string in it redacted; a new
        structure, the given one is left as it is (the report's values may be shared).

        A dict or list met twice in one call (edges share their decisions' forms) is walked once:
        ``value`` holds every part alive for the call, so an ``id`` is not reused during it."""
        walked: dict[int, Any] = {}
        seen = self._seen
        text = self.text
        credential_keys = self._keys

        # ``walk`` is handed itself rather than calling itself by name: a function that refers to
        # itself through its closure is a cycle, which the paused collector would never free, and
        # with it every copy made in the call.
        def walk(item: Any, walk: Any) -> Any:
            kind = type(item)
            if kind is str:
                found = seen.get(item)
                return text(item) if found is None else found
            if kind is dict:
                done = walked.get(id(item))
                if done is None:
                    done = walked[id(item)] = {}
                    for key, entry in item.items():
                        if type(key) is not str:
                            done[self._key(key)] = self._assigned(key, entry)
                            continue
                        credential = credential_keys.get(key)
                        if credential is None:
                            credential = credential_keys[key] = names_credential(key)
                        if credential:
                            entry = self._assigned_to_credential(key, entry)
                        elif type(entry) is str:  # most entries: a string seen before
                            found = seen.get(entry)
                            entry = text(entry) if found is None else found
                        else:
                            entry = walk(entry, walk)
                        found = seen.get(key)
                        done[text(key) if found is None else found] = entry
                return done
            if kind is list or kind is tuple:
                done = walked.get(id(item))
                if done is None:
                    done = walked[id(item)] = [walk(entry, walk) for entry in item]
                return done
            if item is None or kind is int or kind is float or kind is bool:
                return item
            return self._other(item, lambda entry: walk(entry, walk))

        return walk(value, walk)

    def _other(self, item: Any, walk: Callable[[Any], Any]) -> Any:
        if isinstance(item, str):
            return self.text(item)
        if isinstance(item, dict):
            return {self._key(key): self._assigned(key, entry) for key, entry in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(entry) for entry in item]
        if isinstance(item, Enum):  # the encoder writes an enum as its value
            return walk(item.value)
        if isinstance(item, (int, float)):
            return item
        # Anything else the encoder would turn into text (a dataclass, a date) is not checked:
        # refuse it rather than let a string bypass the rules.
        raise TypeError(f"a JSON report holds a {type(item).__name__}, which redaction cannot see into")

    def _key(self, key: Any) -> Any:
        return self.text(key) if isinstance(key, str) else key

    def _assigned(self, key: Any, item: Any) -> Any:
        if not isinstance(key, str):
            return self.value(item)
        credential = self._keys.get(key)
        if credential is None:
            credential = self._keys[key] = names_credential(key)
        return self._assigned_to_credential(key, item) if credential else self.value(item)

    def _assigned_to_credential(self, key: str, item: Any) -> Any:
        if isinstance(item, (dict, list, tuple)):
            return self.value(item)
        if isinstance(item, str):
            return redact_value_assigned_to(key, item, self._marker)
        if isinstance(item, (int, float)) and not isinstance(item, bool) and len(str(item)) >= 3:
            # A number assigned to a credential name (a PIN): the text pass wrote the bare marker
            # in its place, which is not JSON; the marker as a string keeps the report parseable.
            return self._marker
        return self.value(item)

    @staticmethod
    def encoded(data: bytes) -> bytes:
        """Encoded JSON with raw C1 controls and DEL written as ``\\u00NN`` escapes."""
        if b"\x7f" not in data and b"\xc2" not in data:
            return data
        return _RAW_C1_OR_DELETE.sub(lambda match: b"\\u%04x" % ord(match.group(0).decode("utf-8")), data)


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
