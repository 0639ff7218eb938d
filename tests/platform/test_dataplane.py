from __future__ import annotations

from collections.abc import Iterable

import pytest

from preflight.engine.interface import Finding
from preflight.istio.cluster import build_cluster
from preflight.istio.revisions import read_revision_tags
from preflight.kb.interface import Severity
from preflight.platform.dataplane import check_data_plane, within_skew
from preflight.platform.facts import bundled_facts
from preflight.platform.interface import Verdict
from preflight.snapshot.interface import ObjectRef, ServiceRef
from preflight.versions import parse_version
from tests.platform.fixtures import ISTIOD, injected_pod
from tests.support import snapshot_from_yaml

CLUSTER = (
    ISTIOD
    + """
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api}]}
"""
    + injected_pod(
        "api-6f7c-aaaaa",
        "docker.io/istio/proxyv2:1.22.3",
        labels="{app: api, pod-template-hash: 6f7c}",
        owner="{kind: ReplicaSet, name: api-6f7c, controller: true}",
    )
    + injected_pod(
        "api-6f7c-bbbbb",
        "docker.io/istio/proxyv2:1.22.3",
        labels="{app: api, pod-template-hash: 6f7c}",
        owner="{kind: ReplicaSet, name: api-6f7c, controller: true}",
    )
    + injected_pod("cart", "docker.io/istio/proxyv2:1.21.4-distroless")
    + injected_pod("ancient", "docker.io/istio/proxyv2:1.18.2")
    + injected_pod("early", "docker.io/istio/proxyv2:1.23.0")
    + injected_pod(
        "pinned",
        "docker.io/istio/proxyv2:1.22.0",
        extra_annotations='sidecar.istio.io/proxyImage: "docker.io/istio/proxyv2:1.22.0"',
    )
    + injected_pod(
        "native",
        "docker.io/istio/proxyv2:1.20.1",
        revision=None,
        extra_annotations='sidecar.istio.io/status: \'{"revision":"1-20"}\'',
        native=True,
    )
    + injected_pod("ghost", "docker.io/istio/proxyv2:1.19.0", revision="1-19")
    + injected_pod("digest", "docker.io/istio/proxyv2@sha256:0123abcd")
    + """
---
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: shop}
spec: {containers: [{name: app, image: app:1}]}
"""
)


def _assess(text: str = CLUSTER, target: str = "1.24"):  # type: ignore[no-untyped-def]
    snapshot = snapshot_from_yaml(text)
    tags = read_revision_tags(snapshot)
    return check_data_plane(build_cluster(snapshot), tags, parse_version(target), bundled_facts())


def _by_check(findings: Iterable[Finding], check: str, phase: str) -> dict[ObjectRef, Finding]:
    return {f.resource: f for f in findings if f.change == check and f.details["phase"] == phase}


@pytest.mark.parametrize(
    ("control_plane", "proxy", "expected"),
    [
        ("1.22.0", "1.22.9", True),
        ("1.22.0", "1.21.0", True),
        ("1.22.0", "1.20.5", False),
        ("1.22.0", "1.23.0", False),
        ("2.0.0", "1.99.0", False),
    ],
)
def test_skew_allows_the_control_plane_one_minor_ahead_only(control_plane: str, proxy: str, expected: bool) -> None:
    assert within_skew(parse_version(control_plane), parse_version(proxy), bundled_facts()) is expected


def test_pods_are_grouped_by_revision_and_proxy_version() -> None:
    readiness, _, notes = _assess()
    groups = {(g.revision, g.version): (g.pods, g.control_plane_version) for g in readiness.groups}
    assert groups[("default", "1.22.3")] == (2, "1.22.3")
    assert groups[("default", "1.21.4")] == (1, "1.22.3")
    assert groups[("1-20", "1.20.1")] == (1, "1.20.1")
    assert groups[("1-19", "1.19.0")] == (1, None)
    assert groups[("default", "unknown")] == (1, "1.22.3")
    assert readiness.pods == 9  # the pod without a proxy is not counted
    assert readiness.native_sidecars == 1
    assert any("tag is not a version" in note for note in notes)


def test_current_skew_flags_proxies_too_old_and_newer_than_their_istiod() -> None:
    _, findings, _ = _assess()
    too_old = _by_check(findings, "platform-proxy-skew", "current")
    assert set(too_old) == {ObjectRef("Pod", "shop", "ancient")}
    assert too_old[ObjectRef("Pod", "shop", "ancient")].severity is Severity.HIGH
    newer = _by_check(findings, "platform-proxy-newer", "current")
    assert set(newer) == {ObjectRef("Pod", "shop", "early")}


def test_stale_proxies_are_those_not_restarted_since_the_last_upgrade() -> None:
    readiness, findings, _ = _assess()
    stale = _by_check(findings, "platform-proxy-stale", "current")
    assert set(stale) == {ObjectRef("Pod", "shop", "cart"), ObjectRef("Pod", "shop", "pinned")}
    assert readiness.stale == 2


def test_revision_without_istiod_is_reported_as_orphaned() -> None:
    _, findings, _ = _assess()
    orphaned = _by_check(findings, "platform-proxy-orphaned", "current")
    assert set(orphaned) == {ObjectRef("Pod", "shop", "ghost")}


def test_after_switch_names_every_pod_more_than_one_minor_behind_the_target() -> None:
    readiness, findings, _ = _assess()
    after = _by_check(findings, "platform-proxy-skew", "after-switch")
    deployment = ObjectRef("Deployment", "shop", "api")
    assert deployment in after  # pods of a ReplicaSet are reported under their Deployment
    assert after[deployment].details["pod_count"] == "2"
    assert after[deployment].services == (ServiceRef("shop", "api"),)
    assert after[deployment].severity is Severity.MEDIUM
    assert ObjectRef("Pod", "shop", "early") not in after  # 1.23 is within one minor of 1.24
    phases = {p.name: p for p in readiness.phases}
    assert phases["after-switch"].out_of_skew == 8 - 1  # every versioned pod but the 1.23 one
    assert phases["after-switch"].verdict is Verdict.FAIL


def test_pinned_proxy_image_stays_out_of_skew_when_restarted_during_the_canary() -> None:
    readiness, findings, _ = _assess()
    pinned = _by_check(findings, "platform-proxy-pinned-image", "canary")
    assert set(pinned) == {ObjectRef("Pod", "shop", "pinned")}
    canary = _by_check(findings, "platform-proxy-skew", "canary")
    assert set(canary) == {ObjectRef("Pod", "shop", "pinned")}
    phases = {p.name: p for p in readiness.phases}
    assert phases["current"].out_of_skew == 2
    assert phases["canary"].out_of_skew == 3


def test_one_minor_upgrade_of_fresh_proxies_is_clean() -> None:
    text = ISTIOD + injected_pod("api", "docker.io/istio/proxyv2:1.22.3")
    readiness, findings, _ = _assess(text, target="1.23")
    assert findings == []
    assert [p.verdict for p in readiness.phases] == [Verdict.OK, Verdict.OK, Verdict.OK]
    assert readiness.verdict is Verdict.OK


def test_snapshot_without_pods_gives_an_unknown_verdict() -> None:
    text = (
        ISTIOD
        + """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api}]}
"""
    )
    readiness, findings, notes = _assess(text)
    assert readiness.verdict is Verdict.UNKNOWN
    assert findings == []
    assert any("no Pod objects" in note for note in notes)
