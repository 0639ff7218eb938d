"""Gateway API CRDs against what the target Istio needs.

For every Gateway API CRD in the snapshot (``preflight.istio.gateway_api``), the
versions it serves are compared with:

* what ``istioctl x precheck`` of the target minor demands (from 1.16: Gateway,
  GatewayClass, HTTPRoute and ReferenceGrant must serve ``v1beta1``), and
* the version the target istiod's controller watches for that kind (for example
  Gateway, GatewayClass and HTTPRoute at ``v1`` from 1.29): if the CRD does not serve
  it, istiod cannot read those objects at all.

Checks:

* ``platform-gateway-api-crd`` (high for the standard kinds Gateway, GatewayClass,
  HTTPRoute, GRPCRoute, ReferenceGrant; medium for experimental kinds): a needed
  version is not served.
* ``platform-gateway-api-crd-v1`` (low): from 1.26 precheck warns when Gateway,
  GatewayClass, HTTPRoute or GRPCRoute do not serve ``v1``.
* ``platform-gateway-api-version`` (medium): an object in the snapshot is written
  with an apiVersion its CRD (also in the snapshot) does not serve.

A snapshot without Gateway API CRDs is fine (``installed: false``) unless it holds
Gateway API objects, when the verdict is ``unknown``.
"""

from __future__ import annotations

from preflight.engine.finding import Finding
from preflight.istio.gateway_api import (
    GatewayApiCrd,
    gateway_api_crds,
    gateway_api_objects,
    services_of_gateway_api_object,
)
from preflight.kb.interface import Severity
from preflight.platform.facts import PlatformFacts
from preflight.platform.interface import GatewayApiCrdStatus, GatewayApiReadiness, Verdict, platform_finding
from preflight.snapshot.interface import ServiceRef
from preflight.snapshot.model import Snapshot
from preflight.versions import IstioVersion

STANDARD_KINDS = frozenset({"Gateway", "GatewayClass", "HTTPRoute", "GRPCRoute", "ReferenceGrant"})


def needed_versions(kind: str, target: IstioVersion, facts: PlatformFacts) -> tuple[set[str], set[str]]:
    """(versions that must be served, versions precheck only warns about) for one kind."""
    required = {r.version for r in facts.gateway_api_required if kind in r.kinds and r.since <= target}
    watched = facts.watched_versions(target.minor_text).get(kind)
    if watched:
        required.add(watched)
    recommended = {r.version for r in facts.gateway_api_recommended if kind in r.kinds and r.since <= target}
    return required, recommended - required


def check_gateway_api(
    snapshot: Snapshot, target: IstioVersion, facts: PlatformFacts
) -> tuple[GatewayApiReadiness, list[Finding], list[str]]:
    crds = gateway_api_crds(snapshot)
    objects = list(gateway_api_objects(snapshot))
    target_text = target.minor_text
    notes: list[str] = []
    if not crds:
        if objects:
            notes.append("Gateway API objects are in the snapshot but their CRDs are not; CRD versions are unchecked")
            return GatewayApiReadiness(False, None, (), Verdict.UNKNOWN), [], notes
        return GatewayApiReadiness(False, None, (), Verdict.OK), [], notes

    services_by_kind: dict[str, set[ServiceRef]] = {}
    for obj in objects:
        services_by_kind.setdefault(obj.kind, set()).update(services_of_gateway_api_object(snapshot, obj))

    findings: list[Finding] = []
    statuses: list[GatewayApiCrdStatus] = []
    for kind, crd in sorted(crds.items()):
        required, recommended = needed_versions(kind, target, facts)
        missing = sorted(v for v in required if v not in crd.served)
        warn_missing = sorted(v for v in recommended if v not in crd.served)
        services = tuple(sorted(services_by_kind.get(kind, ())))
        if missing:
            findings.append(_crd_finding(crd, missing, target_text, services))
            verdict = Verdict.FAIL
        elif warn_missing:
            findings.append(
                platform_finding(
                    "platform-gateway-api-crd-v1",
                    crd.obj.ref,
                    f"the {kind} CRD serves {_served(crd)}; istioctl {target_text} precheck warns that "
                    f"{', '.join(warn_missing)} is not served and older versions will be dropped",
                    target=target_text,
                    services=services,
                    source=crd.obj.source,
                    details={"served": _served(crd), "missing": ", ".join(warn_missing)},
                )
            )
            verdict = Verdict.WARN
        else:
            verdict = Verdict.OK
        statuses.append(
            GatewayApiCrdStatus(kind, crd.served, tuple(sorted(required | recommended)), tuple(missing), verdict)
        )

    for obj in objects:
        crd_of_kind = crds.get(obj.kind)
        version = obj.ref.api_version.split("/", 1)[-1]
        if crd_of_kind is None or version in crd_of_kind.served:
            continue
        findings.append(
            platform_finding(
                "platform-gateway-api-version",
                obj.ref,
                f"{obj.ref} is written as {obj.ref.api_version}, which its CRD does not serve "
                f"(served: {_served(crd_of_kind)})",
                target=target_text,
                services=services_of_gateway_api_object(snapshot, obj),
                source=obj.source,
                details={"api_version": obj.ref.api_version, "served": _served(crd_of_kind)},
            )
        )

    bundles = sorted({c.bundle_version for c in crds.values() if c.bundle_version})
    overall = Verdict.OK
    if any(s.verdict is Verdict.FAIL for s in statuses):
        overall = Verdict.FAIL
    elif findings:
        overall = Verdict.WARN
    return GatewayApiReadiness(True, ", ".join(bundles) or None, tuple(statuses), overall), findings, notes


def _served(crd: GatewayApiCrd) -> str:
    return ", ".join(crd.served) or "none"


def _crd_finding(crd: GatewayApiCrd, missing: list[str], target: str, services: tuple[ServiceRef, ...]) -> Finding:
    severity = None if crd.kind in STANDARD_KINDS else Severity.MEDIUM
    return platform_finding(
        "platform-gateway-api-crd",
        crd.obj.ref,
        f"the {crd.kind} CRD serves {_served(crd)}, but Istio {target} needs {', '.join(missing)}: "
        f"its {crd.kind} objects cannot be read after the upgrade",
        target=target,
        services=services,
        source=crd.obj.source,
        severity=severity,
        details={
            "served": _served(crd),
            "missing": ", ".join(missing),
            "bundle_version": crd.bundle_version or "",
        },
    )
