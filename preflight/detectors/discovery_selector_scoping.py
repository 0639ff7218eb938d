"""Configuration and workloads that enhanced resource scoping leaves out.

When an istiod revision's mesh config sets ``discoverySelectors``, enhanced resource
scoping makes istiod ignore Istio and Gateway API configuration (VirtualServices,
DestinationRules, AuthorizationPolicies, Gateways, HTTPRoutes, …) in namespaces no
selector matches, and stop writing the ``istio-ca-root-cert`` ConfigMap there.

Reports, per revision with selectors:

* every configuration object in an unselected namespace (it stops applying; the engine
  scopes it to the services it names or selects);
* every workload with a sidecar in an unselected namespace (its namespace no longer gets
  the mesh root certificate, so newly started proxies cannot verify istiod).

istiod's own namespace and the root namespace always count as selected. Revisions
without selectors change nothing and are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.discovery import discovery_selectors, is_mesh_config_object, namespace_selected

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    labels = snapshot.namespace_labels
    reported: set[tuple[str, str, str]] = set()
    for revision in context.control_plane.revisions:
        selectors = discovery_selectors(revision.mesh_config)
        if not selectors:
            continue
        always = frozenset({revision.namespace, context.control_plane.root_namespace})
        unselected = {
            ns for ns in snapshot.namespaces if not namespace_selected(ns, labels.get(ns, {}), selectors, always)
        }
        if not unselected:
            continue
        label = f"istiod revision '{revision.name}'"
        for obj in snapshot.objects:
            key = (obj.kind, obj.namespace, obj.name)
            if obj.namespace not in unselected or key in reported:
                continue
            api_version = obj.ref.api_version or str(obj.body.get("apiVersion", ""))
            if not is_mesh_config_object(api_version, obj.kind):
                continue
            reported.add(key)
            yield Hit(
                obj.ref,
                f"{obj.kind} {obj.namespace}/{obj.name} is in namespace {obj.namespace}, which no "
                f"discoverySelector of {label} matches: istiod will ignore it",
                source=obj.source,
            )
        for workload in snapshot.workloads:
            key = (workload.ref.kind, workload.namespace, workload.ref.name)
            if workload.namespace not in unselected or key in reported:
                continue
            if context.cluster.membership(workload).mode != "sidecar":
                continue
            reported.add(key)
            yield Hit(
                workload.ref,
                f"{workload.ref} runs a sidecar in namespace {workload.namespace}, which no "
                f"discoverySelector of {label} matches: the namespace stops receiving the "
                "istio-ca-root-cert ConfigMap",
                source=workload.obj.source,
            )
