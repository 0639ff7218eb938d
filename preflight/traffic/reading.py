"""Reading a traffic file and pointing at the line that is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from preflight import safe_json, safe_yaml
from preflight.bounded_read import read_bounded
from preflight.errors import InputError, Location

MAX_TRAFFIC_BYTES = 512 * 1024 * 1024


def read_text(path: str) -> str:
    file = Path(path)
    try:
        if file.is_dir():
            raise InputError("is a directory, expected a traffic file", Location(path))
        with file.open("rb") as stream:
            data = read_bounded(stream, path, MAX_TRAFFIC_BYTES)
    except FileNotFoundError:
        raise InputError("no such file", Location(path)) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", Location(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError("not UTF-8 text", Location(path, data[: error.start].count(b"\n") + 1)) from None


def parse_json(name: str, text: str) -> Any:
    return safe_json.parse(name, text)


def json_line(text: str, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the value at ``path`` in a JSON text, or ``None`` when it cannot be told.

    The standard JSON parser keeps no positions, so on the (rare) error path the text is
    composed again as YAML, a superset of JSON whose nodes carry their marks.
    """
    try:
        node: yaml.Node | None = safe_yaml.compose(text)
    except yaml.YAMLError:
        return None
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            node = next((value for key, value in node.value if key.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def describe(path: Sequence[str | int]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def path_error(name: str, text: str, path: Sequence[str | int], message: str) -> InputError:
    return InputError(f"{describe(path)}: {message}", Location(name, json_line(text, path)))
