from __future__ import annotations

from preflight.engine.interface import Finding
from preflight.istio.control_plane import read_control_plane
from preflight.istio.revisions import read_revision_tags
from preflight.platform.interface import RevisionReadiness, Verdict
from preflight.platform.revisions import check_revisions
from preflight.snapshot.interface import ObjectRef, ServiceRef
from tests.platform.fixtures import ISTIOD
from tests.support import snapshot_from_yaml

TAGS = """
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-revision-tag-prod
  labels: {istio.io/tag: prod, istio.io/rev: 1-20}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: istio-revision-tag-default
  labels: {istio.io/tag: default, istio.io/rev: 1-20}
"""

NAMESPACES = """
---
apiVersion: v1
kind: Namespace
metadata: {name: tagged, labels: {istio.io/rev: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: pinned, labels: {istio.io/rev: 1-20}}
---
apiVersion: v1
kind: Namespace
metadata: {name: both, labels: {istio-injection: enabled, istio.io/rev: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: typo, labels: {istio.io/rev: 1-2O}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: pinned}
spec: {selector: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: pinned}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: tagged}
spec:
  template:
    metadata: {labels: {app: worker, istio.io/rev: 1-20}}
    spec: {containers: [{name: worker}]}
"""


def _check(text: str) -> tuple[RevisionReadiness, list[Finding]]:
    snapshot = snapshot_from_yaml(text)
    return check_revisions(snapshot, read_control_plane(snapshot), read_revision_tags(snapshot), "1.24")


def _refs(findings: list[Finding], check: str) -> set[ObjectRef]:
    return {f.resource for f in findings if f.change == check}


def test_default_revision_follows_the_default_tag() -> None:
    readiness, _ = _check(ISTIOD + TAGS + NAMESPACES)
    assert readiness.default_revision == "1-20"
    by_name = {r.name: r for r in readiness.revisions}
    assert by_name["1-20"].tags == ("default", "prod")
    assert by_name["1-20"].version == "1.20.1"
    assert by_name["1-20"].namespaces == ("both", "legacy", "pinned", "tagged")
    assert by_name["default"].tags == ()


def test_namespace_with_both_injection_labels_is_a_conflict() -> None:
    readiness, findings = _check(ISTIOD + TAGS + NAMESPACES)
    assert readiness.conflicting_namespaces == ("both",)
    assert _refs(findings, "platform-revision-conflicting-labels") == {ObjectRef("Namespace", "", "both")}


def test_labels_naming_a_revision_instead_of_a_tag_do_not_move_with_the_tag() -> None:
    readiness, findings = _check(ISTIOD + TAGS + NAMESPACES)
    assert readiness.pinned_namespaces == ("pinned", "typo")
    pinned = {f.resource: f for f in findings if f.change == "platform-revision-pinned"}
    assert ObjectRef("Namespace", "", "pinned") in pinned
    assert pinned[ObjectRef("Namespace", "", "pinned")].services == (ServiceRef("pinned", "web"),)
    assert ObjectRef("Deployment", "tagged", "worker") in pinned
    assert ObjectRef("Namespace", "", "tagged") not in pinned
    assert ObjectRef("Deployment", "istio-system", "istiod-1-20") not in pinned  # istiod's own label


def test_label_naming_nothing_installed_means_no_injection() -> None:
    readiness, findings = _check(ISTIOD + TAGS + NAMESPACES)
    assert _refs(findings, "platform-revision-missing") == {ObjectRef("Namespace", "", "typo")}
    assert readiness.verdict is Verdict.FAIL


def test_istio_injection_without_any_default_revision_is_missing() -> None:
    only_revisioned = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod-1-22, namespace: istio-system, labels: {app: istiod, istio.io/rev: 1-22}}
spec:
  template:
    spec: {containers: [{name: discovery, image: "docker.io/istio/pilot:1.22.3"}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {istio-injection: enabled}}
"""
    readiness, findings = _check(only_revisioned)
    assert readiness.default_revision is None
    assert _refs(findings, "platform-revision-missing") == {ObjectRef("Namespace", "", "legacy")}


def test_without_any_control_plane_labels_are_not_called_missing() -> None:
    readiness, findings = _check(NAMESPACES)
    assert _refs(findings, "platform-revision-missing") == set()
    assert readiness.verdict is Verdict.WARN  # the conflict and the pinned labels still show
