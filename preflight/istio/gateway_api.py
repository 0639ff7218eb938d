"""Gateway API objects as Istio sees them: their CRDs, and the services they touch.

* A Gateway API CRD is a CustomResourceDefinition of group ``gateway.networking.k8s.io``;
  a version counts only when ``served`` is true (precheck reads them the same way).
* A Gateway's own services are those of its deployment's pods, which Istio labels
  ``gateway.networking.k8s.io/gateway-name=<gateway>``.
* A route's services are its ``backendRefs`` (core ``Service`` when ``group``/``kind``
  are omitted; namespace defaults to the route's) and the services of the Gateways its
  ``parentRefs`` name; a ``parentRef`` to a Service (GAMMA mesh routing) is that service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from preflight.istio.scoping import GATEWAY_NAME_LABEL
from preflight.snapshot.interface import K8sObject, ServiceRef, list_at, mapping_at
from preflight.snapshot.model import Snapshot

GATEWAY_API_GROUP = "gateway.networking.k8s.io"
BUNDLE_VERSION_ANNOTATION = "gateway.networking.k8s.io/bundle-version"
CHANNEL_ANNOTATION = "gateway.networking.k8s.io/channel"


@dataclass(frozen=True)
class GatewayApiCrd:
    obj: K8sObject
    kind: str
    served: tuple[str, ...]
    bundle_version: str | None
    channel: str | None


def gateway_api_crds(snapshot: Snapshot) -> dict[str, GatewayApiCrd]:
    """Gateway API CRDs of the snapshot, by the kind they define."""
    found: dict[str, GatewayApiCrd] = {}
    for crd in snapshot.of_kind("CustomResourceDefinition"):
        spec = crd.spec
        if spec.get("group") != GATEWAY_API_GROUP:
            continue
        kind = str(mapping_at(spec, "names").get("kind") or "")
        if not kind:
            continue
        served = tuple(
            sorted(
                str(v.get("name"))
                for v in list_at(spec, "versions")
                if isinstance(v, Mapping) and v.get("name") and v.get("served") is True
            )
        )
        found[kind] = GatewayApiCrd(
            crd,
            kind,
            served,
            crd.annotations.get(BUNDLE_VERSION_ANNOTATION),
            crd.annotations.get(CHANNEL_ANNOTATION),
        )
    return found


def gateway_api_objects(snapshot: Snapshot) -> Iterator[K8sObject]:
    """Every object whose apiVersion is in the Gateway API group."""
    for obj in snapshot.objects:
        if obj.ref.api_version.split("/", 1)[0] == GATEWAY_API_GROUP:
            yield obj


def services_of_gateway_api_object(snapshot: Snapshot, obj: K8sObject) -> tuple[ServiceRef, ...]:
    found: set[ServiceRef] = set()
    if obj.kind == "Gateway":
        found.update(_gateway_services(snapshot, obj.namespace, obj.name))
    for ref in list_at(obj.spec, "parentRefs"):
        if not isinstance(ref, Mapping):
            continue
        namespace = str(ref.get("namespace") or obj.namespace)
        kind = str(ref.get("kind") or "Gateway")
        name = str(ref.get("name") or "")
        if kind == "Gateway" and str(ref.get("group", GATEWAY_API_GROUP)) == GATEWAY_API_GROUP:
            found.update(_gateway_services(snapshot, namespace, name))
        elif kind == "Service" and str(ref.get("group") or "") in ("", "core"):
            found.add(ServiceRef(namespace, name))
    for rule in list_at(obj.spec, "rules"):
        for backend in list_at(rule, "backendRefs"):
            if not isinstance(backend, Mapping):
                continue
            if str(backend.get("kind") or "Service") != "Service" or str(backend.get("group") or "") not in (
                "",
                "core",
            ):
                continue
            backend_name = backend.get("name")
            if backend_name:
                found.add(ServiceRef(str(backend.get("namespace") or obj.namespace), str(backend_name)))
    return tuple(sorted(s for s in found if s in snapshot.services))


def _gateway_services(snapshot: Snapshot, namespace: str, name: str) -> set[ServiceRef]:
    found: set[ServiceRef] = set()
    for workload in snapshot.workloads_in(namespace, {GATEWAY_NAME_LABEL: name}):
        found.update(snapshot.services_of_workload(workload))
    return found
