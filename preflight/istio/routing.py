"""Reading VirtualService routes: destinations, and the hosts a route sends traffic to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from preflight.istio.hosts import is_wildcard, matches, resolve_short_name, subset_of
from preflight.istio.matching import ValueIndex
from preflight.snapshot.interface import K8sObject, list_at

ROUTE_SECTIONS = ("http", "tcp", "tls")


def route_destinations(virtual_service: K8sObject) -> set[str]:
    """Every ``destination.host`` in the http, tcp and tls routes and http mirrors of a VirtualService (as written)."""
    return {str(d.get("host")) for d in destinations(virtual_service) if d.get("host")}


def destinations(virtual_service: K8sObject) -> Iterator[Mapping[str, object]]:
    for section in ROUTE_SECTIONS:
        for route in list_at(virtual_service.spec, section):
            if not isinstance(route, Mapping):
                continue
            for weighted in list_at(route, "route"):
                if isinstance(weighted, Mapping) and isinstance(weighted.get("destination"), Mapping):
                    yield weighted["destination"]
            mirror = route.get("mirror")
            if isinstance(mirror, Mapping):
                yield mirror
            # ``mirrors`` (several mirror policies) carries each target under ``destination``.
            for policy in list_at(route, "mirrors"):
                if isinstance(policy, Mapping) and isinstance(policy.get("destination"), Mapping):
                    yield policy["destination"]


# Which VirtualService a wildcard service host gets ------------------------------------
#
# istiod builds one route configuration per service host and has to pick, among the
# VirtualServices bound to sidecars whose hosts overlap that service host, the one whose
# routes it uses. Up to 1.20 the oldest VirtualService with any overlapping host won;
# from 1.21 the one whose host covers the service host most specifically wins (an equal
# host first, then the longest wildcard that contains it), like ``MostSpecificHostMatch``.


def applies_to_sidecars(virtual_service: K8sObject) -> bool:
    """Bound to the ``mesh`` gateway: no ``gateways`` field, or ``mesh`` listed in it."""
    gateways = [g for g in list_at(virtual_service.spec, "gateways") if isinstance(g, str)]
    return not gateways or "mesh" in gateways


def creation_order_key(obj: K8sObject) -> tuple[str, str, str]:
    """istiod's tie-break for config of equal standing: older first, then namespace, then name.

    RFC 3339 timestamps in UTC sort as text; an object without one sorts first, as
    istiod treats a zero creation time as oldest.
    """
    return (obj.creation_timestamp, obj.namespace, obj.name)


def oldest_first_winner(candidates: Iterable[K8sObject]) -> K8sObject | None:
    """The pre-1.21 choice: the oldest of the VirtualServices whose hosts overlap."""
    return min(candidates, key=creation_order_key, default=None)


def most_specific_host(service_host: str, virtual_service_hosts: Iterable[str]) -> str | None:
    """The VirtualService host that covers ``service_host`` most specifically, or ``None``.

    An equal host wins; otherwise a wildcard host that contains the service host, the
    longest one first. Hosts narrower than the service host do not cover it.
    """
    best: str | None = None
    for host in virtual_service_hosts:
        if host == service_host:
            return host
        if is_wildcard(host) and subset_of(service_host, host) and (best is None or len(host) > len(best)):
            best = host
    return best


def most_specific_winner(service_host: str, candidates: Iterable[K8sObject]) -> K8sObject | None:
    """The 1.21+ choice for ``service_host`` among VirtualServices (hosts resolved per namespace)."""
    ranked: list[tuple[int, tuple[str, str, str], K8sObject]] = []
    for virtual_service in candidates:
        hosts = [resolve_short_name(h, virtual_service.namespace) for h in _hosts(virtual_service)]
        chosen = most_specific_host(service_host, hosts)
        if chosen is None:
            continue
        specificity = 10**6 if chosen == service_host else len(chosen)
        ranked.append((-specificity, creation_order_key(virtual_service), virtual_service))
    if not ranked:
        return None
    return min(ranked, key=lambda r: (r[0], r[1]))[2]


def overlapping_virtual_services(service_host: str, virtual_services: Iterable[K8sObject]) -> list[K8sObject]:
    """Sidecar-bound VirtualServices with at least one host overlapping ``service_host``.

    Tests every host; for many service hosts build ``SidecarVirtualServices`` once instead.
    """
    return [
        v
        for v in virtual_services
        if applies_to_sidecars(v) and any(matches(resolve_short_name(h, v.namespace), service_host) for h in _hosts(v))
    ]


class SidecarVirtualServices:
    """Sidecar-bound VirtualServices indexed by host, so looking up every service stays linear.

    ``overlapping`` answers what testing ``matches`` on every host of every VirtualService
    would: exact hosts are found by name, or for a wildcard service host by the suffix it
    stands for (a range of the reversed sorted hosts); wildcard VirtualService hosts are found
    by the suffixes of the service host, and for a wildcard service host also by their own
    suffix ending with the service host's.
    """

    def __init__(self, virtual_services: Iterable[K8sObject]) -> None:
        self._order: dict[int, int] = {}
        exact: list[tuple[str, K8sObject]] = []
        wildcard: list[tuple[str, K8sObject]] = []  # keyed by the suffix after "*"
        for position, virtual_service in enumerate(virtual_services):
            if not applies_to_sidecars(virtual_service):
                continue
            self._order[id(virtual_service)] = position
            for host in (resolve_short_name(h, virtual_service.namespace) for h in _hosts(virtual_service)):
                if is_wildcard(host):
                    wildcard.append((host[1:], virtual_service))
                else:
                    exact.append((host, virtual_service))
        self._exact = ValueIndex(exact)
        self._wildcard = ValueIndex(wildcard)

    def overlapping(self, service_host: str) -> list[K8sObject]:
        if is_wildcard(service_host):
            suffix = service_host[1:]
            candidates = [
                *self._exact.ending_with(suffix),
                *self._wildcard.ending_with(suffix),
                *self._wildcard.suffixes_of(suffix),
            ]
        else:
            candidates = [*self._exact.equal_to(service_host), *self._wildcard.suffixes_of(service_host)]
        found = {id(v): v for v in candidates}
        return sorted(found.values(), key=lambda v: self._order[id(v)])


def _hosts(virtual_service: K8sObject) -> list[str]:
    return [h for h in list_at(virtual_service.spec, "hosts") if isinstance(h, str)]


# Which routes fall back on istiod's default retry policy ------------------------------
#
# istiod turns a route's ``retries`` (else meshConfig ``defaultHttpRetryPolicy``, else
# nothing) into an Envoy retry policy by starting from its built-in default and
# overriding what the policy sets: ``attempts`` 0 (or unset) switches retries off, and a
# ``retryOn`` replaces both the retry conditions and the retriable status codes. Only a
# policy that is absent, or that sets ``attempts`` but no ``retryOn``, keeps the built-in
# retriable status codes (503 up to 1.23, none from 1.24).


def keeps_default_retry_codes(retries: object) -> bool:
    """Does this HTTP retry policy (``None`` when unset) keep istiod's built-in retriable status codes?"""
    if retries is None:
        return True
    if not isinstance(retries, Mapping):
        return False
    attempts = retries.get("attempts")
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts <= 0:
        return False
    return not str(retries.get("retryOn") or "").strip()


def http_route_retries(virtual_service: K8sObject) -> list[object]:
    """The ``retries`` of each http route of a VirtualService (``None`` where a route sets none)."""
    return [route.get("retries") for route in list_at(virtual_service.spec, "http") if isinstance(route, Mapping)]


# Kubernetes' standard ``appProtocol`` names Istio maps (``pkg/config/kube/conversion.go``).
_KUBERNETES_APP_PROTOCOLS = {"kubernetes.io/h2c": "http2", "kubernetes.io/ws": "http", "kubernetes.io/wss": "https"}
_PROTOCOL_NAMES = frozenset(
    {"tcp", "udp", "grpc", "grpc-web", "http", "http_proxy", "http2", "https", "tls", "mongo", "redis", "mysql"}
)
# Ports Istio treats as TCP when their name declares no protocol: SMTP, DNS, MySQL, MongoDB.
_WELL_KNOWN_TCP_PORTS = frozenset({25, 53, 3306, 27017})
# Protocols that never carry HTTP routes (https is passed through as TLS by sidecars).
_NON_HTTP_PROTOCOLS = frozenset({"tcp", "udp", "tls", "https", "mongo", "mysql", "redis"})


def declared_protocol(port: Mapping[str, object]) -> str | None:
    """The protocol Istio reads from a Service port, lowercase; ``None`` when it sniffs the protocol.

    As istiod's ``ConvertProtocol``: UDP ports are ``udp``; ``appProtocol`` when set, else
    the port name; ``grpc-web`` as a prefix, else the part before the first ``-``; a name
    Istio does not know is sniffed, except on a few well-known TCP ports.
    """
    if str(port.get("protocol") or "").upper() == "UDP":
        return "udp"
    app_protocol = port.get("appProtocol")
    name = str(app_protocol if app_protocol is not None else port.get("name") or "")
    if app_protocol is not None and name in _KUBERNETES_APP_PROTOCOLS:
        return _KUBERNETES_APP_PROTOCOLS[name]
    lowered = name.lower()
    if lowered.startswith("grpc-web"):
        return "grpc-web"
    prefix = lowered.split("-", 1)[0]
    if prefix in _PROTOCOL_NAMES:
        return prefix
    number = port.get("port")
    return "tcp" if isinstance(number, int) and number in _WELL_KNOWN_TCP_PORTS else None


def may_carry_http(port: Mapping[str, object]) -> bool:
    """Can Istio route this Service port as HTTP (declared HTTP, or sniffed)?"""
    return declared_protocol(port) not in _NON_HTTP_PROTOCOLS


# How a server-side proxy handles a request of a protocol: as HTTP, as TCP, or (sniffed) either.
HTTP_PROTOCOLS = frozenset({"http", "http2", "grpc", "grpc-web"})
# https: sidecars pass TLS through, so the inbound filter chain decides it as TCP.
TCP_PROTOCOLS = frozenset({"tcp", "tls", "https", "mongo", "mysql", "redis"})
HTTP_ONLY, TCP_ONLY, HTTP_OR_TCP = (True,), (False,), (True, False)


def handled_as_http(protocol: str) -> tuple[bool, ...]:
    """Whether the receiving proxy handles ``protocol`` as HTTP (``True``), as TCP, or either way when unknown."""
    name = protocol.lower()
    if name in HTTP_PROTOCOLS:
        return HTTP_ONLY
    if name in TCP_PROTOCOLS:
        return TCP_ONLY
    return HTTP_OR_TCP
