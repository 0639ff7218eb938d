"""A snapshot with nothing of a mesh in it fails closed: exit 2 saying what was read, never a passing gate.

A failed ``kubectl get … | preflight check -`` hands the check an empty stdin; a GitOps folder
may hold only Helm values. Both used to exit 0 ("SAFE WITH MITIGATIONS").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ISTIOD = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istiod, namespace: istio-system}\n"
    "spec: {template: {spec: {containers: [{name: discovery, image: 'docker.io/istio/pilot:1.30.1'}]}}}\n"
)


def check(*arguments: str, stdin: str = "", cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", "check", *arguments],
        input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120,
    )


def test_empty_stdin_is_bad_input(tmp_path: Path) -> None:
    result = check("-", "--from", "1.30", "--to", "1.31", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("preflight: error: <stdin>: the snapshot holds no workloads")
    assert "--allow-empty" in result.stderr and result.stdout == ""


def test_a_folder_of_helm_values_alone_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "gitops").mkdir()
    (tmp_path / "gitops" / "values.yaml").write_text("pilot:\n  env: {PILOT_TRACE_SAMPLING: '1'}\n")
    result = check(str(tmp_path / "gitops"), "--from", "1.30", "--to", "1.31", cwd=tmp_path)
    assert result.returncode == 2 and "no objects" in result.stderr


@pytest.mark.parametrize(
    ("document", "said"),
    [
        ("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", "only 1 Namespace"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: shop}\n", "only 1 ConfigMap"),
    ],
)
def test_objects_that_are_not_a_mesh_are_named(document: str, said: str, tmp_path: Path) -> None:
    result = check("-", "--from", "1.30", "--to", "1.31", stdin=document, cwd=tmp_path)
    assert result.returncode == 2 and said in result.stderr


def test_no_report_is_written_for_an_empty_snapshot(tmp_path: Path) -> None:
    result = check("-", "--from", "1.30", "--to", "1.31", "--output", "r.html", "--output", "r.json", cwd=tmp_path)
    assert result.returncode == 2
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "document",
    [
        ISTIOD,
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n",
        "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: shop}\n",
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: shop}\n",
    ],
    ids=["workload", "service", "istio-resource", "gateway-api-resource"],
)
def test_any_workload_service_or_mesh_resource_is_checked(document: str, tmp_path: Path) -> None:
    result = check("-", "--from", "1.30", "--to", "1.31", stdin=document, cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr


def test_allow_empty_checks_it_and_says_so(tmp_path: Path) -> None:
    result = check("-", "--from", "1.30", "--to", "1.31", "--allow-empty", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert "--allow-empty was given" in result.stdout


def test_plan_refuses_an_empty_snapshot_too(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "plan", "-", "--from", "1.30", "--to", "1.31"],
        input="", capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 2 and "no workloads" in result.stderr


def test_each_cluster_of_a_multi_cluster_check_must_hold_a_mesh(tmp_path: Path) -> None:
    (tmp_path / "east.yaml").write_text(ISTIOD)
    (tmp_path / "west.yaml").write_text("")
    result = check("east.yaml", "west.yaml", "--cluster-names", "east,west", "--from", "1.30", "--to", "1.31",
                   cwd=tmp_path)
    assert result.returncode == 2 and "west.yaml" in result.stderr
