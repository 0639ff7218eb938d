"""The derived cluster model is built in one place, and every stage reads it instead of deriving its own."""

from __future__ import annotations

import ast
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from preflight.istio.cluster import build_cluster
from preflight.istio.identity import Identity
from tests.support import cluster

PACKAGE = Path(__file__).resolve().parents[2] / "preflight"
MODEL = PACKAGE / "istio" / "cluster.py"
ISTIO = PACKAGE / "istio"
# Deriving these is the model's job: a stage that builds one sees a cluster of its own.
MODEL_ONLY = frozenset({"read_control_plane", "Scope", "AuthorizationPolicies", "PeerAuthentications"})


def _calls(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name:
                found.append((name, node.lineno))
    return found


def _string_constants(path: Path) -> list[tuple[str, int]]:
    return [
        (node.value, node.lineno)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_model_reads_the_control_plane_or_builds_scoping_and_policy_indexes() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line} calls {name}"
        for path in _modules()
        if path != MODEL
        for name, line in _calls(path)
        if name in MODEL_ONLY
    ]
    assert offenders == []


def test_the_walk_sees_the_model_itself_build_them() -> None:
    """Guards the test above: were the walk blind, it would pass on anything."""
    assert {name for name, _ in _calls(MODEL)} >= MODEL_ONLY


def test_stages_ask_the_model_for_mesh_membership() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in _modules()
        if ISTIO not in path.parents
        for name, line in _calls(path)
        if name == "mesh_membership"
    ]
    assert offenders == []


def test_policy_targets_are_read_by_one_function() -> None:
    """``targetRef``/``targetRefs`` keys are read in ``preflight.istio.scoping.target_refs`` only."""
    scoping = ISTIO / "scoping.py"
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in _modules()
        if path != scoping
        for value, line in _string_constants(path)
        if value in ("targetRef", "targetRefs")
    ]
    assert offenders == []
    assert {"targetRef", "targetRefs"} <= {value for value, _ in _string_constants(scoping)}


def test_the_model_is_frozen_and_shares_its_indexes() -> None:
    model = build_cluster(cluster())
    with pytest.raises(FrozenInstanceError):
        model.scope = model.scope  # type: ignore[misc]
    assert model.authorizations is model.authorizations
    assert model.authorizations.scope is model.scope
    assert model.peer_authentications.scope is model.scope


def test_membership_identity_and_meshed_services_come_from_the_snapshot() -> None:
    snapshot = cluster(
        extra="""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: istio-system}
        data:
          mesh: |
            trustDomain: example.org
        """
    )
    model = build_cluster(snapshot)
    httpbin = next(w for w in snapshot.workloads if w.ref.name == "httpbin")
    assert model.membership(httpbin).mode == "sidecar"
    assert model.identity(httpbin) == Identity("example.org", "default", "httpbin")
    assert [str(s) for s in model.meshed_services] == ["default/httpbin"]


def test_an_unlabelled_namespace_is_outside_the_mesh() -> None:
    model = build_cluster(cluster(injected=False))
    assert model.meshed_services == ()
    assert all(model.membership(w).mode == "none" for w in model.snapshot.workloads)
