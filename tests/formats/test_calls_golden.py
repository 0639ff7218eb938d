"""Who can call what, in the text, Markdown and HTML reports, from a small cluster with traffic.

Regenerate after an intended change with ``PREFLIGHT_UPDATE_GOLDEN=1 pytest tests/formats`` and
review the diff.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats.interface import renderer
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.snapshot.loader import load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version

ROOT = Path(__file__).parents[2]
GOLDEN = Path(__file__).parent / "golden"
FORMATS = {"text": "txt", "markdown": "md", "html": "html"}


def calls_report(source: str = "1.20.3", target: str = "1.21.0") -> Report:
    cwd = Path.cwd()
    os.chdir(ROOT)  # relative source paths keep golden files machine-independent
    try:
        snapshot = load_snapshot(["tests/fixtures/calls/cluster.yaml"])
        traffic = load_traffic(["tests/fixtures/calls/traffic.csv"])
    finally:
        os.chdir(cwd)
    kb = load_knowledge_base([ROOT / "tests/fixtures/calls/kb"], include_builtin=False)
    options = CheckOptions(target=parse_version(target), source=parse_version(source), timestamp=False,
                           report_date=date(2024, 6, 1))
    return run_check(snapshot, kb, options, traffic)


@pytest.mark.parametrize("format_name", FORMATS)
def test_calls_match_golden_file(format_name: str) -> None:
    rendered = renderer(format_name)(calls_report())
    golden = GOLDEN / f"calls.{FORMATS[format_name]}"
    if os.environ.get("PREFLIGHT_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert rendered == golden.read_text()


def test_changed_calls_come_first_then_the_count_of_the_others() -> None:
    text = renderer("text")(calls_report())
    changed = text.index("Calls that change with the upgrade (1; 4 call(s) decided the same before and after):")
    line = text[changed:].splitlines()[1]
    assert line.startswith("  - shop/web -> shop/api-alias:80/http GET /orders (50 requests): deny")
    assert "-> allow (payments/api-callers rule 0) [opens]" in line


def test_calls_denied_today_have_their_own_heading_even_without_an_upgrade() -> None:
    report = calls_report("1.21.0", "1.21.0")
    text = renderer("text")(report)
    denied = text[text.index("Calls denied today"):].splitlines()
    # Busiest first; the alias call is allowed at 1.21 on both sides.
    assert denied[1] == "  - shop/web -> payments/api:80/http POST /orders (40 requests): denied (implicit deny)"
    assert denied[2] == "  - legacy/batch -> payments/api:80/http GET /orders (30 requests): denied (implicit deny)"
    assert not denied[3].startswith("  - ")
    markdown = renderer("markdown")(report)
    assert "### Calls denied today" in markdown and "No call changes; 5 call(s)" in markdown


def test_html_shows_every_services_callers_and_whom_a_default_deny_service_admits() -> None:
    html = renderer("html")(calls_report("1.21.0", "1.21.0"))
    section = html[html.index('id="calls-heading"'):]
    assert ("Callers of <code>payments/api</code> — default-deny (an ALLOW policy applies): admits "
            "<code>shop/web</code>") in section
    assert "Callers of <code>shop/web</code></caption>" in section  # no policy: not default-deny
    assert "Calls denied today" in section
    assert section.count('<tr class="changed">') == 0
