"""Host names defined by more than one service (Kubernetes Services and ServiceEntries).

When several services define the same host name, each proxy has to pick one. Proxies
with a ``Sidecar`` resource preferred the one in their own namespace; proxies without
one preferred a Kubernetes Service over a ServiceEntry. From 1.24
(``PILOT_UNIFIED_SIDECAR_SCOPE``) every proxy prefers its own namespace, then the
Kubernetes Service. Reports every service definition of a host defined more than once
across namespaces or kinds (a ServiceEntry with ``exportTo: ["."]`` only counts for
its own namespace and never clashes elsewhere).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.hosts import resolve_short_name, service_fqdn
from preflight.istio.scoping import host_list
from preflight.snapshot.interface import K8sObject, ServiceRef, list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    definitions: dict[str, list[K8sObject]] = defaultdict(list)
    for service in snapshot.of_kind("Service"):
        definitions[service_fqdn(ServiceRef(service.namespace, service.name))].append(service)
    for entry in snapshot.of_kind("ServiceEntry"):
        if [str(v) for v in list_at(entry.spec, "exportTo")] == ["."]:
            continue
        for host in {resolve_short_name(h, entry.namespace) for h in host_list(entry)}:
            definitions[host].append(entry)
    for host, objects in sorted(definitions.items()):
        if len(objects) < 2:
            continue
        names = ", ".join(str(o.ref) for o in objects)
        for obj in objects:
            yield Hit(
                obj.ref,
                f"{obj.ref} defines {host}, as do {len(objects) - 1} other(s) ({names}): which one a proxy "
                "uses now depends first on the proxy's namespace",
                source=obj.source,
                details={"host": host},
            )
