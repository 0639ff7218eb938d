from __future__ import annotations

from preflight.engine.interface import Finding
from preflight.kb.interface import Severity
from preflight.platform.facts import bundled_facts
from preflight.platform.gateway_api import check_gateway_api
from preflight.platform.interface import GatewayApiReadiness, Verdict
from preflight.snapshot.interface import ServiceRef
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml


def crd(kind: str, plural: str, served: dict[str, bool], bundle: str = "v0.6.2") -> str:
    versions = ", ".join(f"{{name: {v}, served: {str(s).lower()}, storage: false}}" for v, s in served.items())
    return f"""
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.gateway.networking.k8s.io
  annotations: {{gateway.networking.k8s.io/bundle-version: {bundle}}}
spec:
  group: gateway.networking.k8s.io
  names: {{kind: {kind}, plural: {plural}}}
  versions: [{versions}]
"""


ROUTE = """
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {selector: {app: reviews}}
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: HTTPRoute
metadata: {name: reviews, namespace: shop}
spec:
  parentRefs: [{name: edge}]
  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
"""


def _check(text: str, target: str) -> tuple[GatewayApiReadiness, list[Finding], list[str]]:
    return check_gateway_api(snapshot_from_yaml(text), parse_version(target), bundled_facts())


def test_alpha_only_crds_fail_precheck_minimum() -> None:
    text = crd("HTTPRoute", "httproutes", {"v1alpha2": True}) + crd(
        "Gateway", "gateways", {"v1alpha2": True, "v1beta1": True}
    )
    readiness, findings, _ = _check(text, "1.24")
    statuses = {c.kind: c for c in readiness.crds}
    assert statuses["HTTPRoute"].missing == ("v1beta1",)
    assert statuses["HTTPRoute"].verdict is Verdict.FAIL
    assert statuses["Gateway"].verdict is Verdict.OK
    assert [f.change for f in findings] == ["platform-gateway-api-crd"]
    assert findings[0].severity is Severity.HIGH
    assert readiness.verdict is Verdict.FAIL
    assert readiness.bundle_version == "v0.6.2"


def test_a_version_that_is_defined_but_not_served_does_not_count() -> None:
    text = crd("HTTPRoute", "httproutes", {"v1alpha2": True, "v1beta1": False})
    readiness, _, _ = _check(text, "1.24")
    assert readiness.crds[0].served == ("v1alpha2",)
    assert readiness.crds[0].missing == ("v1beta1",)


def test_from_1_26_missing_v1_is_a_warning() -> None:
    text = crd("Gateway", "gateways", {"v1beta1": True})
    readiness, findings, _ = _check(text, "1.26")
    assert [f.change for f in findings] == ["platform-gateway-api-crd-v1"]
    assert readiness.verdict is Verdict.WARN
    assert readiness.crds[0].needed == ("v1", "v1beta1")


def test_from_1_29_istiod_reads_v1_so_missing_v1_blocks() -> None:
    text = crd("Gateway", "gateways", {"v1beta1": True})
    readiness, findings, _ = _check(text, "1.29")
    assert [f.change for f in findings] == ["platform-gateway-api-crd"]
    assert "v1" in findings[0].details["missing"].split(", ")
    assert readiness.verdict is Verdict.FAIL


def test_before_1_16_precheck_asked_nothing() -> None:
    text = crd("HTTPRoute", "httproutes", {"v1alpha2": True})
    readiness, findings, _ = _check(text, "1.15")
    assert findings == []
    assert readiness.verdict is Verdict.OK


def test_objects_written_with_an_unserved_version_name_their_services() -> None:
    text = crd("HTTPRoute", "httproutes", {"v1beta1": True, "v1": True}) + ROUTE
    _, findings, _ = _check(text, "1.24")
    assert [f.change for f in findings] == ["platform-gateway-api-version"]
    assert findings[0].services == (ServiceRef("shop", "reviews"),)
    assert findings[0].source is not None and findings[0].source.line is not None


def test_crd_finding_lists_services_routed_by_that_kind() -> None:
    text = crd("HTTPRoute", "httproutes", {"v1alpha2": True}) + ROUTE
    _, findings, _ = _check(text, "1.24")
    crd_finding = next(f for f in findings if f.change == "platform-gateway-api-crd")
    assert crd_finding.services == (ServiceRef("shop", "reviews"),)


def test_experimental_kinds_are_medium() -> None:
    text = crd("TLSRoute", "tlsroutes", {"v1alpha2": True})
    _, findings, _ = _check(text, "1.30")
    assert [(f.change, f.severity) for f in findings] == [("platform-gateway-api-crd", Severity.MEDIUM)]


def test_no_gateway_api_at_all_is_fine_but_objects_without_crds_are_unknown() -> None:
    readiness, findings, _ = _check("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n", "1.24")
    assert (readiness.installed, readiness.verdict, findings) == (False, Verdict.OK, [])
    readiness, _, notes = _check(ROUTE, "1.24")
    assert readiness.verdict is Verdict.UNKNOWN
    assert notes
