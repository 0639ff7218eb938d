from __future__ import annotations

import json
from datetime import date

from preflight.formats.json_format import platform_to_json
from preflight.istio.cluster import build_cluster
from preflight.platform import assess_platform
from preflight.platform.interface import CHECKS, Verdict
from preflight.versions import parse_version, upgrade_path
from tests.platform.fixtures import ISTIOD, injected_pod
from tests.support import KNOWN_MINORS, snapshot_from_yaml

CLUSTER = (
    """
serverVersion: {gitVersion: v1.27.4, major: "1", minor: "27"}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec:
      containers:
      - name: cart
        env: [{name: DB_PASSWORD, value: hunter2-do-not-leak}]
---
"""
    + ISTIOD
    + injected_pod("cart-1", "docker.io/istio/proxyv2:1.22.3", labels="{app: cart}")
    + """
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: httproutes.gateway.networking.k8s.io}
spec:
  group: gateway.networking.k8s.io
  names: {kind: HTTPRoute, plural: httproutes}
  versions: [{name: v1beta1, served: true}, {name: v1, served: true}]
"""
)


def _assess(kubernetes: str | None = None):  # type: ignore[no-untyped-def]
    snapshot = snapshot_from_yaml(CLUSTER)
    path = upgrade_path(parse_version("1.22.3"), parse_version("1.24"), KNOWN_MINORS)
    return assess_platform(build_cluster(snapshot), path, date(2025, 1, 15), kubernetes)


def test_every_section_is_filled_from_one_snapshot() -> None:
    readiness = _assess()
    assert readiness.kubernetes.verdict is Verdict.FAIL  # 1.27 < 1.28 needed by 1.24
    assert readiness.data_plane.pods == 1
    assert [p.verdict for p in readiness.data_plane.phases] == [Verdict.OK, Verdict.OK, Verdict.FAIL]
    assert readiness.revisions.default_revision == "default"
    assert readiness.gateway_api.verdict is Verdict.OK
    assert readiness.support.current.verdict is Verdict.FAIL  # 1.22 ended 2024-12-19
    assert readiness.support.target.verdict is Verdict.OK
    ids = {f.change for f in readiness.findings}
    assert ids == {"platform-kubernetes-version", "platform-proxy-skew", "platform-support-current"}
    assert ids <= set(CHECKS)


def test_kubernetes_override_changes_only_the_kubernetes_verdict() -> None:
    readiness = _assess("1.30")
    assert readiness.kubernetes.verdict is Verdict.OK
    assert "platform-kubernetes-version" not in {f.change for f in readiness.findings}


def test_json_section_is_plain_serialisable_data_without_secrets() -> None:
    section = platform_to_json(_assess())
    text = json.dumps(section)
    assert "hunter2" not in text
    assert section["kubernetes"] == {"version": "1.27.4", "source": "snapshot", "minimum": "1.28", "verdict": "fail"}
    assert section["data_plane"]["groups"] == [
        {"revision": "default", "version": "1.22.3", "pods": 1, "control_plane_version": "1.22.3"}
    ]
    assert [p["phase"] for p in section["data_plane"]["skew"]] == ["current", "canary", "after-switch"]
    assert section["support"]["report_date"] == "2025-01-15"
    assert section["support"]["current"]["supported_until"] == "2024-12-19"
    skew = next(f for f in section["findings"] if f["id"] == "platform-proxy-skew")
    assert skew["services"] == ["shop/cart"]
    assert skew["details"]["phase"] == "after-switch"
