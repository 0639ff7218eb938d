"""Where a DestinationRule carries client TLS settings, and what those settings do.

A DestinationRule's ``tls`` block may sit in four places: ``trafficPolicy.tls``,
``trafficPolicy.portLevelSettings[].tls``, ``subsets[].trafficPolicy.tls`` and
``subsets[].trafficPolicy.portLevelSettings[].tls``. A port-level or subset block
replaces the one above it for that port or subset, so each block is read on its own.

Modes ``SIMPLE`` and ``MUTUAL`` make the sidecar originate TLS with the settings the
user wrote; ``ISTIO_MUTUAL`` uses Istio's own certificates and ``DISABLE`` none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from preflight.snapshot.interface import K8sObject, list_at, mapping_at

USER_TLS_MODES = frozenset({"SIMPLE", "MUTUAL"})


@dataclass(frozen=True)
class TLSBlock:
    where: str  # e.g. "trafficPolicy", "subsets[v2].trafficPolicy.portLevelSettings[443]"
    settings: Mapping[str, Any]

    @property
    def mode(self) -> str:
        return str(self.settings.get("mode") or "DISABLE").upper()

    @property
    def originates_user_tls(self) -> bool:
        return self.mode in USER_TLS_MODES

    @property
    def has_trust_anchor(self) -> bool:
        """The server certificate is checked against a CA the user gave (file or secret)."""
        return bool(self.settings.get("caCertificates") or self.settings.get("credentialName"))

    @property
    def skips_verification(self) -> bool:
        value = self.settings.get("insecureSkipVerify")
        return value is True or str(value).lower() == "true"

    @property
    def sni(self) -> str | None:
        value = self.settings.get("sni")
        return str(value) if value else None


def tls_blocks(rule: K8sObject) -> Iterator[TLSBlock]:
    """Every ``tls`` block of a DestinationRule, with where it sits."""
    yield from _policy_blocks(mapping_at(rule.spec, "trafficPolicy"), "trafficPolicy")
    for subset in list_at(rule.spec, "subsets"):
        if not isinstance(subset, Mapping):
            continue
        name = subset.get("name", "?")
        yield from _policy_blocks(mapping_at(subset, "trafficPolicy"), f"subsets[{name}].trafficPolicy")


def _policy_blocks(policy: Mapping[str, Any], where: str) -> Iterator[TLSBlock]:
    tls = mapping_at(policy, "tls")
    if tls:
        yield TLSBlock(where, tls)
    for port_settings in list_at(policy, "portLevelSettings"):
        if not isinstance(port_settings, Mapping):
            continue
        port = mapping_at(port_settings, "port").get("number", "?")
        port_tls = mapping_at(port_settings, "tls")
        if port_tls:
            yield TLSBlock(f"{where}.portLevelSettings[{port}]", port_tls)
