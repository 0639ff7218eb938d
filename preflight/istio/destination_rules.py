"""Where a DestinationRule carries client TLS settings, and what those settings do.

A DestinationRule's ``tls`` block may sit in four places: ``trafficPolicy.tls``,
``trafficPolicy.portLevelSettings[].tls``, ``subsets[].trafficPolicy.tls`` and
``subsets[].trafficPolicy.portLevelSettings[].tls``. A port-level or subset block
replaces the one above it for that port or subset, so each block is read on its own.

Modes ``SIMPLE`` and ``MUTUAL`` make the sidecar originate TLS with the settings the
user wrote; ``ISTIO_MUTUAL`` uses Istio's own certificates and ``DISABLE`` none.

Which DestinationRule a client sidecar applies to a host (``DestinationRules.rule_for``),
as istiod's push context and sidecar scope pick it:

* ``spec.host`` is resolved against the rule's namespace; among the rules of one
  namespace the most specific host wins (the exact host, else the longest wildcard that
  covers it).
* Namespaces are searched in order: the caller's own (every rule visible there: no
  ``exportTo``, ``*``, ``.`` or the namespace itself); then the host's namespace and then
  the root namespace, each counting only rules exported beyond their namespace and to the
  caller (``exportTo`` empty, ``*`` or naming the caller's namespace). A caller in the root
  namespace searches its private root rules first. The first namespace with a matching host
  decides, even when none of its rules ends up applying to the caller.
* ``meshConfig.defaultDestinationRuleExportTo: ["."]`` makes rules without ``exportTo``
  private to their namespace.
* Rules with a ``workloadSelector`` stay in their namespace and apply only to the callers
  whose labels they select; they win over a rule without selector. Rules for the same host
  are merged: the oldest (``creationTimestamp``, name, namespace) ``trafficPolicy`` counts.
* For a port, ``trafficPolicy.portLevelSettings[port].tls`` replaces ``trafficPolicy.tls``.
  Subset policies apply only to routes that name the subset, which traffic data does not
  tell, so they are not read here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from preflight.istio.hosts import is_wildcard, matches, more_specific, resolve_short_name, subset_of
from preflight.istio.selectors import matches_labels
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


@dataclass(frozen=True, slots=True)
class ClientTLS:
    """The TLS a client sidecar uses toward one host and port, and the rule block that sets it."""

    rule: K8sObject
    block: TLSBlock

    @property
    def mode(self) -> str:
        return self.block.mode

    @property
    def rule_name(self) -> str:
        return f"{self.rule.namespace}/{self.rule.name}"


class _HostIndex:
    """Rules of one namespace by resolved host: exact hosts in a dict, wildcards apart."""

    __slots__ = ("exact", "wildcards")

    def __init__(self) -> None:
        self.exact: dict[str, list[K8sObject]] = defaultdict(list)
        self.wildcards: dict[str, list[K8sObject]] = defaultdict(list)

    def add(self, host: str, rule: K8sObject) -> None:
        (self.wildcards if is_wildcard(host) else self.exact)[host].append(rule)

    def most_specific(self, host: str) -> list[K8sObject] | None:
        """The rules of the most specific host covering ``host``; ``None`` when no host does."""
        if not is_wildcard(host) and host in self.exact:
            return self.exact[host]
        if host in self.wildcards:
            return self.wildcards[host]
        best: str | None = None
        for candidate in self.wildcards:
            if subset_of(host, candidate) and (best is None or more_specific(candidate, best)):
                best = candidate
        return self.wildcards[best] if best is not None else None


def selector_labels(rule: K8sObject) -> Mapping[str, str] | None:
    """A DestinationRule's ``workloadSelector.matchLabels``; ``None`` when it has no selector."""
    labels = mapping_at(mapping_at(rule.spec, "workloadSelector"), "matchLabels")
    return {str(k): str(v) for k, v in labels.items()} if labels else None


def _export_to(rule: K8sObject) -> frozenset[str]:
    return frozenset(str(e) for e in list_at(rule.spec, "exportTo"))


def _order_key(rule: K8sObject) -> tuple[bool, str, str, str]:
    # Rules with a workload selector first, then the oldest: istiod merges rules in this order.
    return (selector_labels(rule) is None, rule.creation_timestamp, rule.name, rule.namespace)


class DestinationRules:
    """The DestinationRule a client applies to a host, with the indexes built once."""

    def __init__(
        self, rules: Iterable[K8sObject], root_namespace: str, default_export_to: Sequence[str] = ()
    ) -> None:
        self.root_namespace = root_namespace
        self._visible_in: dict[str, _HostIndex] = defaultdict(_HostIndex)
        self._exported_from: dict[str, _HostIndex] = defaultdict(_HostIndex)
        self._root_private = _HostIndex()
        self.selector_namespaces: set[str] = set()  # where a rule with a workload selector lives
        private_by_default = "." in {str(e) for e in default_export_to}
        for rule in sorted(rules, key=_order_key):
            raw_host = rule.spec.get("host")
            if not isinstance(raw_host, str) or not raw_host:
                continue
            host = resolve_short_name(raw_host, rule.namespace)
            namespace = rule.namespace
            selected = selector_labels(rule) is not None
            export_to = frozenset({"."}) if selected else _export_to(rule)
            if selected:
                self.selector_namespaces.add(namespace)
            if not export_to or export_to & {"*", ".", namespace}:
                self._visible_in[namespace].add(host, rule)
            private = (not export_to and private_by_default) or (len(export_to) == 1 and export_to & {".", namespace})
            if not private:
                self._exported_from[namespace].add(host, rule)
            elif namespace == root_namespace:
                self._root_private.add(host, rule)

    def candidates(self, client_namespace: str, host: str, host_namespace: str | None) -> list[K8sObject]:
        """The rules of the first namespace, in istiod's search order, with a host covering ``host``."""
        host = host.lower()
        local = self._root_private if client_namespace == self.root_namespace else self._visible_in.get(
            client_namespace
        )
        found = local.most_specific(host) if local is not None else None
        if found is not None:
            return found
        for owner in (host_namespace, self.root_namespace):
            index = self._exported_from.get(owner) if owner else None
            rules = index.most_specific(host) if index is not None else None
            if rules is not None:
                exported = [r for r in rules if _exported_to(r, client_namespace)]
                if exported:
                    return exported
        return []

    def rule_for(
        self,
        client_namespace: str,
        host: str,
        host_namespace: str | None,
        client_labels: Mapping[str, str] | None = None,
    ) -> list[K8sObject]:
        """The merged rules that apply to a client's calls to ``host``, the one whose policy counts first.

        Empty when no rule applies. A caller whose labels are unknown gets the rules without selector.
        """
        chosen: list[K8sObject] = []
        catch_all: list[K8sObject] = []
        for rule in self.candidates(client_namespace, host, host_namespace):
            selector = selector_labels(rule)
            if selector is None:
                catch_all.append(rule)
            elif rule.namespace == client_namespace and client_labels is not None and matches_labels(
                selector, client_labels
            ):
                chosen.append(rule)
        # A matching selector rule is merged only with rules of the same selector: it stands alone.
        return chosen[:1] if chosen else catch_all

    def client_tls(
        self,
        client_namespace: str,
        host: str,
        host_namespace: str | None,
        port: int | None,
        client_labels: Mapping[str, str] | None = None,
    ) -> ClientTLS | None:
        """The TLS settings the caller's sidecar applies to ``host`` on ``port``; ``None`` leaves auto mTLS."""
        for rule in self.rule_for(client_namespace, host, host_namespace, client_labels):
            policy = mapping_at(rule.spec, "trafficPolicy")
            if not policy:
                continue  # merged rules: the oldest rule that has a traffic policy sets it
            return policy_tls(rule, policy, port)
        return None


def policy_tls(rule: K8sObject, policy: Mapping[str, Any], port: int | None) -> ClientTLS | None:
    """The ``tls`` of a traffic policy for ``port``: the port-level block when it has one."""
    if port is not None:
        for port_settings in list_at(policy, "portLevelSettings"):
            if not isinstance(port_settings, Mapping) or mapping_at(port_settings, "port").get("number") != port:
                continue
            port_tls = mapping_at(port_settings, "tls")
            if port_tls:
                return ClientTLS(rule, TLSBlock(f"trafficPolicy.portLevelSettings[{port}]", port_tls))
    tls = mapping_at(policy, "tls")
    return ClientTLS(rule, TLSBlock("trafficPolicy", tls)) if tls else None


def _exported_to(rule: K8sObject, namespace: str) -> bool:
    export_to = _export_to(rule)
    return not export_to or "*" in export_to or namespace in export_to


class UnverifiedTLSRules:
    """DestinationRules that originate TLS without a CA and without ``insecureSkipVerify``.

    Indexed by exact host with the wildcard rest aside, so a host is looked up instead of
    scanning every rule (linear, not quadratic).
    """

    def __init__(self, rules: Iterable[K8sObject]) -> None:
        self._exact: dict[str, list[K8sObject]] = {}
        self._wildcards: list[tuple[str, K8sObject]] = []
        for rule in rules:
            rule_host = rule.spec.get("host")
            if not isinstance(rule_host, str) or not any(
                b.originates_user_tls and not b.has_trust_anchor and not b.skips_verification for b in tls_blocks(rule)
            ):
                continue
            resolved = resolve_short_name(rule_host, rule.namespace)
            if is_wildcard(resolved):
                self._wildcards.append((resolved, rule))
            else:
                self._exact.setdefault(resolved, []).append(rule)

    def first_for(self, host: str) -> K8sObject | None:
        """The first such rule (by namespace and name) for calls to ``host``."""
        if is_wildcard(host):
            candidates = [
                rule for rule_host, rules in self._exact.items() for rule in rules if matches(rule_host, host)
            ]
        else:
            candidates = list(self._exact.get(host, ()))
        candidates += [rule for rule_host, rule in self._wildcards if matches(rule_host, host)]
        return min(candidates, key=lambda rule: (rule.namespace, rule.name), default=None)
