"""Every format of every hostile fixture parses with a strict parser and carries no live markup
or control byte (issue 16, items 1 and 2).

The fixtures put backticks, ``|``, newlines, raw HTML, Markdown links and images, ANSI and OSC
escape sequences, BEL, NUL (``\\u0000`` in JSON), C1 controls and DEL into names, labels,
annotations, KB overlay text and waiver text. In every format:
- JSON and SARIF parse with ``json.loads`` (which refuses raw control characters);
- JUnit XML parses with the XML parser (which refuses C0 controls);
- no text format holds a control character other than tab and newline;
- the Markdown, rendered by a CommonMark parser, has no raw HTML, no link or image, and every
  table row has exactly as many cells as its header.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from preflight.cli import main
from preflight.resources import demo_cluster_dir
from tests.hardening.support import assert_markdown_inert

FIXTURES = Path(__file__).parent / "fixtures"
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "html": "html", "sarif": "sarif", "junit": "junit.xml"}
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE_WAIVER = {
    "change": "1.22-control-overlay",
    "resource": "payments/*",
    "reason": "r | `x` \n| <script>alert(2)</script> \x1b[31m \x00",
    "ticket": "[t](javascript:alert(1)) <https://evil.example> ![i](javascript:x)",
    "expires": "2000-01-01",  # expired: listed in the Markdown with its ticket
}
# (name, snapshot inputs, KB overlay): each run with --allow-invalid-names, as names carry markup.
FIXTURE_SETS = {
    "control-bytes": (["control-bytes.json"], "control-kb"),
    "markup": (["markup.yaml"], "markup-kb"),
    "canaries": (["canaries.yaml"], None),
}


def _check(tmp_path: Path, inputs: list[str], kb: str | None) -> dict[str, str]:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [HOSTILE_WAIVER]}))
    targets = {name: tmp_path / f"report.{extension}" for name, extension in EXTENSIONS.items()}
    arguments = ["check", str(demo_cluster_dir()), *(str(FIXTURES / name) for name in inputs), "--allow-invalid-names",
                 "--from", "1.20", "--to", "1.22", "--no-timestamp", "--fail-on", "critical", "--waivers", str(waivers)]
    if kb is not None:
        arguments += ["--kb", str(FIXTURES / kb)]
    for target in targets.values():
        arguments += ["--output", str(target)]
    result = CliRunner().invoke(main, arguments)  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    rendered = {name: target.read_text(encoding="utf-8") for name, target in targets.items()}
    rendered["terminal"] = result.output
    return rendered


@pytest.fixture(scope="module", params=sorted(FIXTURE_SETS))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    inputs, kb = FIXTURE_SETS[request.param]
    return _check(tmp_path_factory.mktemp(request.param), inputs, kb)


def test_the_hostile_values_reach_the_reports(rendered: dict[str, str]) -> None:
    """Not vacuous: the overlay entries found the hostile objects, and the waiver is reported."""
    report = json.loads(rendered["json"])
    changes = {finding["change"] for finding in report["findings"]}
    assert changes & {"1.22-control-overlay", "1.22-markup-overlay", "1.22-delta-xds-default"}
    assert "Expired waiver" in rendered["markdown"]


def test_json_formats_parse_strictly(rendered: dict[str, str]) -> None:
    json.loads(rendered["json"])
    json.loads(rendered["sarif"])


def test_junit_is_well_formed_xml(rendered: dict[str, str]) -> None:
    ElementTree.fromstring(rendered["junit"])


@pytest.mark.parametrize("format_name", [*sorted(EXTENSIONS), "terminal"])
def test_no_control_character_in_any_output(rendered: dict[str, str], format_name: str) -> None:
    match = CONTROL.search(rendered[format_name])
    assert match is None, (format_name, rendered[format_name][max(0, match.start() - 60) : match.end() + 20])


def test_control_sequences_are_shown_escaped(tmp_path: Path) -> None:
    rendered = _check(tmp_path, ["control-bytes.json"], "control-kb")
    assert "\\x1b[31mred" in rendered["text"] and "\\x1b[31mred" in rendered["html"]
    assert "\\u001b[31mred" in rendered["json"]  # JSON's own escape: the value is kept exactly


def test_markdown_has_no_live_markup_and_no_extra_table_cells(rendered: dict[str, str]) -> None:
    assert_markdown_inert(rendered["markdown"])
