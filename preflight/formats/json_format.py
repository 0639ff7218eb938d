"""The JSON report: a public contract, ``schema: preflight/v1``.

Every section of the report is here, built from its typed value: findings, services, changes,
platform readiness, edges and their simulation, waivers, clusters, teams, mesh-wide changes,
the canary plan and the mesh footprint (``null`` or empty when the run did not compute it).
What a KB entry says (title, mitigation, remediation, upstream, caveats) is written once, under
``changes`` (``platform_checks`` for the platform checks); a finding names its entry by ``change``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from itertools import islice
from typing import Any

import orjson

from preflight.engine.interface import ChangeOutcome, ClusterReport, Finding, FindingStatus, Report
from preflight.engine.mesh_wide import MeshWideChange
from preflight.footprint.interface import MeshFootprint
from preflight.formats.safety import JsonGuard
from preflight.kb.interface import KBEntry
from preflight.plan.interface import CanaryPlan
from preflight.platform.interface import PlatformReadiness, ReleaseSupport
from preflight.simulate.interface import EdgeDecision, SimulationResult
from preflight.snapshot.interface import ObjectRef
from preflight.traffic.interface import Destination, Source
from preflight.waivers.interface import Waiver, WaiverReview

SCHEMA = "preflight/v1"


def render(report: Report) -> str:
    """The report, redacted (``safety.JsonGuard``). Decoding piece by piece, then joining, copies
    the report once less than decoding it whole."""
    return "".join(list(render_pieces(report)))


def render_pieces(report: Report) -> Iterator[str]:
    """``render``'s text piece by piece, for writing the report as it is encoded."""
    return (chunk.decode("utf-8") for chunk in render_encoded(report))


def render_encoded(report: Report) -> Iterator[bytes]:
    """``render_pieces`` as the encoder gives them, UTF-8 bytes, for a writer that takes bytes."""
    return chunks(report, JsonGuard())


def chunks(report: Report, guard: JsonGuard | None = None) -> Iterator[bytes]:
    """The report's bytes piece by piece, exactly as ``render`` joins them, for writing as it goes.

    orjson writes the same two-space layout as ``json.dumps(indent=2)`` an order of magnitude
    faster. The long lists (services, findings, edges) are encoded a batch at a time, from
    dicts built only for that batch, and indented to their depth: on a large cluster the
    whole document as dicts was larger than the snapshot it came from. With a ``guard``, all
    that is encoded passes it first, every key and value (redaction), and the bytes after.
    """

    def encoded(value: Any, option: int = _OPTIONS) -> bytes:
        if guard is None:
            return orjson.dumps(value, option=option)
        return guard.encoded(orjson.dumps(guard.value(value), option=option))

    items = list(_document(report, streamed=True).items())
    yield b"{\n"
    for index, (key, value) in enumerate(items):
        yield b"  " + encoded(key, 0) + b": "
        if isinstance(value, _Lazy) or (isinstance(value, list) and len(value) > _BATCH):
            yield from _list_chunks(value, encoded)
        else:
            yield _indented(encoded(value), 1)
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


def _plain(value: Any) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)


def _list_chunks(values: Iterable[Any], encoded: Callable[[Any], bytes] = _plain) -> Iterator[bytes]:
    """A list two spaces deep, as orjson would indent it in place: its items four spaces in."""
    iterator = iter(values)
    first = True
    while batch := list(islice(iterator, _BATCH)):
        encoded_batch = encoded(batch)
        # b"[\n  item,\n  item\n]": keep the items, indent every line one level deeper.
        yield (b"[\n    " if first else b",\n    ") + _indented(encoded_batch[4:-2], 1)
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

    def listed(items: Iterable[Any]) -> Any:
        return _Lazy(items) if streamed else list(items)

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
    entries = report.entries
    change_ids = {c.entry.id for c in report.changes}
    return {
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
        "services": listed(service_items),
        "findings": listed(finding_document(f, entries) for f in report.findings),
        "changes": [_change(c) for c in report.changes],
        # Platform checks that fired: what they say, once, as ``changes`` does for KB entries.
        "platform_checks": [
            _entry_text(entry) for key, entry in sorted(report.platform_entries.items()) if key not in change_ids
        ],
        "platform": platform_to_json(report.platform) if report.platform is not None else None,
        "edges": listed(_report_edges(report)),
        "simulation": simulation_to_json(report.simulation) if report.simulation is not None else None,
        "waivers": waivers_to_json(report.waivers) if report.waivers is not None else None,
        "clusters": [cluster_to_json(c) for c in report.clusters],
        "teams": dict(sorted(report.teams.items())),
        "mesh_wide": [mesh_wide_to_json(m) for m in report.mesh_wide],
        "plan": plan_to_json(report.canary_plan) if report.canary_plan is not None else None,
        "footprint": footprint_to_json(report.footprint) if report.footprint is not None else None,
    }


def verdict(report: Report) -> str:
    """``blocked`` when the gate fails; ``safe-with-mitigations`` when findings remain below it or mitigated."""
    if report.gate_findings(report.fail_on):
        return "blocked"
    return "safe-with-mitigations" if report.findings else "safe"


# Findings and the KB entries they name ------------------------------------------------


def _finding_ref(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "change": finding.change,
        "severity": finding.severity.value,
        "status": finding.status.value,
    }


def finding_document(finding: Finding, entries: Mapping[str, KBEntry]) -> dict[str, Any]:
    """One finding; what its entry says is under ``changes`` (or ``platform_checks``) by ``change``."""
    entry = entries.get(finding.change)
    return {
        "id": finding.id,
        "change": finding.change,
        "introduced_in": finding.introduced_in,
        "severity": finding.severity.value,
        "status": finding.status.value,
        "provenance": entry.provenance if entry is not None else None,
        "mitigation": {"applied": finding.mitigation_reason},
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
        "mitigation": _mitigation(entry),
        "remediation": entry.remediation,
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


def _entry_text(entry: KBEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "title": entry.title,
        "severity": entry.severity.value,
        "area": entry.area,
        "mitigation": _mitigation(entry),
        "remediation": entry.remediation,
        "provenance": entry.provenance,
        "caveats": list(entry.caveats),
        "upstream": _upstream(entry),
    }


def _mitigation(entry: KBEntry) -> dict[str, Any]:
    """How the old behaviour is kept, as far as the target still allows (the engine's advice at the target)."""
    return {
        "how": entry.mitigation.text,
        "env": dict(entry.mitigation.env),
        "mesh_config": dict(entry.mitigation.mesh_config),
        "compatibility_version": entry.mitigation.compatibility_version,
    }


def _upstream(entry: KBEntry) -> dict[str, list[str]]:
    return {
        "settings": list(entry.upstream.settings),
        "notes": list(entry.upstream.notes),
        "docs": list(entry.upstream.docs),
    }


def _resource(ref: ObjectRef) -> dict[str, str]:
    return {"apiVersion": ref.api_version, "kind": ref.kind, "namespace": ref.namespace, "name": ref.name}


# Edges and the simulation ------------------------------------------------------------

_EDGE_BATCH = 1000  # edges whose shared decision forms are kept at once


def _report_edges(report: Report) -> Iterator[dict[str, Any]]:
    """Every simulated edge; in a multi-cluster report each cluster's, labelled with its name."""
    if not report.clusters:
        if report.simulation is not None:
            yield from edge_items(report.simulation)
        return
    for cluster in report.clusters:
        if cluster.simulation is not None:
            for item in edge_items(cluster.simulation):
                yield {"cluster": cluster.name, **item}


def edges_to_json(result: SimulationResult) -> list[dict[str, Any]]:
    """The ``edges`` section of one simulation."""
    return list(edge_items(result))


def edge_items(result: SimulationResult, batch: int = _EDGE_BATCH) -> Iterator[dict[str, Any]]:
    """The edges one at a time: a large mesh has hundreds of thousands, written as they are built.

    Edges with the same decision share its JSON form within a batch: the items are for
    serialising, not for changing. The shared forms are dropped after each batch, so memory
    stays flat however many edges there are.
    """
    sides: dict[int, dict[str, Any]] = {}  # by decision; the result holds every decision, so ids stay unique
    # A caller has many edges and a destination many callers: their forms are shared the same way,
    # by value, so the redaction guard walks each once per batch.
    sources: dict[Source, dict[str, Any]] = {}
    destinations: dict[Destination, dict[str, Any]] = {}

    def side_json(side: EdgeDecision) -> dict[str, Any]:
        found = sides.get(id(side))
        if found is None:
            found = sides[id(side)] = _side_json(side)
        return found

    for position, outcome in enumerate(result.outcomes):
        if position % batch == 0:
            sides.clear()
            sources.clear()
            destinations.clear()
        edge = outcome.edge
        src, dst = edge.source, edge.destination
        source = sources.get(src)
        if source is None:
            source = sources[src] = {"namespace": src.namespace, "workload": src.workload, "principal": src.principal}
        destination = destinations.get(dst)
        if destination is None:
            destination = destinations[dst] = _destination_json(dst)
        item: dict[str, Any] = {
            "id": outcome.id,
            "source": source,
            "destination": destination,
            "protocol": edge.protocol,
            "mtls": edge.mtls.value,
            "requests": edge.requests,
            "origin": edge.origin.value,
            "before": side_json(outcome.before),
            "after": side_json(outcome.after),
        }
        if edge.method or edge.path:
            item["request"] = {"method": edge.method, "path": edge.path}
        if outcome.changed:
            item["change"] = outcome.change
            item["kind"] = outcome.kind.value if outcome.kind else None
        if outcome.watch:
            item["watch"] = list(outcome.watch)
        yield item


def _destination_json(dst: Destination) -> dict[str, Any]:
    data: dict[str, Any] = {
        "namespace": dst.namespace,
        "service": dst.service,
        "workload": dst.workload,
        "port": dst.service_port if dst.service_port is not None else dst.target_port,
    }
    if dst.host and not dst.service:
        data["host"] = dst.host
    return data


def _side_json(side: EdgeDecision) -> dict[str, Any]:
    policy = {"name": side.policy, "rule": side.rule} if side.policy else None
    data: dict[str, Any] = {"decision": side.decision.value, "policy": policy, "why": list(side.reasons)}
    if side.dry_run:
        data["dry_run"] = list(side.dry_run)
    if side.destination:
        data["routed_to"] = side.destination
    if side.allow_policies:
        data["allow_policies"] = list(side.allow_policies)
    return data


def simulation_to_json(result: SimulationResult) -> dict[str, Any]:
    """What the edge simulation rests on; the edges themselves are under ``edges``."""
    return {
        "traffic_is_observed": result.traffic_is_observed,
        "edges": len(result.outcomes),
        "changed": sum(1 for o in result.outcomes if o.changed),
        "applied": list(result.applied),
        "source_semantics": list(result.source_semantics),
        "watched": list(result.watched),
        "default_deny": list(result.default_deny),
        "notes": list(result.notes),
    }


# The sections later stages add ---------------------------------------------------------


def cluster_to_json(cluster: ClusterReport) -> dict[str, Any]:
    return {
        "name": cluster.name,
        "from": cluster.source_version,
        "version_note": cluster.version_note,
        "kubernetes_version": cluster.kubernetes_version,
        "sources": list(cluster.sources),
        "platform": platform_to_json(cluster.platform) if cluster.platform is not None else None,
    }


def mesh_wide_to_json(change: MeshWideChange) -> dict[str, Any]:
    return {
        "change": change.change,
        "severity": change.severity.value,
        "services": change.services,
        "meshed_services": change.meshed_services,
        "workloads": change.workloads,
        "resources": change.resources,
        "findings": [f.id for f in change.findings],
    }


def waivers_to_json(review: WaiverReview) -> dict[str, object]:
    """The ``waivers`` section: which finding each waiver accepts, and which lapsed."""

    def waiver(w: Waiver) -> dict[str, object]:
        return {"change": w.change, "resource": w.resource, "reason": w.reason, "ticket": w.ticket,
                "expires": w.expires.isoformat(), "location": {"file": w.source.file, "line": w.source.line}}

    return {
        "file": review.file,
        "date": review.today.isoformat(),
        "waived": [{"finding": key, **waiver(w)} for key, w in sorted(review.waived.items())],
        "coverage": [{**waiver(w), "findings": count} for w, count in review.coverage()],
        "expired": [waiver(w) for w in review.expired],
        "expired_matches": sorted(review.expired_matches),
        "unused": [waiver(w) for w in review.unused],
    }


def plan_to_json(plan: CanaryPlan) -> dict[str, object]:
    """The canary plan, as ``preflight plan --format json`` writes it and the ``plan`` section holds it."""
    return {
        "old_revisions": list(plan.old_revisions),
        "new_revision": plan.new_revision,
        "move_label": plan.move_label,
        "tags": list(plan.tags),
        "preparation": list(plan.preparation),
        "waves": [
            {
                "number": wave.number,
                "title": wave.title,
                "namespaces": [
                    {
                        "namespace": m.namespace,
                        "team": m.team,
                        "risk": m.risk.value,
                        "worst_severity": m.worst.value if m.worst else None,
                        "changes": list(m.blocking),
                        "current_label": m.current_label,
                        "injected_revisions": list(m.injected_revisions),
                        "commands": list(m.commands),
                    }
                    for m in wave.moves
                ],
            }
            for wave in plan.waves
        ],
        "finish": list(plan.finish),
        "stops": [
            {
                "number": s.number,
                "from": s.source,
                "to": s.target,
                "revision": s.revision,
                "findings_by_severity": dict(s.findings),
                "gate_changes": list(s.gate_changes),
                "changes": list(s.changes),
                "preparation": list(s.preparation),
                "finish": list(s.finish),
            }
            for s in plan.stops
        ],
        "mesh_wide": [
            {"change": s.change, "severity": s.severity.value, "reach": s.reach, "action": s.action, "stop": s.stop}
            for s in plan.mesh_wide
        ],
        "notes": list(plan.notes),
    }


def footprint_to_json(footprint: MeshFootprint) -> dict[str, Any]:
    """The sidecars' requests and limits: cores and bytes as numbers, ``null`` where a workload sets none."""

    def total(pair: tuple[Decimal, int]) -> dict[str, Any]:
        value, unknown = pair
        return {"total": _number(value), "pods_without": unknown}

    return {
        "injected_pods": footprint.injected_pods,
        "cpu_request_cores": total(footprint.cpu_request),
        "cpu_limit_cores": total(footprint.cpu_limit),
        "memory_request_bytes": total(footprint.memory_request),
        "memory_limit_bytes": total(footprint.memory_limit),
        "workloads": [
            {
                "workload": _resource(w.workload),
                "revision": w.revision,
                "pods": w.pods,
                "pods_source": w.pods_source,
                "cpu_request_cores": _number(w.cpu_request),
                "memory_request_bytes": _number(w.memory_request),
                "cpu_limit_cores": _number(w.cpu_limit),
                "memory_limit_bytes": _number(w.memory_limit),
                "resources_source": w.resources_source,
                "native_sidecar": w.native_sidecar,
            }
            for w in footprint.workloads
        ],
        "changes": [
            {
                "change": c.change,
                "title": c.title,
                "workloads": [_resource(w) for w in c.workloads],
                "pods": c.pods,
                "effect": c.effect,
                "memory_request_delta_bytes": _number(c.memory_request_delta),
                "cpu_request_delta_cores": _number(c.cpu_request_delta),
            }
            for c in footprint.changes
        ],
    }


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def platform_to_json(readiness: PlatformReadiness) -> dict[str, Any]:
    """The ``platform`` section: Kubernetes, data plane skew, revisions, Gateway API CRDs, support window."""
    kubernetes = readiness.kubernetes
    data_plane = readiness.data_plane
    revisions = readiness.revisions
    gateway_api = readiness.gateway_api
    support = readiness.support
    return {
        "kubernetes": {
            "version": kubernetes.version,
            "source": kubernetes.source,
            "minimum": kubernetes.minimum,
            "verdict": kubernetes.verdict.value,
        },
        "data_plane": {
            "verdict": data_plane.verdict.value,
            "pods": data_plane.pods,
            "stale": data_plane.stale,
            "native_sidecars": data_plane.native_sidecars,
            "groups": [
                {
                    "revision": g.revision,
                    "version": g.version,
                    "pods": g.pods,
                    "control_plane_version": g.control_plane_version,
                }
                for g in data_plane.groups
            ],
            "skew": [
                {
                    "phase": p.name,
                    "description": p.description,
                    "out_of_skew": p.out_of_skew,
                    "verdict": p.verdict.value,
                }
                for p in data_plane.phases
            ],
        },
        "revisions": {
            "verdict": revisions.verdict.value,
            "default": revisions.default_revision,
            "revisions": [
                {"name": r.name, "version": r.version, "tags": list(r.tags), "namespaces": list(r.namespaces)}
                for r in revisions.revisions
            ],
            "pinned_namespaces": list(revisions.pinned_namespaces),
            "conflicting_namespaces": list(revisions.conflicting_namespaces),
        },
        "gateway_api": {
            "verdict": gateway_api.verdict.value,
            "installed": gateway_api.installed,
            "bundle_version": gateway_api.bundle_version,
            "crds": [
                {
                    "kind": c.kind,
                    "served": list(c.served),
                    "needed": list(c.needed),
                    "missing": list(c.missing),
                    "verdict": c.verdict.value,
                }
                for c in gateway_api.crds
            ],
        },
        "support": {
            "report_date": support.report_date.isoformat(),
            "current": _release(support.current),
            "target": _release(support.target),
        },
        "findings": [_platform_finding(f) for f in readiness.findings],
        "notes": list(readiness.notes),
    }


def _release(release: ReleaseSupport) -> dict[str, Any]:
    return {
        "version": release.version,
        "released": release.released.isoformat() if release.released else None,
        "supported_until": release.supported_until.isoformat() if release.supported_until else None,
        "verdict": release.verdict.value,
        "source": release.source,
    }


def _platform_finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.change,
        "severity": finding.severity.value,
        "resource": {
            "kind": finding.resource.kind,
            "namespace": finding.resource.namespace,
            "name": finding.resource.name,
        },
        "services": [str(s) for s in finding.services],
        "message": finding.message,
        "source": str(finding.source) if finding.source else None,
        "details": dict(finding.details),
    }
