"""Comparing two JSON reports (``schema: preflight/v1``) finding by finding.

Findings are matched by their ``id`` (change, kind, namespace, name). A finding only in
the new report is *new*, only in the old one *fixed*, in both *still open*; for those,
deepdiff says which fields moved (status, severity, services, message).

Only those fields of a finding are read, and both shapes of the report have them: the current
one, where a finding names its KB entry by ``change``, and the earlier one, where every finding
repeated its entry's text. A report of either shape diffs against one of the other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from preflight.errors import InputError, Location

SCHEMA = "preflight/v1"
_COMPARED = ("severity", "status", "services", "message", "waiver")


@dataclass(frozen=True)
class ChangedFinding:
    id: str
    fields: tuple[str, ...]  # top-level fields that differ
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(frozen=True)
class ReportDiff:
    old_verdict: str
    new_verdict: str
    old_path: str  # "from → to" of each run
    new_path: str
    new: tuple[Mapping[str, Any], ...]
    fixed: tuple[Mapping[str, Any], ...]
    still_open: tuple[Mapping[str, Any], ...]
    changed: tuple[ChangedFinding, ...]


def read_report(path: str) -> Mapping[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read report: {getattr(error, 'strerror', None) or error}", Location(path)) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not a JSON report: {error.msg}", Location(path, error.lineno)) from None
    if not isinstance(document, Mapping) or document.get("schema") != SCHEMA:
        raise InputError(f"not a preflight JSON report (expected \"schema\": \"{SCHEMA}\")", Location(path, 1))
    if not isinstance(document.get("findings"), list):
        raise InputError("report has no 'findings' list", Location(path))
    return document


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> ReportDiff:
    before = _by_id(old)
    after = _by_id(new)
    changed = []
    for key in sorted(before.keys() & after.keys()):
        left = {k: before[key].get(k) for k in _COMPARED}
        right = {k: after[key].get(k) for k in _COMPARED}
        difference = DeepDiff(left, right, ignore_order=True)
        if difference:
            fields = sorted({path.split("'")[1] for path in difference.affected_paths})
            changed.append(ChangedFinding(key, tuple(fields), before[key], after[key]))
    return ReportDiff(
        old_verdict=str(old.get("verdict")),
        new_verdict=str(new.get("verdict")),
        old_path=f"{old.get('from')} → {old.get('to')}",
        new_path=f"{new.get('from')} → {new.get('to')}",
        new=tuple(after[k] for k in sorted(after.keys() - before.keys())),
        fixed=tuple(before[k] for k in sorted(before.keys() - after.keys())),
        still_open=tuple(after[k] for k in sorted(before.keys() & after.keys())),
        changed=tuple(changed),
    )


def _by_id(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found = {}
    for finding in document.get("findings", []):
        if isinstance(finding, Mapping) and isinstance(finding.get("id"), str):
            found[finding["id"]] = finding
    return found


def render_markdown(diff: ReportDiff) -> str:
    lines = [
        f"### Preflight: {diff.old_verdict} → {diff.new_verdict}",
        "",
        f"{len(diff.new)} new · {len(diff.fixed)} fixed · {len(diff.still_open)} still open"
        + (f" ({len(diff.changed)} changed)" if diff.changed else ""),
    ]
    if diff.old_path != diff.new_path:
        lines += ["", f"Upgrade path changed: was {diff.old_path}, now {diff.new_path}"]
    for title, items in (("New", diff.new), ("Fixed", diff.fixed)):
        if items:
            lines += ["", f"#### {title}", ""]
            lines += [f"- `{f.get('id')}` ({f.get('severity')}, {f.get('status')}): {f.get('message')}" for f in items]
    if diff.changed:
        lines += ["", "#### Changed", ""]
        for item in diff.changed:
            moves = ", ".join(
                f"{name}: {item.before.get(name)!s} → {item.after.get(name)!s}" for name in item.fields
            )
            lines.append(f"- `{item.id}`: {moves}")
    if diff.still_open:
        lines += ["", "#### Still open", ""]
        lines += [f"- `{f.get('id')}` ({f.get('severity')}, {f.get('status')})" for f in diff.still_open]
    return "\n".join(lines) + "\n"


def diff_to_json(diff: ReportDiff) -> dict[str, Any]:
    return {
        "verdict": {"old": diff.old_verdict, "new": diff.new_verdict},
        "new": [f.get("id") for f in diff.new],
        "fixed": [f.get("id") for f in diff.fixed],
        "still_open": [f.get("id") for f in diff.still_open],
        "changed": [{"id": c.id, "fields": list(c.fields)} for c in diff.changed],
    }
