"""Istio's own sample configurations, checked end to end with the built-in knowledge base.

Each snapshot is written for this test after an upstream sample (cited at each), so a
false positive found on upstream configuration stays fixed.
"""

from __future__ import annotations

from datetime import date

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import FindingStatus, Report
from preflight.kb.interface import Severity
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml


def istiod(version: str, mesh: str = "{}") -> str:
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system, labels: {{app: istiod}}}}
spec:
  template:
    spec:
      containers: [{{name: discovery, image: docker.io/istio/pilot:{version}}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: istio, namespace: istio-system}}
data:
  mesh: |
    {mesh}
"""


def check(text: str, source: str, target: str) -> Report:
    options = CheckOptions(target=parse_version(target), source=parse_version(source), timestamp=False,
                           kubernetes_version="1.28", report_date=date(2024, 3, 1))
    return run_check(snapshot_from_yaml(text), load_knowledge_base(), options)


# After samples/bookinfo/policy/productpage_envoy_ratelimit.yaml (istio/istio, tag 1.24.0): the patch matches
# the canonical HTTP connection manager and router and inserts a filter it names envoy.ratelimit.
BOOKINFO_RATELIMIT = """
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: filter-ratelimit, namespace: istio-system}
spec:
  workloadSelector: {labels: {istio: ingressgateway}}
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: GATEWAY
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter: {name: envoy.filters.http.router}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.ratelimit
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit
          domain: productpage-ratelimit
          failure_mode_deny: true
          rate_limit_service:
            grpc_service: {envoy_grpc: {cluster_name: rate_limit_cluster}}
  - applyTo: CLUSTER
    match: {cluster: {service: ratelimit.default.svc.cluster.local}}
    patch:
      operation: ADD
      value: {name: rate_limit_cluster, type: STRICT_DNS, connect_timeout: 10s, lb_policy: ROUND_ROBIN}
"""


def test_bookinfo_rate_limit_filter_keeps_its_patches_at_1_19() -> None:
    report = check(BOOKINFO_RATELIMIT + istiod("1.18.3"), "1.18.3", "1.19.0")
    envoy_filter = [f for f in report.findings if f.resource.kind == "EnvoyFilter"]
    assert envoy_filter == []


# After tests/integration/pilot/common/routing.go (externalNameCases, istio/istio tag 1.21.0): an alias of the
# in-cluster Service b, and an alias of a host no registry defines, in a mesh that allows registered hosts only.
ALIASES = """
apiVersion: v1
kind: Service
metadata: {name: b, namespace: echo}
spec: {selector: {app: b}, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b-ext-no-port, namespace: echo}
spec: {type: ExternalName, externalName: b.echo.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: partner, namespace: echo}
spec: {type: ExternalName, externalName: api.partner.example}
"""


def test_externalname_aliases_get_the_finding_of_their_own_case() -> None:
    report = check(ALIASES + istiod("1.20.3", "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"), "1.20.3", "1.21.0")
    found = {f.resource.name: f for f in report.findings if f.change == "1.21-externalname-alias"}
    internal, external = found["b-ext-no-port"], found["partner"]
    assert internal.status is external.status is FindingStatus.AFFECTED
    assert (internal.severity, external.severity) == (Severity.MEDIUM, Severity.HIGH)
    assert "alias of the in-cluster Service echo/b" in internal.message and "BlackHole" not in internal.message
    assert "REGISTRY_ONLY" in external.message and "BlackHoleCluster and fail" in external.message
    assert internal.details["alias_case"] != external.details["alias_case"]
