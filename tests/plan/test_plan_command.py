"""``preflight plan`` and ``preflight check`` run one pipeline: for the same inputs they hold back the same findings."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

from preflight.cli import main
from preflight.resources import demo_cluster_dir, demo_traffic_file
from tests.support import cluster_yaml

SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
EXTERNAL_NAME = cluster_yaml(
    namespaces=["payments"],
    workloads=["api"],
    extra="""
    apiVersion: v1
    kind: Service
    metadata: {name: legacy, namespace: payments}
    spec: {type: ExternalName, externalName: billing.example.com}
    """,
)
KEEP_ALIAS_OFF = 'pilot:\n  env:\n    ENABLE_EXTERNAL_NAME_ALIAS: "false"\n'


def invoke(*arguments: str) -> Any:
    result = CliRunner().invoke(main, [*arguments, "--quiet"] if arguments[0] == "check" else list(arguments))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def open_changes_by_namespace(check: dict[str, Any], cluster: str | None = None) -> dict[str, list[str]]:
    """What the plan lists per namespace, computed from check's report: the affected findings, where they apply.

    A change the report calls mesh-wide is a step of its own in the plan and ranks no namespace.
    """
    mesh_wide = {change["change"] for change in check["mesh_wide"]}
    changes: dict[str, set[str]] = defaultdict(set)
    for finding in check["findings"]:
        if finding["status"] != "affected" or finding.get("cluster") != cluster or finding["change"] in mesh_wide:
            continue
        namespaces = {s.split("/", 1)[0] for s in finding["services"]} or {finding["resource"]["namespace"]}
        for namespace in namespaces - {""}:
            changes[namespace].add(finding["change"])
    return {namespace: sorted(found) for namespace, found in changes.items()}


def planned_changes(plan: dict[str, Any]) -> dict[str, list[str]]:
    """Every namespace the plan moves, with the changes that rank it (none for a quiet one)."""
    return {m["namespace"]: m["changes"] for wave in plan["waves"] for m in wave["namespaces"]}


def agree(plan: dict[str, Any], check: dict[str, Any], cluster: str | None = None) -> None:
    """The plan moves meshed namespaces only; for each, it lists what check finds open there."""
    planned = planned_changes(plan)
    assert planned
    expected = open_changes_by_namespace(check, cluster)
    assert planned == {namespace: expected.get(namespace, []) for namespace in planned}


def test_values_reach_the_plan_as_they_reach_the_check(tmp_path: Path) -> None:
    cluster, values = tmp_path / "cluster.yaml", tmp_path / "istiod-values.yaml"
    cluster.write_text(EXTERNAL_NAME)
    values.write_text(KEEP_ALIAS_OFF)
    common = (str(cluster), "--from", "1.20.0", "--to", "1.21", "--format", "json")
    plain_plan = invoke("plan", *common)
    plan = invoke("plan", *common, "--values", str(values))
    check = invoke("check", *common, "--values", str(values))
    assert "1.21-externalname-alias" in planned_changes(plain_plan)["payments"]
    assert "1.21-externalname-alias" not in planned_changes(plan)["payments"]
    agree(plan, check)


def test_traffic_gives_plan_and_check_the_same_findings() -> None:
    common = (str(demo_cluster_dir()), "--to", "1.22", "--traffic", str(demo_traffic_file()), "--format", "json")
    plan = invoke("plan", *common)
    check = invoke("check", *common)
    assert any(planned_changes(plan).values())  # the demo cluster has something to hold back
    agree(plan, check)


def test_cluster_names_give_one_plan_per_cluster_agreeing_with_check(tmp_path: Path) -> None:
    plain, mitigated = tmp_path / "east.yaml", tmp_path / "west.yaml"
    plain.write_text(EXTERNAL_NAME)
    mitigated.write_text(EXTERNAL_NAME + "---\napiVersion: preflight/v1\nkind: HelmValues\n"
                         "metadata: {name: istiod, namespace: istio-system}\nvalues:\n  " +
                         KEEP_ALIAS_OFF.replace("\n  ", "\n    "))
    common = (str(plain), str(mitigated), "--from", "1.20.0", "--to", "1.21", "--cluster-names", "east,west",
              "--format", "json")
    plans = invoke("plan", *common)["clusters"]
    check = invoke("check", *common)
    assert set(plans) == {"east", "west"}
    for name in plans:
        agree(plans[name], check, name)
    assert "1.21-externalname-alias" in planned_changes(plans["east"])["payments"]
    assert "1.21-externalname-alias" not in planned_changes(plans["west"])["payments"]


# Each option below decides what the pipeline finds; plan takes it from check's own option list
# (preflight.pipeline_options). Every case is one where the option changes the result, so a plan
# that dropped or rewired it would disagree with the check.

CONTROL_PLANE_NOTE = "Mesh-wide findings move with the control plane, not with a namespace: "
INCOMPLETE_MANIFEST = """
---
apiVersion: preflight/v1
kind: SnapshotManifest
complete: false
forbidden:
- {resource: authorizationpolicies.security.istio.io, namespace: payments, message: forbidden}
"""


def refusal(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.stderr


def control_plane_changes(plan: dict[str, Any]) -> list[str]:
    """The findings the plan moves with the control plane (no namespace), as its note names them."""
    for note in plan["notes"]:
        if note.startswith(CONTROL_PLANE_NOTE):
            return sorted(note.removeprefix(CONTROL_PLANE_NOTE).split(", "))
    return []


def agree_on_control_plane(plan: dict[str, Any], check: dict[str, Any]) -> None:
    expected = sorted({
        f["change"] for f in check["findings"]
        if f["status"] == "affected" and not f["services"] and not f["resource"]["namespace"]
    })
    assert expected
    assert control_plane_changes(plan) == expected


def test_default_namespace_places_objects_for_the_plan_as_for_the_check(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(EXTERNAL_NAME.replace("name: legacy, namespace: payments", "name: legacy"))
    common = (str(cluster), "--from", "1.20.0", "--to", "1.21", "--format", "json")
    assert "1.21-externalname-alias" not in planned_changes(invoke("plan", *common))["payments"]
    given = (*common, "--default-namespace", "payments")
    plan = invoke("plan", *given)
    assert "1.21-externalname-alias" in planned_changes(plan)["payments"]
    agree(plan, invoke("check", *given))


def test_kubernetes_version_reaches_the_plan_as_it_reaches_the_check(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(EXTERNAL_NAME)
    common = (str(cluster), "--from", "1.20.0", "--to", "1.21", "--format", "json")
    assert "platform-kubernetes-version-unknown" in control_plane_changes(invoke("plan", *common))
    given = (*common, "--kubernetes-version", "1.20")  # older than any Kubernetes Istio 1.21 supports
    plan = invoke("plan", *given)
    assert "platform-kubernetes-version" in control_plane_changes(plan)
    assert "platform-kubernetes-version-unknown" not in control_plane_changes(plan)
    agree_on_control_plane(plan, invoke("check", *given))


def test_report_date_reaches_the_plan_as_it_reaches_the_check(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(EXTERNAL_NAME)
    common = (str(cluster), "--from", "1.20.0", "--to", "1.21", "--format", "json")
    assert "platform-support-target" in control_plane_changes(invoke("plan", *common))
    given = (*common, "--report-date", "2024-01-15")  # before 1.21 was released, while 1.20 was supported
    plan = invoke("plan", *given)
    assert "platform-support-target" not in control_plane_changes(plan)
    agree_on_control_plane(plan, invoke("check", *given))


def test_allow_incomplete_is_needed_by_the_plan_as_by_the_check(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(EXTERNAL_NAME + INCOMPLETE_MANIFEST)
    common = (str(cluster), "--from", "1.20.0", "--to", "1.21")
    plan_code, plan_error = refusal("plan", *common)
    check_code, check_error = refusal("check", *common, "--quiet")
    assert plan_code == check_code == 2
    assert "--allow-incomplete" in plan_error and plan_error == check_error
    given = (*common, "--format", "json", "--allow-incomplete")
    plan = invoke("plan", *given)
    assert "1.21-externalname-alias" in planned_changes(plan)["payments"]
    agree(plan, invoke("check", *given))


def test_allow_invalid_names_is_needed_by_the_plan_as_by_the_check(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(EXTERNAL_NAME.replace("name: legacy,", "name: Legacy_Billing,"))
    common = (str(cluster), "--from", "1.20.0", "--to", "1.21")
    plan_code, plan_error = refusal("plan", *common)
    check_code, check_error = refusal("check", *common, "--quiet")
    assert plan_code == check_code == 2
    assert "Legacy_Billing" in plan_error and plan_error == check_error
    given = (*common, "--format", "json", "--allow-invalid-names")
    plan = invoke("plan", *given)
    assert "1.21-externalname-alias" in planned_changes(plan)["payments"]
    agree(plan, invoke("check", *given))


def test_snapshot_option_is_a_path_for_the_plan_as_for_the_check(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(EXTERNAL_NAME)
    versions = ("--from", "1.20.0", "--to", "1.21", "--format", "json")
    plan = invoke("plan", "--snapshot", str(cluster), *versions)
    assert plan == invoke("plan", str(cluster), *versions)
    agree(plan, invoke("check", "--snapshot", str(cluster), *versions))


# check's options that shape only its own report or gate; every other option of check decides the
# findings and must reach the plan too. A new check option lands here only on purpose.
CHECK_ONLY = {"--fail-on-mitigated", "--fail-on-field-reports", "--no-timestamp", "--quiet"}


def test_plan_takes_every_option_of_check_but_its_report_and_gate_ones() -> None:
    def options(command: str) -> set[str]:
        found = main.get_command(click.Context(main), command)
        assert found is not None
        return {name for parameter in found.params for name in parameter.opts}

    assert options("check") - options("plan") == CHECK_ONLY
