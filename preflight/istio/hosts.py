"""Host names as istiod resolves and matches them.

* A short name without a dot is resolved against the namespace of the resource that
  names it: ``reviews`` in namespace ``shop`` is ``reviews.shop.svc.cluster.local``.
  A name with a dot is taken as written (``reviews.shop`` is *not* expanded), as
  istiod's ``ResolveShortnameToFQDN`` does.
* ``*.example.com`` matches every name ending in ``.example.com``; ``*`` matches all.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import cached_property

from preflight.istio.matching import ValueIndex
from preflight.snapshot.interface import ServiceRef

DEFAULT_DOMAIN = "cluster.local"


def resolve_short_name(host: str, namespace: str, domain: str = DEFAULT_DOMAIN) -> str:
    host = host.strip().lower()
    if not host or host == "*" or _is_ip(host) or "." in host:
        return host
    suffix = f".{namespace}" if namespace else ""
    return f"{host}{suffix}.svc.{domain}" if domain else f"{host}{suffix}"


def service_fqdn(service: ServiceRef, domain: str = DEFAULT_DOMAIN) -> str:
    return f"{service.name}.{service.namespace}.svc.{domain}"


def is_wildcard(host: str) -> bool:
    return host.startswith("*")


def matches(first: str, second: str) -> bool:
    """Can the two (possibly wildcard) names match a common host? Symmetric."""
    if first == second:
        return True
    first_wild, second_wild = is_wildcard(first), is_wildcard(second)
    if first_wild and second_wild:
        return first[1:].endswith(second[1:]) or second[1:].endswith(first[1:])
    if first_wild:
        return second.endswith(first[1:])
    if second_wild:
        return first.endswith(second[1:])
    return False


def subset_of(narrow: str, wide: str) -> bool:
    """Is every host that ``narrow`` names also named by ``wide``?"""
    if narrow == wide:
        return True
    if is_wildcard(wide):
        suffix = wide[1:]
        return narrow[1:].endswith(suffix) if is_wildcard(narrow) else narrow.endswith(suffix)
    return False


def more_specific(first: str, second: str) -> bool:
    """Istio's precedence between two matching names: exact beats wildcard, longer beats shorter."""
    if is_wildcard(first) != is_wildcard(second):
        return not is_wildcard(first)
    return len(first) > len(second)


class HostSet:
    """A set of (possibly wildcard) names answering ``any(matches(name, h) for h in hosts)`` without the scan.

    An exact name matches an exact host when equal and a wildcard host when it ends with the
    wildcard's suffix, so its own suffixes are looked up; a wildcard name (rare in resources)
    finds the hosts ending with its suffix through sorted reversed keys.
    """

    def __init__(self, hosts: Iterable[str]) -> None:
        exact: set[str] = set()
        wildcard_suffixes: set[str] = set()
        for host in hosts:
            if is_wildcard(host):
                wildcard_suffixes.add(host[1:])
            else:
                exact.add(host)
        self._exact = frozenset(exact)
        self._wildcard_suffixes = frozenset(wildcard_suffixes)
        self._exact_by_suffix = ValueIndex((host, host) for host in exact)
        self._wildcards_by_suffix = ValueIndex((suffix, suffix) for suffix in wildcard_suffixes)

    def __bool__(self) -> bool:
        return bool(self._exact or self._wildcard_suffixes)

    def matches_any(self, name: str) -> bool:
        suffixes = self._wildcard_suffixes
        if not is_wildcard(name):
            return name in self._exact or any(name[start:] in suffixes for start in range(len(name) + 1))
        suffix = name[1:]
        return (
            any(suffix[start:] in suffixes for start in range(len(suffix) + 1))
            or bool(self._wildcards_by_suffix.ending_with(suffix))
            or bool(self._exact_by_suffix.ending_with(suffix))
        )


class ServiceHosts:
    """Services by their FQDN, so a host in a resource maps to the services it names."""

    def __init__(self, services: Iterable[ServiceRef], domain: str = DEFAULT_DOMAIN) -> None:
        self.domain = domain
        self._by_fqdn: Mapping[str, ServiceRef] = {service_fqdn(s, domain): s for s in services}

    def lookup(self, host: str, namespace: str) -> list[ServiceRef]:
        """Services a host (as written in a resource of ``namespace``) names."""
        fqdn = resolve_short_name(host, namespace, self.domain)
        if not is_wildcard(fqdn):
            found = self._by_fqdn.get(fqdn)
            return [found] if found else []
        return sorted(self._by_suffix.ending_with(fqdn[1:]))

    @cached_property
    def _by_suffix(self) -> ValueIndex[ServiceRef]:
        """Services by FQDN, so a wildcard host finds its services by suffix rather than by a scan."""
        return ValueIndex(self._by_fqdn.items())

    def service_for(self, fqdn: str) -> ServiceRef | None:
        return self._by_fqdn.get(fqdn)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
