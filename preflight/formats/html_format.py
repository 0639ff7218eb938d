"""One self-contained HTML file (inline CSS, SVG and JS; no network), from ``reports/report.html.j2``.

Everything the page shows is in the HTML itself: filters are radio buttons styled with
CSS ``:has()`` and the sections are anchored, so the report works with scripts off and
prints whole; the inline script only adds free-text search and sortable columns.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import jinja2

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.footprint.interface import format_bytes, format_cores
from preflight.formats.json_format import verdict
from preflight.kb.interface import Severity
from preflight.plan.owners import team_of
from preflight.plan.render import STOPS_WHY
from preflight.resources import bundled_dir
from preflight.simulate.calls import Call, CallView, ServiceCalls, call_view
from preflight.snapshot.interface import SnapshotInfo, SourceRef

SEVERITIES = tuple(sorted(Severity, key=lambda s: -s.rank))
# A page a person reads, also at 20,000 services: longer tables end with how many more the JSON report has.
MAX_ROWS = 500  # finding rows, workloads of the footprint
MAX_ITEMS = 500  # callers (all tables together), resources listed under a check
MAX_CALLERS = 20  # callers of one service, other findings folded into one row
MAX_CALLS_PER_SERVICE = 50  # rows of one service in "Who can call what"
MAX_BARS = 20  # bars of a chart
MAX_MOVES = 100  # namespaces of one canary wave
_KIND_ORDER = {"breaks": 0, "opens": 1, "uncertain": 2, "reroutes": 3}
# Chart colour of each kind of edge change: breaking calls and opened access read as the worst.
_KIND_SEVERITY = {"breaks": "critical", "opens": "high", "uncertain": "medium", "reroutes": "low"}
_CHART_COLOURS = {"critical": "#8b0000", "high": "#b42318", "medium": "#9a6700", "low": "#0969da", "info": "#57606a"}


@dataclass(frozen=True)
class Row:
    """The affected (or waived) findings of one change on one service, as one table row."""

    service: str
    namespace: str
    team: str
    finding: Finding  # the first; the row speaks for all of them
    waiver: Any  # the Waiver accepting it, or None
    anchor: str
    more: tuple[Finding, ...] = ()  # the same change on other resources or callers of this service

    @property
    def count(self) -> int:
        return 1 + len(self.more)


@dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[tuple[str, int], ...]  # (severity, count)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.segments)


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_dir("reports"))),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["bytes"] = format_bytes
    environment.filters["cores"] = format_cores
    environment.filters["slug"] = _slug
    return environment


def render(report: Report) -> str:
    return "".join(_environment().get_template("report.html.j2").generate(**_context(report)))


def _context(report: Report) -> dict[str, Any]:
    reports = bundled_dir("reports")
    mesh_wide = report.mesh_wide
    excluded = {m.change for m in mesh_wide}
    waived = _waived(report)
    traffic = _requests_by_service(report)
    all_rows = _rows(report, excluded, waived)
    shown = _worst_first(all_rows, traffic)[:MAX_ROWS]
    shown.sort(key=lambda r: (-r.finding.severity.rank, r.team, r.service, r.finding.change))
    teams = _grouped(shown, all_rows)
    breaking = _breaking_callers(report)
    listed = {r.service for r in shown}
    with_rows = {r.service for r in all_rows}
    unlisted = sorted(
        ((service, callers) for service, callers in breaking.items() if service not in with_rows),
        key=lambda item: (-_breaks(item[1]), -traffic.get(item[0], 0), item[0]),
    )
    unscoped = [f for f in report.findings if not f.services and f.status is FindingStatus.AFFECTED]
    mitigated = [f for f in report.findings if f.status is FindingStatus.MITIGATED]
    footprint = report.footprint
    open_counts = _open_counts(report, waived)
    team_bars = _team_bars(all_rows)
    simulation = report.simulation
    calls = call_view(simulation) if simulation is not None and simulation.outcomes else None
    call_tables, hidden_call_services = _call_tables(calls)
    return {
        "calls": calls,
        "call_tables": call_tables,
        "hidden_call_services": hidden_call_services,
        "denied_today": calls.denied_today[:MAX_ITEMS] if calls else (),
        "hidden_denied_today": max(0, len(calls.denied_today) - MAX_ITEMS) if calls else 0,
        "report": report,
        "source_label": partial(_source_label, report.snapshot),
        "verdict": verdict(report),
        "tally": report.tally,
        "entries": report.entries,
        "rows": shown,
        "hidden_rows": len(all_rows) - len(shown),
        "hidden_services": len(with_rows) - len(listed),
        "max_rows": MAX_ROWS,
        "teams": teams,
        "mesh_wide": mesh_wide,
        "mesh_wide_waived": {m.change: sum(1 for f in m.findings if id(f) in waived) for m in mesh_wide},
        "filters": {
            "severity": [s.value for s in SEVERITIES if any(r.finding.severity is s for r in shown)],
            "team": sorted({team for team, _, _ in teams}),
            "namespace": sorted({r.namespace for r in shown}),
            "change": sorted({r.finding.change for r in shown}),
        },
        "unscoped": unscoped[:MAX_ROWS],
        "hidden_unscoped": max(0, len(unscoped) - MAX_ROWS),
        "mitigated": mitigated[:MAX_ROWS],
        "field_reports": report.field_reports[:MAX_ROWS],
        "hidden_field_reports": max(0, len(report.field_reports) - MAX_ROWS),
        "field_reports_counted": report.fail_on_field_reports
        or any(report.field_report_fails_gate(f.change) for f in report.field_reports),
        "hidden_mitigated": max(0, len(mitigated) - MAX_ROWS),
        "coverage": _coverage(report),
        "severity_chart": _severity_bars(open_counts),
        "team_chart": team_bars[:MAX_BARS],
        "hidden_team_bars": max(0, len(team_bars) - MAX_BARS),
        "colours": _CHART_COLOURS,
        "platform": getattr(report, "platform", None),
        "max_items": MAX_ITEMS,
        "max_more": MAX_CALLERS,
        "breaking": _callers_within_budget(breaking, [s for s in dict.fromkeys(r.service for r in shown)]),
        "breaking_total": {service: len(callers) for service, callers in breaking.items()},
        "unlisted": _callers_within_budget(dict(unlisted), [service for service, _ in unlisted][:MAX_ITEMS]),
        "hidden_unlisted": max(0, len(unlisted) - MAX_ITEMS),
        "edge_chart": _edge_bars(breaking)[:MAX_BARS],
        "waivers": report.waivers,
        "plan": report.canary_plan,
        "stops_why": STOPS_WHY.format(count=len(report.canary_plan.stops)) if report.canary_plan else "",
        "max_moves": MAX_MOVES,
        "footprint": footprint,
        "footprint_rows": sorted(footprint.workloads, key=lambda w: (-w.pods, w.workload))[:MAX_ROWS]
        if footprint is not None
        else [],
        "team_of": lambda namespace: team_of(report.teams, namespace),
        "stylesheet": (reports / "report.css").read_text(encoding="utf-8"),
        "script": (reports / "report.js").read_text(encoding="utf-8"),
    }


def _waived(report: Report) -> dict[int, Any]:
    """id(finding) → the Waiver accepting it, for every waived finding (looked up once per finding)."""
    if report.waivers is None:
        return {}
    found = {}
    for finding in report.findings:
        waiver = report.waivers.waiver_for(finding)
        if waiver is not None:
            found[id(finding)] = waiver
    return found


def _rows(report: Report, excluded: set[str], waived: Mapping[int, Any]) -> list[Row]:
    """Rows of the affected findings on services, leaving out the changes shown once as mesh-wide."""
    rows = []
    for impact in report.services:
        # One row per change and waiver on a service: a change reaching a service through
        # many callers or workloads reads as one thing to fix, with the details folded.
        grouped: dict[tuple[str, int], tuple[Any, list[Finding]]] = {}
        for finding in impact.findings:
            if finding.status is not FindingStatus.AFFECTED or finding.change in excluded:
                continue
            waiver = waived.get(id(finding))
            grouped.setdefault((finding.change, id(waiver)), (waiver, []))[1].append(finding)
        for waiver, findings in grouped.values():
            first = findings[0]
            rows.append(
                Row(
                    service=str(impact.service),
                    namespace=impact.service.namespace,
                    team=team_of(report.teams, impact.service.namespace),
                    finding=first,
                    waiver=waiver,
                    anchor=_slug(f"{impact.service}-{first.id}"),
                    more=tuple(findings[1:]),
                )
            )
    rows.sort(key=lambda r: (-r.finding.severity.rank, r.team, r.service, r.finding.change))
    return rows


def _worst_first(rows: Iterable[Row], traffic: Mapping[str, int]) -> list[Row]:
    """Which rows a capped page keeps: open before waived, worst severity, then the busiest services."""
    return sorted(
        rows,
        key=lambda r: (r.waiver is not None, -r.finding.severity.rank, -traffic.get(r.service, 0), r.team, r.service),
    )


def _requests_by_service(report: Report) -> Counter[str]:
    """Requests each service receives in the traffic the simulator decided (0 for declared traffic)."""
    traffic: Counter[str] = Counter()
    simulation = report.simulation
    for outcome in simulation.outcomes if simulation is not None else ():
        destination = outcome.edge.destination
        service = destination.service_ref or outcome.before.destination or destination.host
        traffic[str(service)] += outcome.edge.requests
    return traffic


def _source_label(snapshot: SnapshotInfo, source: SourceRef) -> str:
    shown = snapshot.shown_path(source.file)
    return f"{shown}:{source.line}" if source.line else shown


def _open_counts(report: Report, waived: Mapping[int, Any]) -> Counter[str]:
    """Affected, unwaived findings per severity: the headline's "findings" count less the waived ones."""
    counts: Counter[str] = Counter()
    for finding in report.findings:
        if finding.status is FindingStatus.AFFECTED and id(finding) not in waived:
            counts[finding.severity.value] += 1
    return counts


def _grouped(shown: Iterable[Row], every: Iterable[Row]) -> list[tuple[str, list[tuple[str, list[Row]]], int]]:
    """Team → service → shown rows, and how many rows of the team the page leaves out; worst team first."""
    by_team: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in shown:
        by_team[row.team][row.service].append(row)
    totals: Counter[str] = Counter()
    worst: dict[str, int] = {}
    for row in every:
        totals[row.team] += 1
        worst[row.team] = max(worst.get(row.team, 0), row.finding.severity.rank)
    ordered = sorted(totals, key=lambda team: (-worst[team], team))
    return [
        (
            team,
            sorted(by_team[team].items()) if team in by_team else [],
            totals[team] - sum(len(items) for items in by_team.get(team, {}).values()),
        )
        for team in ordered
    ]


def _coverage(report: Report) -> list[dict[str, Any]]:
    """Per release line crossed: entries its releases bring, how many a detector checks, how many are advisory."""
    by_minor: dict[str, list[Any]] = defaultdict(list)
    for outcome in report.changes:
        brought_by = outcome.introduced_in or outcome.entry.introduced_in
        by_minor[brought_by.minor_text].append(outcome)
    return [
        {
            "minor": line.minor,
            "releases": line.label,
            "entries": len(by_minor.get(line.minor, [])),
            "detected": sum(1 for o in by_minor.get(line.minor, []) if o.entry.detector is not None),
            "advisory": sum(1 for o in by_minor.get(line.minor, []) if o.entry.detector is None),
            "hit": sum(1 for o in by_minor.get(line.minor, []) if o.status.value in ("hit", "mitigated")),
        }
        for line in report.lines_crossed
    ]


def _severity_bars(counts: Counter[str]) -> list[Bar]:
    return [Bar(s.value, ((s.value, counts[s.value]),)) for s in SEVERITIES if counts[s.value]]


def _team_bars(rows: list[Row]) -> list[Bar]:
    """Open service-specific findings per team (mesh-wide changes are the platform's, shown once)."""
    by_team: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.waiver is None:
            by_team[row.team][row.finding.severity.value] += row.count
    bars = [Bar(team, tuple((s.value, c[s.value]) for s in SEVERITIES if c[s.value])) for team, c in by_team.items()]
    return sorted(bars, key=lambda b: (-b.total, b.label))


def _breaking_callers(report: Report) -> Mapping[str, list[dict[str, Any]]]:
    """Service → callers whose calls the simulator says change (breaks first), when it ran."""
    simulation = getattr(report, "simulation", None)
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for outcome in getattr(simulation, "changed", ()) or ():
        destination = outcome.edge.destination
        service = destination.service_ref or outcome.before.destination or destination.host
        kind = getattr(outcome.kind, "value", str(outcome.kind))
        found[str(service)].append(
            {
                "caller": str(outcome.edge.source),
                "kind": kind,
                "before": _decision(outcome.before),
                "after": _decision(outcome.after),
                "change": outcome.change or "",
                "port": str(destination.service_port or destination.target_port or ""),
                "requests": outcome.edge.requests,
                "observed": simulation.traffic_is_observed if simulation is not None else False,
                "why_before": list(outcome.before.reasons),
                "why_after": list(outcome.after.reasons),
            }
        )
    for items in found.values():
        # Breaks first, then by how much real traffic the call carries.
        items.sort(key=lambda i: (_KIND_ORDER.get(i["kind"], 9), -int(i["requests"]), i["caller"]))
    return dict(sorted(found.items()))


def _breaks(callers: list[dict[str, Any]]) -> int:
    return sum(1 for caller in callers if caller["kind"] == "breaks")


def _callers_within_budget(
    breaking: Mapping[str, list[dict[str, Any]]], services: Iterable[str]
) -> dict[str, list[dict[str, Any]]]:
    """The callers tables a page shows: services in the order given, until ``MAX_ITEMS`` callers are in."""
    shown: dict[str, list[dict[str, Any]]] = {}
    budget = MAX_ITEMS
    for service in services:
        callers = breaking.get(service)
        if not callers:
            continue
        if budget <= 0:
            shown[service] = []  # the table says how many callers change and where to read them
            continue
        shown[service] = callers[: min(budget, MAX_CALLERS)]
        budget -= len(shown[service])
    return shown


def _call_tables(view: CallView | None) -> tuple[list[tuple[ServiceCalls, tuple[Call, ...], int]], int]:
    """Per service the calls the page shows (changed first), until ``MAX_ITEMS`` calls are in; services left out."""
    if view is None:
        return [], 0
    tables: list[tuple[ServiceCalls, tuple[Call, ...], int]] = []
    budget = MAX_ITEMS
    for index, service in enumerate(view.services):
        if budget <= 0:
            return tables, len(view.services) - index
        shown = service.calls[: min(budget, MAX_CALLS_PER_SERVICE)]
        budget -= len(shown)
        tables.append((service, shown, len(service.calls) - len(shown)))
    return tables, 0


def _decision(side: Any) -> str:
    return f"{side.decision}" + (f" by {side.policy}" if side.policy else "")


def _edge_bars(breaking: Mapping[str, list[dict[str, Any]]]) -> list[Bar]:
    """Per service, callers whose calls break (red), open up (high) or can no longer be decided (amber)."""
    bars = []
    for service, items in breaking.items():
        kinds = Counter(i["kind"] for i in items)
        segments = tuple((severity, kinds[kind]) for kind, severity in _KIND_SEVERITY.items() if kinds[kind])
        bars.append(Bar(service, segments))
    return sorted((b for b in bars if b.total), key=lambda b: (-b.total, b.label))


# ``\w`` is exactly ``str.isalnum`` or "_": every other character but "-" and "." becomes "-".
_NOT_SLUG = re.compile(r"[^\w.-]")


def _slug(text: Any) -> str:
    return _NOT_SLUG.sub("-", str(text)).strip("-").lower()
