"""Comparing two JSON reports (``schema: preflight/v1``) finding by finding.

Findings are matched by their ``id`` (change, kind, namespace, name). A finding only in
the new report is *new*, only in the old one *fixed*, in both *still open*; for those,
deepdiff says which fields moved (status, severity, services, message).

Only those fields of a finding are read, and both shapes of the report have them: the current
one, where a finding names its KB entry by ``change``, and the earlier one, where every finding
repeated its entry's text. A report of either shape diffs against one of the other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

from preflight import safe_json
from preflight.bounded_read import read_bounded
from preflight.errors import InputError, Location
from preflight.formats.markdown_format import cell_text, code_span

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


# A JSON report of 20,000 services is about 0.5 GiB; a device or a pipe says nothing of its size.
MAX_REPORT_BYTES = 2 * 1024 * 1024 * 1024


def read_report(path: str) -> Mapping[str, Any]:
    try:
        with Path(path).open("rb") as stream:
            text = read_bounded(stream, path, MAX_REPORT_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read report: {getattr(error, 'strerror', None) or error}", Location(path)) from None
    document = safe_json.parse(path, text, what="JSON report")
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


# GitHub refuses a comment over 65,536 characters; the rest is room for the notice of what was cut.
MAX_COMMENT_CHARS = 60_000
_SEVERITIES = ("critical", "high", "medium", "low", "info")


def render_markdown(diff: ReportDiff, max_chars: int = MAX_COMMENT_CHARS) -> str:
    """The diff as a pull-request comment: new and fixed findings in full, then what changed among the
    still-open ones; those still open otherwise only as counts per severity (they were reviewed already).

    Should the lists not fit in ``max_chars``, the worst findings are kept and the comment says how
    many of each list it left out, and where the full lists are.
    """
    head = [
        f"### Preflight: {cell_text(diff.old_verdict)} → {cell_text(diff.new_verdict)}",
        "",
        f"{len(diff.new)} new · {len(diff.fixed)} fixed · {len(diff.still_open)} still open"
        + (f" ({len(diff.changed)} changed)" if diff.changed else ""),
    ]
    if diff.old_path != diff.new_path:
        head += ["", f"Upgrade path changed: was {cell_text(diff.old_path)}, now {cell_text(diff.new_path)}"]
    if diff.still_open:
        head += ["", f"Still open, by severity: {_per_severity(diff.still_open)}"]
    size = sum(len(line) + 1 for line in head)
    body: list[str] = []
    left_out: list[str] = []
    sections = (
        ("New", [_finding_line(f) for f in _worst_first(diff.new)]),
        ("Fixed", [_finding_line(f) for f in _worst_first(diff.fixed)]),
        ("Changed among the still open", [_changed_line(c) for c in diff.changed]),
    )
    for title, items in sections:
        if not items:
            continue
        heading = ["", f"#### {title}", ""]
        size += sum(len(line) + 1 for line in heading)
        body += heading
        shown = 0
        for line in items:
            if size + len(line) + 1 > max_chars:
                break
            body.append(line)
            size += len(line) + 1
            shown += 1
        if shown < len(items):
            left_out.append(f"{len(items) - shown} of {len(items)} {title.lower()}")
    if left_out:
        body += ["", f"_Cut to fit a comment: {'; '.join(left_out)} not listed. "
                 "`preflight diff --format json` lists every id; the JSON reports hold each finding._"]
    return "\n".join(head + body) + "\n"


def _worst_first(findings: tuple[Mapping[str, Any], ...]) -> list[Mapping[str, Any]]:
    rank = {name: index for index, name in enumerate(_SEVERITIES)}
    return sorted(findings, key=lambda f: rank.get(str(f.get("severity")), len(rank)))


def _per_severity(findings: tuple[Mapping[str, Any], ...]) -> str:
    counts = Counter(str(f.get("severity")) for f in findings)
    known = [f"{name} {counts.pop(name)}" for name in _SEVERITIES if name in counts]
    return ", ".join(known + [f"{cell_text(name)} {count}" for name, count in sorted(counts.items())])


def _finding_line(finding: Mapping[str, Any]) -> str:
    return (
        f"- {code_span(str(finding.get('id')))} ({cell_text(str(finding.get('severity')))}, "
        f"{cell_text(str(finding.get('status')))}): {cell_text(str(finding.get('message')))}"
    )


def _changed_line(item: ChangedFinding) -> str:
    moves = ", ".join(
        f"{name}: {cell_text(str(item.before.get(name)))} → {cell_text(str(item.after.get(name)))}"
        for name in item.fields
    )
    return f"- {code_span(item.id)}: {moves}"


def diff_to_json(diff: ReportDiff) -> dict[str, Any]:
    return {
        "verdict": {"old": diff.old_verdict, "new": diff.new_verdict},
        "new": [f.get("id") for f in diff.new],
        "fixed": [f.get("id") for f in diff.fixed],
        "still_open": [f.get("id") for f in diff.still_open],
        "changed": [{"id": c.id, "fields": list(c.fields)} for c in diff.changed],
    }
