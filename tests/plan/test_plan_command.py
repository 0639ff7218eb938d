"""``preflight plan`` and ``preflight check`` run one pipeline: for the same inputs they hold back the same findings."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

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
