"""Semantic switches and watches: how a KB entry tells the simulator what changes, or what to mark.

An upstream entry declares ``simulation: {switch: <name>}`` (and optionally ``note``): a
documented change the "after" side applies. The switches:

* ``externalname_alias`` — an ExternalName Service becomes an alias of the Service it
  names: callers' proxies treat calls to it as calls to the target, so they use Istio
  mTLS (the server sees the caller's identity). Before, the proxy handled the name as an
  external DNS host and sent plaintext.
* ``verify_certificate_at_client`` — a sidecar originating TLS through a DestinationRule
  without a CA (``caCertificates``/``credentialName``) or ``insecureSkipVerify`` now
  verifies the server certificate against the OS bundle; whether the server's
  certificate passes cannot be known, so those edges become ``unknown``.
* ``vs_most_specific_host`` — among overlapping sidecar-bound VirtualServices for a
  wildcard service host, the most specific host wins instead of the oldest: edges whose
  route winner changes go to the new winner's destinations.
* ``sidecar_pick_best_service_namespace`` — a caller scoped by a Sidecar resource that
  reaches a host only through an imported VirtualService, where the host is defined in
  several namespaces but not the caller's, goes to a namespace with a Kubernetes Service
  (else the oldest ServiceEntry) instead of the alphabetically first: edges whose chosen
  namespace changes go to the new one.

A field report has no documented mechanism, so it never changes a decision: both sides
are decided with the documented semantics. It declares ``simulation: {watch: <name>}``
instead, and on a path that crosses it the edges the watch names are marked with the
entry's id (``watch``), keeping their decided before/after. The watches:

* ``allow_implicit_deny`` — calls decided by the enforced ALLOW AuthorizationPolicies of
  their destination workload: admitted by an ALLOW rule, or refused by the implicit deny
  of the rules that do not match. Calls refused earlier (STRICT mTLS, a Sidecar's
  BlackHoleCluster) or to workloads without such a policy do not depend on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from preflight.kb.interface import KBEntry

SWITCHES: Mapping[str, str] = {
    "externalname_alias": "ExternalName Services become aliases of their target",
    "verify_certificate_at_client": "sidecars verify server certificates when originating TLS",
    "vs_most_specific_host": "the most specific VirtualService host wins over the oldest",
    "sidecar_pick_best_service_namespace": "Sidecar scopes prefer a Kubernetes Service's namespace for a shared host",
}
WATCHES: Mapping[str, str] = {
    "allow_implicit_deny": "calls decided by an enforced ALLOW AuthorizationPolicy (admitted, or implicitly denied)",
}
_KEYS = frozenset({"switch", "watch", "note"})


def check_simulation(raw: Mapping[str, Any]) -> str | None:
    """Why a KB entry's ``simulation`` mapping is invalid, or ``None`` when it is fine (or empty)."""
    if not raw:
        return None
    unknown = sorted(set(map(str, raw)) - _KEYS)
    if unknown:
        return f"'simulation' has unknown key(s): {', '.join(unknown)} (expected: switch or watch, note)"
    if ("switch" in raw) == ("watch" in raw):
        return "'simulation' needs exactly one of 'switch' (a documented change) or 'watch' (a field report)"
    if "switch" in raw and raw["switch"] not in SWITCHES:
        return f"'simulation.switch' must be one of {', '.join(sorted(SWITCHES))}"
    if "watch" in raw and raw["watch"] not in WATCHES:
        return f"'simulation.watch' must be one of {', '.join(sorted(WATCHES))}"
    if "note" in raw and not isinstance(raw["note"], str):
        return "'simulation.note' must be text"
    return None


@dataclass(frozen=True)
class Semantics:
    """Which behaviour the evaluation follows; each switch names the KB entry that set it."""

    externalname_alias: str | None = None
    verify_certificate_at_client: str | None = None
    vs_most_specific_host: str | None = None
    sidecar_pick_best_service_namespace: str | None = None

    def with_entries(self, entries: Iterable[KBEntry]) -> Semantics:
        current = self
        for entry in entries:
            switch = switch_of(entry)
            if switch is not None:
                current = replace(current, **{switch: entry.id})
        return current

    @property
    def active(self) -> tuple[str, ...]:
        values = (
            self.externalname_alias,
            self.verify_certificate_at_client,
            self.vs_most_specific_host,
            self.sidecar_pick_best_service_namespace,
        )
        return tuple(v for v in values if v)


def switch_of(entry: KBEntry) -> str | None:
    switch = entry.simulation.get("switch") if entry.simulation else None
    return str(switch) if switch in SWITCHES else None


def watch_of(entry: KBEntry) -> str | None:
    watch = entry.simulation.get("watch") if entry.simulation else None
    return str(watch) if watch in WATCHES else None
