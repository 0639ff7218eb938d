"""JSON for every input the tool reads: the C decoder, refusing what YAML input is refused for, with a line.

``json.loads`` accepts duplicate keys (the last one silently wins, where the YAML reader
refuses the file), decodes a lone surrogate escape (``"\\ud800"``) into a string no UTF-8
output can hold, and fails on deep nesting or a huge integer with an exception that names
no position. Each is turned here into an ``InputError`` with the file and, wherever the
text allows, the line. Positions are only searched for on the error path: the C decoder
keeps none, so finding them costs a second look at the text, paid only by a bad file.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import yaml

from preflight import safe_yaml
from preflight.errors import InputError, Location

# Python refuses to convert longer digit strings to int (CVE-2020-10735); no Kubernetes field is near it.
_DIGIT_LIMIT = (sys.get_int_max_str_digits() or 4300) + 1
_LONG_INTEGER = re.compile(r"(?<![\w.\"'])[-+]?\d{" + str(_DIGIT_LIMIT) + ",}")
_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
_NESTING = re.compile(r'[\[\]{}]|"(?:[^"\\]|\\.)*"')


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# The decoder shares equal keys but builds a new string for every value; a snapshot repeats the
# same short values (namespaces, names, labels, image tags) tens of thousands of times, so they are
# shared too, as the YAML reader shares them. Longer values are rarely repeated.
_SHARED_VALUE_MAX = 64


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    intern = sys.intern
    mapping = {
        key: intern(value) if type(value) is str and len(value) <= _SHARED_VALUE_MAX else value for key, value in pairs
    }
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return mapping


def parse(name: str, text: str, what: str = "JSON") -> Any:
    """The value of ``text``; ``InputError`` naming ``name`` and the line for everything JSON cannot hold."""
    try:
        value = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as error:
        raise InputError(f"invalid {what}: {error.msg}", Location(name, error.lineno)) from None
    except _DuplicateKey as duplicate:
        raise InputError(
            f"duplicate key '{duplicate.key[:80]}'", Location(name, _duplicate_line(text, duplicate.key))
        ) from None
    except RecursionError:
        depth_line = _too_deep_line(text)
        raise InputError(f"{what} is nested too deeply", Location(name, depth_line)) from None
    except ValueError:  # only int() of an over-long digit string raises a bare ValueError here
        match = _LONG_INTEGER.search(text)
        line = text.count("\n", 0, match.start()) + 1 if match else None
        raise InputError(f"integer with more than {_DIGIT_LIMIT - 1} digits", Location(name, line)) from None
    if "\\u" in text:
        line = _lone_surrogate_line(text)
        if line is not None:
            raise InputError(
                "a \\u escape is half of a surrogate pair, not a character (not valid Unicode)", Location(name, line)
            )
    return value


def _lone_surrogate_line(text: str) -> int | None:
    """The line of the first ``\\uD800``-``\\uDFFF`` escape that is not part of a high+low pair."""
    pending_high: re.Match[str] | None = None
    for match in _SURROGATE_ESCAPE.finditer(text):
        if len(match.group(1)) % 2 == 0:
            continue  # an escaped backslash followed by a literal "u...": ordinary text
        code = int(match.group(2), 16)
        if pending_high is not None:
            if code >= 0xDC00 and match.start() == pending_high.end():
                pending_high = None
                continue
            return text.count("\n", 0, pending_high.start()) + 1
        if code >= 0xDC00:
            return text.count("\n", 0, match.start()) + 1
        pending_high = match
    if pending_high is not None:
        return text.count("\n", 0, pending_high.start()) + 1
    return None


def _too_deep_line(text: str, limit: int = 500) -> int | None:
    """The line where nesting first passes ``limit`` levels (brackets inside strings do not count)."""
    depth = 0
    for match in _NESTING.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, match.start()) + 1
        elif token in "]}":
            depth -= 1
    return None


def _duplicate_line(text: str, key: str) -> int | None:
    """The line of the second occurrence of ``key`` in one object, found through the YAML composer's marks."""
    try:
        root = safe_yaml.compose(text)
    except (yaml.YAMLError, RecursionError):
        return None
    stack: list[yaml.Node] = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key_node, value_node in node.value:
                if key_node.value == key and key in keys:
                    return int(key_node.start_mark.line) + 1
                keys.add(key_node.value)
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None
