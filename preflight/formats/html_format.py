"""One self-contained HTML file (inline CSS, SVG and JS; no network), from ``reports/report.html.j2``.

Everything the page shows is in the HTML itself: filters are radio buttons styled with
CSS ``:has()`` and the sections are anchored, so the report works with scripts off and
prints whole; the inline script only adds free-text search and sortable columns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.footprint.interface import format_bytes, format_cores
from preflight.formats.json_format import finding_id, verdict
from preflight.kb.interface import Severity
from preflight.plan.owners import team_of
from preflight.resources import bundled_dir

SEVERITIES = tuple(sorted(Severity, key=lambda s: -s.rank))
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
    reports = bundled_dir("reports")
    template = _environment().get_template("report.html.j2")
    rows = _rows(report)
    teams = _grouped(rows)
    unscoped = [f for f in report.findings if not f.services and f.status is FindingStatus.AFFECTED]
    return template.render(
        report=report,
        verdict=verdict(report),
        counts=report.counts(),
        open_counts=_open_counts(rows),
        entries=report.entries,
        rows=rows,
        teams=teams,
        filters={
            "severity": [s.value for s in SEVERITIES if any(r.finding.severity is s for r in rows)],
            "team": sorted({r.team for r in rows}),
            "namespace": sorted({r.namespace for r in rows}),
            "change": sorted({r.finding.change for r in rows}),
        },
        affected_services=sorted({r.service for r in rows if r.waiver is None}),
        unscoped=unscoped,
        mitigated=[f for f in report.findings if f.status is FindingStatus.MITIGATED],
        coverage=_coverage(report),
        severity_chart=_severity_bars(rows),
        team_chart=_team_bars(rows),
        colours=_CHART_COLOURS,
        platform=getattr(report, "platform", None),
        breaking=_breaking_callers(report),
        edge_chart=_edge_bars(_breaking_callers(report)),
        waivers=report.waivers,
        plan=report.canary_plan,
        footprint=report.footprint,
        finding_id=finding_id,
        team_of=lambda namespace: team_of(report.teams, namespace),
        stylesheet=(reports / "report.css").read_text(encoding="utf-8"),
        script=(reports / "report.js").read_text(encoding="utf-8"),
    )


def _rows(report: Report) -> list[Row]:
    rows = []
    for impact in report.services:
        # One row per change and waiver on a service: a change reaching a service through
        # many callers or workloads reads as one thing to fix, with the details folded.
        grouped: dict[tuple[str, int], tuple[Any, list[Finding]]] = {}
        for finding in impact.findings:
            if finding.status is not FindingStatus.AFFECTED:
                continue
            waiver = report.waivers.waiver_for(finding) if report.waivers is not None else None
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
                    anchor=_slug(f"{impact.service}-{finding_id(first)}"),
                    more=tuple(findings[1:]),
                )
            )
    rows.sort(key=lambda r: (-r.finding.severity.rank, r.team, r.service, r.finding.change))
    return rows


def _open_counts(rows: Iterable[Row]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        if row.waiver is None:
            counts[row.finding.severity.value] += row.count
    return counts


def _grouped(rows: Iterable[Row]) -> list[tuple[str, list[tuple[str, list[Row]]]]]:
    """Team → service → rows, teams with the worst open finding first."""
    by_team: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        by_team[row.team][row.service].append(row)

    def worst(services: Mapping[str, list[Row]]) -> int:
        return max(r.finding.severity.rank for items in services.values() for r in items)

    ordered = sorted(by_team.items(), key=lambda item: (-worst(item[1]), item[0]))
    return [(team, sorted(services.items())) for team, services in ordered]


def _coverage(report: Report) -> list[dict[str, Any]]:
    """Per minor on the path: entries, how many a detector checks, how many are advisory only."""
    by_minor: dict[str, list[Any]] = defaultdict(list)
    for outcome in report.changes:
        by_minor[outcome.entry.minor].append(outcome)
    return [
        {
            "minor": minor,
            "entries": len(by_minor.get(minor, [])),
            "detected": sum(1 for o in by_minor.get(minor, []) if o.entry.detector is not None),
            "advisory": sum(1 for o in by_minor.get(minor, []) if o.entry.detector is None),
            "hit": sum(1 for o in by_minor.get(minor, []) if o.status.value in ("hit", "mitigated")),
        }
        for minor in report.path
    ]


def _severity_bars(rows: list[Row]) -> list[Bar]:
    counts: Counter[str] = Counter()
    for row in rows:
        if row.waiver is None:
            counts[row.finding.severity.value] += row.count
    return [Bar(s.value, ((s.value, counts[s.value]),)) for s in SEVERITIES if counts[s.value]]


def _team_bars(rows: list[Row]) -> list[Bar]:
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


def _slug(text: Any) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in str(text)).strip("-").lower()
