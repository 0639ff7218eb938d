"""Platform readiness: Kubernetes, proxy versions and skew, revisions, Gateway API, support window."""

from preflight.platform.readiness import assess_platform

__all__ = ["assess_platform"]
