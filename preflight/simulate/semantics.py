"""Semantic switches and watches: how a KB entry tells the simulator what changes, or what to mark.

An upstream entry declares ``simulation: {switch: <name>}`` (and optionally ``note``): a
documented change the "after" side applies. Each switch is a ``Switch`` in ``SWITCHES`` that
declares, with ``touches``, the destinations whose decision it can change; the "after" side is
decided again only for those (``tests/simulate/test_switch_reach.py`` checks the declarations
against what the decision code reads). The switches:

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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from preflight.kb.interface import KBEntry
from preflight.traffic.interface import Destination


class Reach(Protocol):
    """What a switch's ``touches`` may ask about the calls to one destination (the simulation answers)."""

    def is_external_name(self, destination: Destination) -> bool: ...

    def is_host(self, destination: Destination) -> bool:
        """Named by host only: no Service, no workload."""
        ...

    def originates_tls_without_ca(self, destination: Destination) -> bool:
        """A DestinationRule originates TLS without a CA to a target of the destination, on either side."""
        ...

    def is_shared_host(self, destination: Destination) -> bool:
        """The destination's host is defined in more than one namespace."""
        ...


@dataclass(frozen=True)
class Switch:
    """A documented change the simulator applies, and which destinations it can change a decision for.

    ``touches`` must hold for every destination whose decision reads the switch: the "after"
    side of calls to any other destination is their "before" side, never decided again.
    """

    description: str
    touches: Callable[[Reach, Destination], bool]


SWITCHES: Mapping[str, Switch] = {
    "externalname_alias": Switch(
        "ExternalName Services become aliases of their target",
        lambda reach, destination: reach.is_external_name(destination),
    ),
    "verify_certificate_at_client": Switch(
        "sidecars verify server certificates when originating TLS",
        lambda reach, destination: reach.originates_tls_without_ca(destination),
    ),
    "vs_most_specific_host": Switch(
        "the most specific VirtualService host wins over the oldest",
        lambda reach, destination: reach.is_host(destination),
    ),
    "sidecar_pick_best_service_namespace": Switch(
        "Sidecar scopes prefer a Kubernetes Service's namespace for a shared host",
        lambda reach, destination: reach.is_shared_host(destination),
    ),
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
        return tuple(value for name in SWITCHES if (value := getattr(self, name)))

    def differing(self, other: Semantics) -> frozenset[str]:
        """The switches set differently here and in ``other``."""
        return frozenset(name for name in SWITCHES if getattr(self, name) != getattr(other, name))


def switch_of(entry: KBEntry) -> str | None:
    switch = entry.simulation.get("switch") if entry.simulation else None
    return str(switch) if switch in SWITCHES else None


def watch_of(entry: KBEntry) -> str | None:
    watch = entry.simulation.get("watch") if entry.simulation else None
    return str(watch) if watch in WATCHES else None
