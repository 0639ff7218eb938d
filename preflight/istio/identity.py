"""Workload identities as Istio issues them.

* A meshed workload's identity is the SPIFFE ID
  ``spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>``.
* AuthorizationPolicy ``principals`` name the same identity without the ``spiffe://``
  scheme (``cluster.local/ns/shop/sa/frontend``); a value may start or end with ``*``
  (suffix or prefix match), and ``*`` alone matches any authenticated identity.
* Telemetry reports ``unknown`` where the caller presented no identity (plaintext).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from preflight.istio.matching import ValueIndex, ValuePatterns, value_matches

T = TypeVar("T")

SPIFFE_SCHEME = "spiffe://"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, order=True)
class Identity:
    trust_domain: str
    namespace: str
    service_account: str

    @property
    def spiffe_id(self) -> str:
        return f"{SPIFFE_SCHEME}{self.principal}"

    @property
    def principal(self) -> str:
        """The form AuthorizationPolicy ``source.principals`` use (no scheme)."""
        return f"{self.trust_domain}/ns/{self.namespace}/sa/{self.service_account}"


def spiffe_id(trust_domain: str, namespace: str, service_account: str) -> str:
    return Identity(trust_domain, namespace, service_account).spiffe_id


def parse_identity(value: str | None) -> Identity | None:
    """``spiffe://td/ns/x/sa/y`` or ``td/ns/x/sa/y``; ``None`` for ``unknown``, empty or another shape."""
    if not value or value == UNKNOWN:
        return None
    text = value.removeprefix(SPIFFE_SCHEME)
    parts = text.split("/")
    if len(parts) != 5 or parts[1] != "ns" or parts[3] != "sa" or not all(parts[i] for i in (0, 2, 4)):
        return None
    return Identity(parts[0], parts[2], parts[4])


def normalise_principal(value: str | None) -> str | None:
    """A principal as a SPIFFE ID when it has Istio's shape, else as given; ``None`` for unknown."""
    if not value or value == UNKNOWN:
        return None
    identity = parse_identity(value)
    return identity.spiffe_id if identity else value


def principal_matches(pattern: str, principal: str) -> bool:
    """Does an AuthorizationPolicy principal value match an identity (either form)?"""
    return value_matches(pattern.removeprefix(SPIFFE_SCHEME), principal.removeprefix(SPIFFE_SCHEME))


class PrincipalPatterns:
    """AuthorizationPolicy principal values compiled once: ``matches(identity)`` answers
    ``any(principal_matches(v, identity) for v in values)``, either form on either side."""

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[str]) -> None:
        self._values = ValuePatterns(value.removeprefix(SPIFFE_SCHEME) for value in values)

    def matches(self, principal: str) -> bool:
        return self._values.matches(principal.removeprefix(SPIFFE_SCHEME))


class PrincipalIndex(Generic[T]):
    """Items by identity (either form), found by principal pattern exactly as ``principal_matches`` would.

    An exact principal is one look-up and a ``*`` pattern a range of sorted keys, so matching
    every rule of every policy against every workload is no longer all pairs.
    """

    def __init__(self, items: Iterable[tuple[str, T]]) -> None:
        self._index = ValueIndex((identity.removeprefix(SPIFFE_SCHEME), item) for identity, item in items)

    def matching(self, pattern: str) -> list[T]:
        return self._index.matching(pattern.removeprefix(SPIFFE_SCHEME))
