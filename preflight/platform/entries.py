"""Platform checks as knowledge-base-shaped entries, so every formatter treats them like KB changes."""

from __future__ import annotations

from preflight.kb.interface import KBEntry, Mitigation, Upstream
from preflight.platform.interface import CHECKS
from preflight.versions import IstioVersion

_PLATFORM_DOCS = ("https://istio.io/latest/docs/releases/supported-releases/",)


def platform_entry(check_id: str, target: IstioVersion) -> KBEntry:
    check = CHECKS[check_id]
    return KBEntry(
        id=check.id,
        introduced_in=target,
        title=check.title,
        summary=f"Platform readiness check for Istio {target.minor_text}: {check.title.lower()}.",
        impact=f"need attention before the upgrade: {check.title[0].lower()}{check.title[1:]}",
        severity=check.severity,
        area="install",
        remediation=check.fix,
        mitigation=Mitigation(text="None: fix the platform before or during the upgrade."),
        upstream=Upstream(docs=_PLATFORM_DOCS),
        provenance="upstream",
        source_file="knowledge/platform/platform.yaml",
        advisory=None,
        detector=None,
    )
