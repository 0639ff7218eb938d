"""The JSON ``platform`` section: plain data for any formatter, built from ``PlatformReadiness``."""

from __future__ import annotations

from typing import Any

from preflight.engine.interface import Finding
from preflight.platform.interface import PlatformReadiness, ReleaseSupport


def platform_to_json(readiness: PlatformReadiness) -> dict[str, Any]:
    kubernetes = readiness.kubernetes
    data_plane = readiness.data_plane
    revisions = readiness.revisions
    gateway_api = readiness.gateway_api
    support = readiness.support
    return {
        "kubernetes": {
            "version": kubernetes.version,
            "source": kubernetes.source,
            "minimum": kubernetes.minimum,
            "verdict": kubernetes.verdict.value,
        },
        "data_plane": {
            "verdict": data_plane.verdict.value,
            "pods": data_plane.pods,
            "stale": data_plane.stale,
            "native_sidecars": data_plane.native_sidecars,
            "groups": [
                {
                    "revision": g.revision,
                    "version": g.version,
                    "pods": g.pods,
                    "control_plane_version": g.control_plane_version,
                }
                for g in data_plane.groups
            ],
            "skew": [
                {
                    "phase": p.name,
                    "description": p.description,
                    "out_of_skew": p.out_of_skew,
                    "verdict": p.verdict.value,
                }
                for p in data_plane.phases
            ],
        },
        "revisions": {
            "verdict": revisions.verdict.value,
            "default": revisions.default_revision,
            "revisions": [
                {"name": r.name, "version": r.version, "tags": list(r.tags), "namespaces": list(r.namespaces)}
                for r in revisions.revisions
            ],
            "pinned_namespaces": list(revisions.pinned_namespaces),
            "conflicting_namespaces": list(revisions.conflicting_namespaces),
        },
        "gateway_api": {
            "verdict": gateway_api.verdict.value,
            "installed": gateway_api.installed,
            "bundle_version": gateway_api.bundle_version,
            "crds": [
                {
                    "kind": c.kind,
                    "served": list(c.served),
                    "needed": list(c.needed),
                    "missing": list(c.missing),
                    "verdict": c.verdict.value,
                }
                for c in gateway_api.crds
            ],
        },
        "support": {
            "report_date": support.report_date.isoformat(),
            "current": _release(support.current),
            "target": _release(support.target),
        },
        "findings": [_finding(f) for f in readiness.findings],
        "notes": list(readiness.notes),
    }


def _release(release: ReleaseSupport) -> dict[str, Any]:
    return {
        "version": release.version,
        "released": release.released.isoformat() if release.released else None,
        "supported_until": release.supported_until.isoformat() if release.supported_until else None,
        "verdict": release.verdict.value,
        "source": release.source,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.change,
        "severity": finding.severity.value,
        "resource": {
            "kind": finding.resource.kind,
            "namespace": finding.resource.namespace,
            "name": finding.resource.name,
        },
        "services": [str(s) for s in finding.services],
        "message": finding.message,
        "source": str(finding.source) if finding.source else None,
        "details": dict(finding.details),
    }
