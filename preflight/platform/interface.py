"""Platform readiness: what the report's first section shows, and the checks behind it.

Each check yields engine ``Finding``s whose ``change`` is one of ``CHECKS`` below (not
KB entries: they come from platform facts in ``knowledge/platform/platform.yaml``),
with ``details["fix"]`` saying what to do. ``PlatformReadiness`` sums them up for the
"platform readiness" section of the HTML/Markdown report and the JSON ``platform`` key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from preflight.engine.finding import Finding, FindingStatus
from preflight.kb.interface import Severity
from preflight.snapshot.interface import ObjectRef, ServiceRef, SourceRef


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but something should be done before or soon after the upgrade
    FAIL = "fail"  # blocks the upgrade or breaks part of the mesh
    UNKNOWN = "unknown"  # the snapshot does not show enough to decide

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PlatformCheck:
    id: str
    title: str
    severity: Severity
    fix: str


def _check(check_id: str, title: str, severity: Severity, fix: str) -> tuple[str, PlatformCheck]:
    return check_id, PlatformCheck(check_id, title, severity, fix)


CHECKS: dict[str, PlatformCheck] = dict(
    [
        _check(
            "platform-kubernetes-version",
            "Kubernetes is older than the target Istio supports",
            Severity.CRITICAL,
            "Upgrade the cluster to at least the minimum Kubernetes minor before installing the target Istio.",
        ),
        _check(
            "platform-kubernetes-version-unknown",
            "Kubernetes version unknown",
            Severity.MEDIUM,
            "Export the snapshot with its server version, or pass --kubernetes-version.",
        ),
        _check(
            "platform-proxy-skew",
            "Proxy outside the supported control-plane/data-plane skew",
            Severity.HIGH,
            "Restart the workload so it is re-injected by a revision at most one minor ahead of its proxy "
            "before the older control plane is removed.",
        ),
        _check(
            "platform-proxy-stale",
            "Proxy older than its control plane (not restarted since the last upgrade)",
            Severity.LOW,
            "Restart the workload so it picks up its control plane's proxy before upgrading again.",
        ),
        _check(
            "platform-proxy-newer",
            "Proxy newer than its control plane",
            Severity.HIGH,
            "Upgrade the control plane first, or re-inject the workload with its revision's proxy.",
        ),
        _check(
            "platform-proxy-orphaned",
            "Proxy injected by a revision with no istiod in the snapshot",
            Severity.MEDIUM,
            "Check which control plane serves the pod; relabel its namespace to a running revision and restart it.",
        ),
        _check(
            "platform-proxy-pinned-image",
            "Proxy image pinned with sidecar.istio.io/proxyImage",
            Severity.MEDIUM,
            "Remove the sidecar.istio.io/proxyImage annotation (or point it at the target version) so a "
            "restart moves the pod to the new proxy.",
        ),
        _check(
            "platform-revision-conflicting-labels",
            "Namespace has both istio-injection and istio.io/rev",
            Severity.MEDIUM,
            "Keep one injection label: istio-injection wins, so the istio.io/rev label is silently ignored.",
        ),
        _check(
            "platform-revision-pinned",
            "Namespace or pod pinned to a revision, not a tag",
            Severity.LOW,
            "Label it istio.io/rev=<tag> so switching the tag moves it, or relabel it during the upgrade.",
        ),
        _check(
            "platform-revision-missing",
            "Injection label names a revision or tag that does not exist",
            Severity.HIGH,
            "Point the label at an installed revision or tag; new pods are otherwise not injected.",
        ),
        _check(
            "platform-gateway-api-crd",
            "Gateway API CRD does not serve the version the target Istio needs",
            Severity.HIGH,
            "Install a Gateway API release whose CRDs serve the version listed, before upgrading Istio.",
        ),
        _check(
            "platform-gateway-api-crd-v1",
            "Gateway API CRD does not serve v1",
            Severity.LOW,
            "Upgrade the Gateway API CRDs to a release that serves v1 (Gateway API 1.0 or later).",
        ),
        _check(
            "platform-gateway-api-version",
            "Gateway API object uses a version its CRD does not serve",
            Severity.MEDIUM,
            "Rewrite the manifest with a served apiVersion; applying it as is fails.",
        ),
        _check(
            "platform-support-current",
            "Current Istio version is out of support",
            Severity.LOW,
            "Upgrade: no more patches are published for this minor.",
        ),
        _check(
            "platform-support-target",
            "Target Istio version is out of support, or soon will be",
            Severity.HIGH,
            "Choose a newer target minor.",
        ),
    ]
)


@dataclass(frozen=True)
class KubernetesReadiness:
    version: str | None  # e.g. "1.29.4"
    source: str  # "snapshot", "--kubernetes-version" or "unknown"
    minimum: str | None  # the target Istio's minimum minor, e.g. "1.29"
    verdict: Verdict


@dataclass(frozen=True)
class ProxyGroup:
    """Injected pods sharing a revision and a proxy version (one bar of the chart)."""

    revision: str  # "unknown" when nothing records it
    version: str  # "unknown" when the image tag is not a version
    pods: int
    control_plane_version: str | None  # the revision's istiod version, when known


@dataclass(frozen=True)
class SkewPhase:
    name: str  # "current", "canary", "after-switch"
    description: str
    out_of_skew: int  # pods outside the supported skew in this phase
    verdict: Verdict


@dataclass(frozen=True)
class DataPlaneReadiness:
    groups: tuple[ProxyGroup, ...]
    phases: tuple[SkewPhase, ...]
    pods: int  # injected pods seen
    stale: int  # pods whose proxy is older than their control plane
    native_sidecars: int
    verdict: Verdict


@dataclass(frozen=True)
class RevisionSummary:
    name: str
    version: str | None
    tags: tuple[str, ...]
    namespaces: tuple[str, ...]  # namespaces whose labels resolve to it


@dataclass(frozen=True)
class RevisionReadiness:
    revisions: tuple[RevisionSummary, ...]
    default_revision: str | None
    pinned_namespaces: tuple[str, ...]  # will not move when a tag is switched
    conflicting_namespaces: tuple[str, ...]
    verdict: Verdict


@dataclass(frozen=True)
class GatewayApiCrdStatus:
    kind: str
    served: tuple[str, ...]
    needed: tuple[str, ...]  # versions the target Istio needs served
    missing: tuple[str, ...]
    verdict: Verdict


@dataclass(frozen=True)
class GatewayApiReadiness:
    installed: bool
    bundle_version: str | None
    crds: tuple[GatewayApiCrdStatus, ...]
    verdict: Verdict


@dataclass(frozen=True)
class ReleaseSupport:
    version: str  # the minor, e.g. "1.24"
    released: date | None
    supported_until: date | None  # None while minor N+2 has not shipped
    verdict: Verdict  # OK supported, WARN ends within the warning window, FAIL ended, UNKNOWN
    source: str | None = None  # the istio.io page giving the release date


@dataclass(frozen=True)
class SupportReadiness:
    report_date: date
    current: ReleaseSupport
    target: ReleaseSupport


@dataclass(frozen=True)
class PlatformReadiness:
    kubernetes: KubernetesReadiness
    data_plane: DataPlaneReadiness
    revisions: RevisionReadiness
    gateway_api: GatewayApiReadiness
    support: SupportReadiness
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def platform_finding(
    check_id: str,
    resource: ObjectRef,
    message: str,
    *,
    target: str,
    services: tuple[ServiceRef, ...] = (),
    source: SourceRef | None = None,
    severity: Severity | None = None,
    details: Mapping[str, str] | None = None,
) -> Finding:
    """A ``Finding`` for one platform check, its fix in ``details["fix"]``."""
    check = CHECKS[check_id]
    return Finding(
        change=check_id,
        introduced_in=target,
        severity=severity or check.severity,
        status=FindingStatus.AFFECTED,
        resource=resource,
        services=services,
        message=message,
        source=source,
        details={**(details or {}), "fix": check.fix, "check": check.title},
    )
