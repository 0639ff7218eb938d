"""Reading a waiver file: every problem is one line naming the file and the line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import yaml

from preflight import safe_yaml
from preflight.engine.finding import Finding
from preflight.errors import InputError, Location
from preflight.redaction import redact_credentials_in_text
from preflight.snapshot.interface import SourceRef
from preflight.waivers.interface import Waiver, WaiverReview

# A glob-free minor prefix: ``1.21-*`` waives that release's changes, no others.
_NAMES_A_MINOR = re.compile(r"^\d+\.\d+-")
REQUIRED_KEYS = ("change", "resource", "reason", "ticket", "expires")


def load_waivers(path: str) -> tuple[Waiver, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise InputError(f"cannot read waiver file: {reason}", Location(path)) from None
    return parse_waivers(text, path)


def parse_waivers(text: str, path: str) -> tuple[Waiver, ...]:
    try:
        root = safe_yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise InputError(f"waiver file is not valid YAML: {problem}", Location(path, line)) from None
    if root is None:
        return ()
    items = root
    if isinstance(root, yaml.MappingNode):
        found = _mapping(root, path)
        unknown = set(found) - {"waivers"}
        if unknown:
            key = sorted(unknown)[0]
            raise InputError(f"unknown top-level key '{key}' (expected 'waivers')", _where(path, found[key][0]))
        if "waivers" not in found:
            raise InputError("waiver file needs a 'waivers' list", _where(path, root))
        items = found["waivers"][1]
    if not isinstance(items, yaml.SequenceNode):
        raise InputError("'waivers' must be a list of waivers", _where(path, items))
    return tuple(_waiver(node, path) for node in items.value)


def review(waivers: Iterable[Waiver], findings: Iterable[Finding], today: date, file: str) -> WaiverReview:
    """Which findings each waiver accepts today; expired and unused waivers are kept to be reported."""
    waivers = tuple(waivers)
    live = [w for w in waivers if not w.is_expired(today)]
    expired = tuple(w for w in waivers if w.is_expired(today))
    waived: dict[str, Waiver] = {}
    expired_matches: dict[str, Waiver] = {}
    used: set[int] = set()
    for finding in findings:
        key = finding.id
        for index, waiver in enumerate(live):
            if waiver.matches(finding):
                waived.setdefault(key, waiver)
                used.add(index)
        if key not in waived:
            stale = next((w for w in expired if w.matches(finding)), None)
            if stale is not None:
                expired_matches[key] = stale
    unused = tuple(w for index, w in enumerate(live) if index not in used)
    return WaiverReview(file, today, waivers, waived, expired, expired_matches, unused)


def _waiver(node: yaml.Node, path: str) -> Waiver:
    if not isinstance(node, yaml.MappingNode):
        raise InputError("each waiver must be a mapping with " + ", ".join(REQUIRED_KEYS), _where(path, node))
    found = _mapping(node, path)
    unknown = set(found) - set(REQUIRED_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise InputError(
            f"unknown waiver key '{key}' (expected {', '.join(REQUIRED_KEYS)})", _where(path, found[key][0])
        )
    missing = [key for key in REQUIRED_KEYS if key not in found]
    if missing:
        raise InputError(f"waiver is missing '{missing[0]}': every waiver needs " + ", ".join(REQUIRED_KEYS),
                         _where(path, node))
    values = {key: _text(found[key][1], key, path) for key in REQUIRED_KEYS}
    resource = values["resource"]
    parts = resource.split("/")
    # A cluster-scoped resource has an empty namespace: Kind//name.
    if len(parts) not in (2, 3) or not parts[0] or not parts[-1] or (len(parts) == 2 and not parts[1]):
        raise InputError(
            f"resource '{resource}' must be Kind/namespace/name, Kind//name or namespace/name (globs allowed)",
            _where(path, found["resource"][1]),
        )
    try:
        expires = date.fromisoformat(values["expires"])
    except ValueError:
        raise InputError(
            f"expires '{values['expires']}' is not a date (YYYY-MM-DD)", _where(path, found["expires"][1])
        ) from None
    change = values["change"]
    if any(glob in change for glob in "*?[") and not _NAMES_A_MINOR.match(change):
        raise InputError(
            f"change '{change}' would waive changes of every release: name an id, or a pattern that starts "
            "with its minor (1.21-*)",
            _where(path, found["change"][1]),
        )
    return Waiver(
        change=change,
        resource=resource,
        # Free text people paste into; a report quotes it, so credentials go here, as at every output.
        reason=redact_credentials_in_text(values["reason"]),
        ticket=redact_credentials_in_text(values["ticket"]),
        expires=expires,
        source=SourceRef(path, node.start_mark.line + 1),
    )


def _mapping(node: yaml.MappingNode, path: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
        if key in found:
            raise InputError(f"key '{key}' appears twice", _where(path, key_node))
        found[key] = (key_node, value_node)
    return found


def _text(node: yaml.Node, key: str, path: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise InputError(f"'{key}' must be a non-empty text", _where(path, node))
    return str(node.value).strip()


def _where(path: str, node: yaml.Node) -> Location:
    return Location(path, node.start_mark.line + 1)
