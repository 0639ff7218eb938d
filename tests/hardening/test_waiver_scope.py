"""A waiver cannot silently accept everything: catch-all change patterns are refused, and coverage is counted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.resources import demo_cluster_dir

CHECK = ("check", str(demo_cluster_dir()), "--from", "1.18", "--to", "1.22", "--no-timestamp")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *args], capture_output=True, text=True, timeout=120, check=False
    )


def waiver_file(tmp_path: Path, change: str, resource: str = "*/*") -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(
        "waivers:\n"
        f"  - change: {json.dumps(change)}\n"
        f"    resource: {json.dumps(resource)}\n"
        "    reason: accepted for now\n    ticket: OPS-1\n    expires: 2099-01-01\n"
    )
    return path


@pytest.mark.parametrize("change", ["*", "?*", "[0-9]*", "1.*", "*-delta-xds-default", "platform-*"])
def test_a_change_pattern_not_naming_a_minor_is_refused_at_load(tmp_path: Path, change: str) -> None:
    report = tmp_path / "r.json"
    result = run(*CHECK, "--waivers", str(waiver_file(tmp_path, change)), "--output", str(report))
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"preflight: error: {tmp_path / 'waivers.yaml'}:2: change ")
    assert "would waive changes of every release" in line
    assert not report.exists()


def test_a_pattern_naming_a_minor_is_accepted_and_the_report_counts_what_it_covers(tmp_path: Path) -> None:
    report, markdown = tmp_path / "r.json", tmp_path / "r.md"
    result = run(*CHECK, "--waivers", str(waiver_file(tmp_path, "1.22-*")), "--output", str(report),
                 "--output", str(markdown))
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(report.read_text())
    waived_changes = {entry["finding"].split(":")[0] for entry in document["waivers"]["waived"]}
    (coverage,) = document["waivers"]["coverage"]
    assert coverage["change"] == "1.22-*"
    assert coverage["findings"] == len(document["waivers"]["waived"]) > 1
    assert waived_changes and all(change.startswith("1.22-") for change in waived_changes)
    assert f"covers {coverage['findings']} findings" in markdown.read_text()


def test_an_exact_platform_check_id_is_still_a_valid_waiver(tmp_path: Path) -> None:
    result = run(*CHECK, "--waivers", str(waiver_file(tmp_path, "platform-proxy-skew")), "--format", "text")
    assert result.returncode in (0, 1), result.stderr
    assert "Waiver: platform-proxy-skew on */* (OPS-1) covers" in result.stdout
