"""One self-contained HTML file (inline CSS, no network), rendered from ``reports/report.html.j2``."""

from __future__ import annotations

from functools import cache

import jinja2

from preflight.engine.interface import FindingStatus, Report
from preflight.formats.json_format import finding_id, verdict
from preflight.resources import bundled_dir


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_dir("reports"))),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


def render(report: Report) -> str:
    environment = _environment()
    stylesheet = (bundled_dir("reports") / "report.css").read_text(encoding="utf-8")
    template = environment.get_template("report.html.j2")
    return template.render(
        report=report,
        verdict=verdict(report),
        counts=report.counts(),
        entries=report.entries,
        affected_services=[s for s in report.services if s.affected],
        unscoped=[f for f in report.findings if not f.services and f.status is FindingStatus.AFFECTED],
        mitigated=[f for f in report.findings if f.status is FindingStatus.MITIGATED],
        finding_id=finding_id,
        stylesheet=stylesheet,
    )
