"""Markup and template syntax from the snapshot or a KB overlay comes out inert in every report.

Names, namespaces, labels, annotations, hosts and overlay entries' text carry ``<script>``,
event-handler attributes and Jinja syntax. The HTML must show them escaped, never run or
evaluate them (``{{ 7*191 }}`` stays literal: KB text is data, not a template); the XML
formats must stay well-formed.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.resources import demo_cluster_dir
from preflight.snapshot.loader import LoadOptions, load_snapshot
from preflight.versions import parse_version
from tests.hardening.support import render_all

FIXTURES = Path(__file__).parent / "fixtures"
PAYLOADS = ("<script>alert(", "<img src=x onerror", "<svg onload", "<b>bold</b>")


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    # Markup in names is what Kubernetes refuses: only a snapshot loaded with --allow-invalid-names has it.
    snapshot = load_snapshot(
        [str(demo_cluster_dir()), str(FIXTURES / "markup.yaml")], LoadOptions(allow_invalid_names=True)
    )
    kb = load_knowledge_base([str(FIXTURES / "markup-kb")])
    options = CheckOptions(target=parse_version("1.22"), source=parse_version("1.20"), timestamp=False)
    return render_all(run_check(snapshot, kb, options))


def test_overlay_entry_and_marked_up_objects_are_reported(rendered: dict[str, str]) -> None:
    document = json.loads(rendered["json"])
    text = json.dumps(document)
    assert "1.22-markup-overlay" in text
    assert "<script>alert('pod')</script>" in text  # JSON carries the raw string; HTML must not
    assert "<script>alert('vs')</script>" in text


def test_html_escapes_every_payload(rendered: dict[str, str]) -> None:
    html = rendered["html"]
    for payload in PAYLOADS:
        assert payload not in html, payload
    assert "&lt;script&gt;alert(" in html
    assert "Overlay &lt;script&gt;alert(" in html


def test_kb_text_is_not_evaluated_as_a_template(rendered: dict[str, str]) -> None:
    html = rendered["html"]
    assert "{{ 7*191 }}" in html
    assert "1337" not in html
    assert "{% for x in range(3) %}" in html
    assert "looplooploop" not in html


@pytest.mark.parametrize("format_name", ["junit", "sarif"])
def test_machine_formats_stay_well_formed(rendered: dict[str, str], format_name: str) -> None:
    text = rendered[format_name]
    if format_name == "junit":
        ElementTree.fromstring(text)
    else:
        json.loads(text)
    assert "1.22-markup-overlay" in text
