"""Platform readiness: Kubernetes, proxy versions and skew, revisions, Gateway API, support window."""

from preflight.platform.readiness import assess_platform
from preflight.platform.report import platform_to_json

__all__ = ["assess_platform", "platform_to_json"]
