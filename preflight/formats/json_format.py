"""The JSON report: a public contract, ``schema: preflight/v1``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import orjson

from preflight.engine.interface import ChangeOutcome, Deferred, Finding, FindingStatus, Report
from preflight.formats.interface import collector_paused
from preflight.kb.interface import KBEntry
from preflight.snapshot.interface import ObjectRef

SCHEMA = "preflight/v1"


def render(report: Report) -> str:
    # Decoding piece by piece, then joining, copies the report once less than decoding it whole.
    return "".join(list(render_pieces(report)))


def render_pieces(report: Report) -> Iterator[str]:
    """``render``'s text piece by piece, for writing the report as it is encoded."""
    return (chunk.decode("utf-8") for chunk in chunks(report))


def chunks(report: Report) -> Iterator[bytes]:
    """The report's bytes piece by piece, exactly as ``render`` joins them, for writing as it goes.

    orjson writes the same two-space layout as ``json.dumps(indent=2)`` an order of magnitude
    faster. The long lists (services, findings, edges) are encoded a batch at a time, from
    dicts built only for that batch, and indented to their depth: on a large cluster the
    whole document as dicts was larger than the snapshot it came from.
    """
    with collector_paused():
        items = list(_document(report, streamed=True).items())
        yield b"{\n"
        for index, (key, value) in enumerate(items):
            yield b"  " + orjson.dumps(key) + b": "
            if isinstance(value, _Lazy) or (isinstance(value, list) and len(value) > _BATCH):
                yield from _list_chunks(value)
            else:
                yield _indented(orjson.dumps(value, option=_OPTIONS), 1)
            yield b",\n" if index < len(items) - 1 else b"\n"
        yield b"}\n"


_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
_BATCH = 2000


class _Lazy:
    """A top-level list of the document built item by item while it is encoded."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def _list_chunks(values: Iterable[Any]) -> Iterator[bytes]:
    """A list two spaces deep, as orjson would indent it in place: its items four spaces in."""
    iterator = iter(values)
    first = True
    while batch := list(islice(iterator, _BATCH)):
        encoded = orjson.dumps(batch, option=_OPTIONS)
        # b"[\n  item,\n  item\n]": keep the items, indent every line one level deeper.
        yield (b"[\n    " if first else b",\n    ") + _indented(encoded[4:-2], 1)
        first = False
    yield b"[]" if first else b"\n  ]"


def _indented(encoded: bytes, levels: int) -> bytes:
    # A JSON string never holds a raw newline, so every b"\n" here is a line break of the layout.
    return encoded.replace(b"\n", b"\n" + b"  " * levels)


def to_document(report: Report) -> dict[str, Any]:
    return _document(report, streamed=False)


def _document(report: Report, streamed: bool) -> dict[str, Any]:
    tally = report.tally
    services = report.services
    entries = report.entries
    # What a finding says about its change is the same for every finding of it: built once per
    # change and shared (the document is only ever encoded, never edited).
    about: dict[str, _ChangeParts] = {}

    def parts(change: str) -> _ChangeParts:
        if change not in about:
            about[change] = _ChangeParts(entries.get(change))
        return about[change]

    service_items = (
        {
            "service": str(impact.service),
            "namespace": impact.service.namespace,
            "name": impact.service.name,
            "worst_severity": impact.worst.value,
            "affected": impact.affected,
            "findings": [_finding_ref(f) for f in impact.findings],
        }
        for impact in services
    )
    finding_items = (_finding_document(f, parts(f.change)) for f in report.findings)
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "tool": {"name": "istio-preflight", "version": report.tool_version},
        "generated_at": report.generated_at,
        "from": report.source_version,
        "to": report.target_version,
        "path": list(report.path),
        "releases_crossed": [line.to_json() for line in report.lines_crossed],
        "version_note": report.version_note,
        "snapshot": {
            "sources": list(report.snapshot.sources),
            "cluster": report.snapshot.cluster_name,
            "kubernetes_version": report.snapshot.kubernetes_version,
            "secrets_dropped": report.snapshot.dropped_secrets,
        },
        "fail_on": report.fail_on.value,
        "verdict": verdict(report),
        "summary": {
            "affected_by_severity": tally.findings,  # the "findings" count: one per change and resource
            "service_findings_by_severity": tally.service_findings,  # each finding once per service it names
            "by_status": tally.by_status,
            "services_affected": tally.services_affected,
            "unscoped": tally.unscoped,
            "waived": tally.waived,
            "changes": {
                status: sum(1 for c in report.changes if c.status.value == status)
                for status in ("hit", "mitigated", "field-report", "not-present", "advisory")
            },
        },
        "fail_on_field_reports": report.fail_on_field_reports,
        "notes": list(report.notes),
        "services": _Lazy(service_items) if streamed else list(service_items),
        "findings": _Lazy(finding_items) if streamed else list(finding_items),
        "changes": [_change(c) for c in report.changes],
    }
    document.update(report.extra)
    for key, value in document.items():
        if isinstance(value, Deferred):
            document[key] = _Lazy(value) if streamed else list(value)
    return document


def verdict(report: Report) -> str:
    """``blocked`` when the gate fails; ``safe-with-mitigations`` when findings remain below it or mitigated."""
    if report.gate_findings(report.fail_on):
        return "blocked"
    return "safe-with-mitigations" if report.findings else "safe"


def finding_id(finding: Finding) -> str:
    """Stable across runs: change, cluster, resource, and what tells findings on one resource apart."""
    local = f"{finding.change}:{finding.resource.kind}/{finding.resource.namespace}/{finding.resource.name}"
    for discriminator in ("edge", "phase"):  # one call path; one phase of the canary
        if finding.details.get(discriminator):
            local += f"@{finding.details[discriminator]}"
    return f"{finding.cluster}/{local}" if finding.cluster else local


def _finding_ref(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding_id(finding),
        "change": finding.change,
        "severity": finding.severity.value,
        "status": finding.status.value,
    }


class _ChangeParts:
    """The parts of a finding's document that come from its KB entry."""

    __slots__ = (
        "caveats",
        "compatibility_version",
        "env",
        "how",
        "mesh_config",
        "provenance",
        "remediation",
        "title",
        "upstream",
    )

    def __init__(self, entry: KBEntry | None) -> None:
        self.title = entry.title if entry else None
        self.how = entry.mitigation.text if entry else None
        self.env = dict(entry.mitigation.env) if entry else {}
        self.mesh_config = dict(entry.mitigation.mesh_config) if entry else {}
        self.compatibility_version = entry.mitigation.compatibility_version if entry else None
        self.remediation = entry.remediation if entry else None
        self.upstream = _upstream(entry)
        self.provenance = entry.provenance if entry else None
        self.caveats = list(entry.caveats) if entry else []


def finding_document(finding: Finding, entry: KBEntry | None) -> dict[str, Any]:
    return _finding_document(finding, _ChangeParts(entry))


def _finding_document(finding: Finding, parts: _ChangeParts) -> dict[str, Any]:
    return {
        "id": finding_id(finding),
        "change": finding.change,
        "title": parts.title,
        "introduced_in": finding.introduced_in,
        "severity": finding.severity.value,
        "status": finding.status.value,
        "mitigation": {
            "applied": finding.mitigation_reason,
            "how": parts.how,
            "env": parts.env,
            "mesh_config": parts.mesh_config,
            "compatibility_version": parts.compatibility_version,
        },
        "remediation": parts.remediation,
        "upstream": parts.upstream,
        "provenance": parts.provenance,
        "caveats": parts.caveats,
        **_field_report(finding),
        "resource": _resource(finding.resource),
        "location": (
            {"file": finding.source.file, "line": finding.source.line} if finding.source is not None else None
        ),
        "services": [str(s) for s in finding.services],
        "message": finding.message,
        **({"cluster": finding.cluster} if finding.cluster else {}),
    }


def _field_report(finding: Finding) -> dict[str, Any]:
    """A field report's calls at stake: it informs, decided with the documented semantics on both sides."""
    if finding.status is not FindingStatus.FIELD_REPORT:
        return {}
    calls = finding.details.get("watch_calls")
    return {
        "calls_at_stake": finding.details.get("calls_at_stake"),
        "watch_calls": calls.split("\n") if calls else [],
    }


def _change(outcome: ChangeOutcome) -> dict[str, Any]:
    entry = outcome.entry
    return {
        "id": entry.id,
        "title": entry.title,
        "introduced_in": str(outcome.introduced_in or entry.introduced_in),
        "release_lines": [str(v) for v in entry.release_lines.versions],
        "severity": entry.severity.value,
        "area": entry.area,
        "status": outcome.status.value,
        "affected": outcome.affected,
        "mitigated": outcome.mitigated,
        "mitigation_note": outcome.mitigation_note,
        "advisory": entry.advisory,
        "provenance": entry.provenance,
        "caveats": list(entry.caveats),
        **(
            {"field_reports": outcome.field_reports, "calls_at_stake": outcome.calls_at_stake, "gate": entry.gate}
            if entry.is_field_report
            else {}
        ),
        "upstream": _upstream(entry),
    }


def _upstream(entry: KBEntry | None) -> dict[str, list[str]]:
    if entry is None:
        return {"settings": [], "notes": [], "docs": []}
    return {
        "settings": list(entry.upstream.settings),
        "notes": list(entry.upstream.notes),
        "docs": list(entry.upstream.docs),
    }


def _resource(ref: ObjectRef) -> dict[str, str]:
    return {"apiVersion": ref.api_version, "kind": ref.kind, "namespace": ref.namespace, "name": ref.name}
