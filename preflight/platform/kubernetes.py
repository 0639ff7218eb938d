"""Kubernetes version against the target Istio's minimum.

Check ``platform-kubernetes-version`` (critical, blocking): the cluster's Kubernetes
minor is older than the oldest one the target Istio minor's installer accepts (the
same comparison ``istioctl x precheck`` and ``istioctl install`` make: only the minor
counts, so ``v1.28.0-eks-1`` satisfies a minimum of ``1.28``).

The version comes from ``--kubernetes-version`` when given, else from the snapshot
(``kubectl version -o yaml`` output or the export manifest). When neither shows it,
``platform-kubernetes-version-unknown`` (medium) says the check could not run; a
``--kubernetes-version`` that is not a version is a usage error.
"""

from __future__ import annotations

import semver

from preflight.engine.finding import Finding
from preflight.errors import UsageError
from preflight.platform.facts import PlatformFacts
from preflight.platform.interface import KubernetesReadiness, Verdict, platform_finding
from preflight.snapshot.interface import ObjectRef
from preflight.snapshot.model import Snapshot
from preflight.versions import IstioVersion

OVERRIDE_SOURCE = "--kubernetes-version"


def parse_kubernetes_version(text: str) -> semver.Version | None:
    """``v1.29.3``, ``1.29``, ``v1.29.3-eks-4c4a1b2``, ``v1.30.1+k3s1``; ``None`` when not a version."""
    cleaned = text.strip().removeprefix("v").rstrip("+")
    try:
        return semver.Version.parse(cleaned, optional_minor_and_patch=True)
    except (ValueError, TypeError):
        return None


def cluster_ref(snapshot: Snapshot) -> ObjectRef:
    return ObjectRef("Cluster", "", snapshot.info.cluster_name or "cluster")


def check_kubernetes(
    snapshot: Snapshot,
    target: IstioVersion,
    facts: PlatformFacts,
    override: str | None,
) -> tuple[KubernetesReadiness, list[Finding], list[str]]:
    notes: list[str] = []
    minimum = facts.minimum_kubernetes.get(target.minor_text)
    minimum_text = f"{minimum[0]}.{minimum[1]}" if minimum else None
    if override is not None:
        version = parse_kubernetes_version(override)
        if version is None:
            raise UsageError(f"--kubernetes-version '{override}' is not a Kubernetes version (expected e.g. 1.29)")
        source = OVERRIDE_SOURCE
    else:
        raw = snapshot.info.kubernetes_version
        version = parse_kubernetes_version(raw) if raw else None
        source = "snapshot"
        if raw and version is None:
            notes.append(f"the snapshot's Kubernetes version '{raw}' is not a version; pass --kubernetes-version")
    cluster = cluster_ref(snapshot)
    target_text = target.minor_text
    if version is None:
        readiness = KubernetesReadiness(None, "unknown", minimum_text, Verdict.UNKNOWN)
        message = (
            f"the Kubernetes version is not in the snapshot, so support by Istio {target_text} "
            f"(minimum Kubernetes {minimum_text or 'unknown'}) cannot be checked"
        )
        finding = platform_finding("platform-kubernetes-version-unknown", cluster, message, target=target_text)
        return readiness, [finding], notes
    version_text = f"{version.major}.{version.minor}.{version.patch}"
    if minimum is None:
        notes.append(f"no minimum Kubernetes version is recorded for Istio {target_text}")
        return KubernetesReadiness(version_text, source, None, Verdict.UNKNOWN), [], notes
    if (version.major, version.minor) >= minimum:
        return KubernetesReadiness(version_text, source, minimum_text, Verdict.OK), [], notes
    message = (
        f"Kubernetes {version.major}.{version.minor} (from {source}) is older than {minimum_text}, "
        f"the oldest minor Istio {target_text} supports"
    )
    finding = platform_finding(
        "platform-kubernetes-version",
        cluster,
        message,
        target=target_text,
        details={
            "kubernetes": version_text,
            "minimum": minimum_text or "",
            "source": facts.kubernetes_source,
        },
    )
    return KubernetesReadiness(version_text, source, minimum_text, Verdict.FAIL), [finding], notes
