"""``preflight plan`` as the user meets it (issue 11): stops on a path longer than one canary jump,
mesh-wide changes as one step before the waves, and proxies read from pod templates without Pods."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from preflight.cli import main
from preflight.plan.stops import stop_versions
from preflight.resources import demo_cluster_dir
from preflight.versions import parse_version

DEMO = str(demo_cluster_dir())


def plan_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["plan", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.output)
    return plan


def check_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["check", *args, "--format", "json", "--no-timestamp"])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


@pytest.mark.parametrize(
    ("source", "target", "stops"),
    [
        ("1.20", "1.28", ["1.22", "1.24", "1.26", "1.28"]),
        ("1.20.3", "1.27.1", ["1.22", "1.24", "1.26", "1.27.1"]),
        ("1.20", "1.22.2", ["1.22.2"]),
        ("1.20", "1.21", ["1.21"]),
        ("1.21.0", "1.21.4", ["1.21.4"]),
    ],
)
def test_a_canary_stops_every_two_minors_and_ends_at_the_target(source: str, target: str, stops: list[str]) -> None:
    assert [str(v) for v in stop_versions(parse_version(source), parse_version(target))] == stops


def test_plan_beyond_two_minors_gives_each_stop_with_its_own_findings() -> None:
    plan = plan_json(DEMO, "--from", "1.20", "--to", "1.28")
    stops = plan["stops"]
    assert [(s["from"], s["to"], s["revision"]) for s in stops] == [
        ("1.20", "1.22", "1-22"), ("1.22", "1.24", "1-24"), ("1.24", "1.26", "1-26"), ("1.26", "1.28", "1-28")
    ]
    # Every open finding of a knowledge-base change arrives at exactly one stop.
    report = check_json(DEMO, "--from", "1.20", "--to", "1.28")
    kb_changes = {c["id"] for c in report["changes"]}
    expected = Counter(f["severity"] for f in report["findings"] if f["status"] == "affected"
                       and f["change"] in kb_changes)
    summed: Counter[str] = Counter()
    for stop in stops:
        summed.update(stop["findings_by_severity"])
    assert summed == expected
    # A change arrives at the first stop that ships it: the 1.21 and 1.22 changes at the first stop only.
    assert any(c.startswith("1.21-") for c in stops[0]["gate_changes"])
    assert not any(c.startswith(("1.21-", "1.22-")) for s in stops[1:] for c in s["gate_changes"])
    # Each stop installs its own revision and removes the one before it.
    assert "istioctl install --set revision=1-24" in stops[1]["preparation"][1]
    assert any("istioctl uninstall --revision 1-22" in c for c in stops[1]["finish"])
    # Namespaces move with the canary tag, so the wave commands hold at every stop.
    assert plan["move_label"] == "canary"
    assert all("istio.io/rev=canary" in n["commands"][0] for w in plan["waves"] for n in w["namespaces"])


def test_the_text_plan_cites_why_it_stops() -> None:
    result = CliRunner().invoke(main, ["plan", DEMO, "--to", "1.22"])
    assert result.exit_code == 0, result.output
    assert "https://istio.io/latest/docs/setup/upgrade/canary/" in result.output
    assert "Stop 1: 1.18.7 → 1.20 (revision 1-20)" in result.output
    assert "Stop 2: 1.20 → 1.22 (revision 1-22)" in result.output


def test_a_path_within_one_jump_has_one_stop_and_no_stop_section() -> None:
    plan = plan_json(DEMO, "--from", "1.19", "--to", "1.21")
    assert [(s["from"], s["to"]) for s in plan["stops"]] == [("1.19", "1.21")]
    result = CliRunner().invoke(main, ["plan", DEMO, "--from", "1.19", "--to", "1.21"])
    assert "Stop 1" not in result.output and "Prepare:" in result.output


def test_a_mesh_wide_change_is_a_step_before_the_waves_and_holds_no_namespace() -> None:
    # At --fail-on medium the 1.22 Zipkin default (medium, on every meshed service) would hold every namespace.
    plan = plan_json(DEMO, "--to", "1.22", "--fail-on", "medium")
    mesh_wide = {s["change"] for s in plan["mesh_wide"]}
    assert "1.22-default-zipkin-tracing-removed" in mesh_wide
    namespaces = [n for w in plan["waves"] for n in w["namespaces"]]
    assert not any(set(n["changes"]) & mesh_wide for n in namespaces)
    not_held = {n["namespace"] for n in namespaces if n["risk"] != "held"}
    assert {"checkout", "frontend"} <= not_held
    result = CliRunner().invoke(main, ["plan", DEMO, "--to", "1.22", "--fail-on", "medium"])
    before = result.output.partition("Wave 1:")[0]
    assert "Before the first wave of the stop that brings it, once for the whole mesh" in before
    # The 1.22 change arrives at the second stop (1.20 → 1.22): its fix comes before that stop's waves.
    assert "1.22-default-zipkin-tracing-removed (medium, 13 of 13 meshed services; at stop 2): fix:" in before
    assert {s["change"]: s["stop"] for s in plan["mesh_wide"]}["1.22-default-zipkin-tracing-removed"] == 2
    assert "or keep the old behaviour: Set meshConfig.defaultConfig.tracing.zipkin.address" in before
    platform = [s for s in plan["mesh_wide"] if s["change"].startswith("platform-")]
    assert platform and not any("keep the old behaviour" in s["action"] for s in platform)  # a platform has none


def test_without_pods_the_plan_says_so_and_reads_the_pod_templates(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    shutil.copytree(demo_cluster_dir(), cluster)
    (cluster / "pods.yaml").unlink()
    workloads = json.loads((cluster / "workloads.json").read_text())
    for item in workloads["items"]:
        if item["metadata"]["namespace"] == "checkout" and item["kind"] == "Deployment":
            item["spec"]["template"]["metadata"].setdefault("annotations", {})["sidecar.istio.io/status"] = (
                json.dumps({"revision": "default"})
            )
    (cluster / "workloads.json").write_text(json.dumps(workloads))
    plan = plan_json(str(cluster), "--to", "1.22")
    assert any(n.startswith("The snapshot has no Pods") for n in plan["notes"])
    moves = {n["namespace"]: n for w in plan["waves"] for n in w["namespaces"]}
    assert moves["checkout"]["injected_revisions"] == ["default"]
    assert moves["frontend"]["injected_revisions"] == [""]
    # The demo's istiod runs 1.18.7: proxies it injected are two minors behind the first stop (1.20).
    assert any("revision default (istiod 1.18.7) are 2 minors behind 1.20" in n for n in plan["notes"])
    assert any(n.startswith("No injected revision is recorded") and "frontend" in n for n in plan["notes"])


def test_with_pods_the_plan_makes_no_template_note() -> None:
    plan = plan_json(DEMO, "--to", "1.22")
    assert not any(n.startswith("The snapshot has no Pods") for n in plan["notes"])


def test_the_html_and_markdown_reports_show_the_stops_and_the_mesh_wide_step(tmp_path: Path) -> None:
    html, markdown = tmp_path / "r.html", tmp_path / "r.md"
    result = CliRunner().invoke(main, ["check", DEMO, "--to", "1.22", "--output", str(html), "--output", str(markdown)])
    assert result.exit_code == 1, result.output
    page = html.read_text(encoding="utf-8")
    assert "<h3>Stops</h3>" in page and "Stop 2: prepare 1.22" in page and "Stop 2: finish at 1.22" in page
    assert "Before the first wave: once for the whole mesh" in page
    comment = markdown.read_text(encoding="utf-8")
    assert "### Upgrade stops" in comment and "2. 1.20 → 1.22 (revision 1-22)" in comment
    assert "0. Once, before the first wave: `1.22-default-zipkin-tracing-removed`" in comment
