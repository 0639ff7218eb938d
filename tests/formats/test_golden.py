"""Every format rendered from a fixed snapshot and KB, compared with a golden file.

Regenerate after an intended change with ``PREFLIGHT_UPDATE_GOLDEN=1 pytest tests/formats``
and review the diff.
"""

import os
from datetime import date
from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats.interface import FORMATS, renderer
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.snapshot.loader import LoadOptions, load_snapshot
from preflight.versions import parse_version

FIXTURES = Path(__file__).parent.parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "html": "html", "sarif": "sarif", "junit": "xml"}


def fixture_report() -> Report:
    cwd = Path.cwd()
    os.chdir(FIXTURES.parent.parent)  # relative source paths keep golden files machine-independent
    try:
        # The fixture's names carry markup, which Kubernetes refuses: it is loaded as a hand-edited file.
        snapshot = load_snapshot(["tests/fixtures/cluster"], LoadOptions(allow_invalid_names=True))
    finally:
        os.chdir(cwd)
    kb = load_knowledge_base([FIXTURES / "kb"], include_builtin=False)
    options = CheckOptions(target=parse_version("1.22.0"), timestamp=False, report_date=date(2026, 11, 1))
    return run_check(snapshot, kb, options)


@pytest.mark.parametrize("format_name", FORMATS)
def test_format_matches_golden_file(format_name: str) -> None:
    rendered = renderer(format_name)(fixture_report())
    golden = GOLDEN / f"fixture.{EXTENSIONS[format_name]}"
    if os.environ.get("PREFLIGHT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(rendered)
    assert rendered == golden.read_text()


@pytest.mark.parametrize("format_name", FORMATS)
def test_no_secret_value_reaches_any_format(format_name: str) -> None:
    rendered = renderer(format_name)(fixture_report())
    assert "CANARY-SECRET-VALUE" not in rendered
    assert "canary-secret" not in rendered


def test_markup_in_resource_names_is_escaped_in_html() -> None:
    html = renderer("html")(fixture_report())
    assert "legacy<b>" not in html
    assert "legacy&lt;b&gt;" in html


def test_same_input_renders_byte_identical_reports() -> None:
    assert renderer("json")(fixture_report()) == renderer("json")(fixture_report())


def test_finding_ids_are_unique_on_the_bundled_example() -> None:
    from preflight.resources import demo_cluster_dir

    kb = load_knowledge_base()
    snapshot = load_snapshot([str(demo_cluster_dir())])
    report = run_check(snapshot, kb, CheckOptions(target=parse_version("1.31"), timestamp=False))
    ids = [f.id for f in report.findings]
    assert len(ids) == len(set(ids))
