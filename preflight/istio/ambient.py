"""Ambient mode as a snapshot shows it.

* A namespace is enrolled when labelled ``istio.io/dataplane-mode=ambient``; a pod may
  opt out with ``istio.io/dataplane-mode=none`` (or opt in alone with ``ambient``).
  Pods that already have a sidecar, and host-network pods, are never captured by ztunnel.
* ztunnel and the istio-cni node agent are DaemonSets, recognised by their ``app``/``k8s-app``
  label or their image name (``ztunnel``, ``install-cni``).
* A waypoint is a Gateway API ``Gateway`` of class ``istio-waypoint``. A service uses the
  waypoint its own ``istio.io/use-waypoint`` label names (``none`` opts out), else its
  namespace's; the waypoint's namespace is the ``istio.io/use-waypoint-namespace`` label
  of the same object, else the service's namespace. A waypoint takes service traffic
  unless its ``istio.io/waypoint-for`` label says ``workload`` (or ``none``).
"""

from __future__ import annotations

from collections.abc import Mapping

from preflight.istio.injection import mesh_membership
from preflight.istio.install_values import install_values, is_true
from preflight.snapshot.interface import K8sObject, ServiceRef, Workload, list_at, mapping_at
from preflight.snapshot.model import Snapshot

DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode"
WAYPOINT_CLASS = "istio-waypoint"


def ambient_namespaces(snapshot: Snapshot) -> list[K8sObject]:
    return [ns for ns in snapshot.of_kind("Namespace") if ns.labels.get(DATAPLANE_MODE_LABEL) == "ambient"]


def ambient_workloads(snapshot: Snapshot) -> list[Workload]:
    """Workloads ztunnel captures: ambient namespace or pod label, and no sidecar."""
    found = []
    for workload in snapshot.workloads:
        if workload.pod_spec.get("hostNetwork") is True:
            continue  # ztunnel cannot redirect traffic in a network namespace the pod does not own
        mode = mesh_membership(snapshot, workload).mode
        if mode == "ambient" or (workload.pod_labels.get(DATAPLANE_MODE_LABEL) == "ambient" and mode == "none"):
            found.append(workload)
    return found


def ztunnel_daemonsets(snapshot: Snapshot) -> list[K8sObject]:
    return [d for d in snapshot.of_kind("DaemonSet") if _is_component(d, "ztunnel", ("/ztunnel:",))]


def cni_daemonsets(snapshot: Snapshot) -> list[K8sObject]:
    return [
        d
        for d in snapshot.of_kind("DaemonSet")
        if _is_component(d, "istio-cni-node", ("/install-cni:",)) or d.name == "istio-cni-node"
    ]


def waypoints(snapshot: Snapshot) -> list[K8sObject]:
    return [
        g
        for g in snapshot.of_kind("Gateway")
        if g.ref.api_version.startswith("gateway.networking.k8s.io/")
        and g.spec.get("gatewayClassName") == WAYPOINT_CLASS
    ]


def ambient_in_use(snapshot: Snapshot) -> bool:
    return bool(ambient_namespaces(snapshot) or ztunnel_daemonsets(snapshot) or ambient_workloads(snapshot))


def _is_component(daemonset: K8sObject, app: str, image_markers: tuple[str, ...]) -> bool:
    template_labels = mapping_at(mapping_at(daemonset.spec, "template"), "metadata").get("labels")
    labels = {**daemonset.labels, **(template_labels if isinstance(template_labels, Mapping) else {})}
    if app in (labels.get("app"), labels.get("k8s-app"), labels.get("app.kubernetes.io/name")):
        return True
    pod_spec = mapping_at(mapping_at(daemonset.spec, "template"), "spec")
    for container in list_at(pod_spec, "containers"):
        image = str(container.get("image", "")) if isinstance(container, Mapping) else ""
        if any(marker in image or image.startswith(marker[1:]) for marker in image_markers):
            return True
    return False


USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
USE_WAYPOINT_NAMESPACE_LABEL = "istio.io/use-waypoint-namespace"
WAYPOINT_FOR_LABEL = "istio.io/waypoint-for"
_SERVICE_TRAFFIC_TYPES = frozenset({"service", "all"})


def services_using_waypoint(snapshot: Snapshot, waypoint: K8sObject) -> list[ServiceRef]:
    """Services bound to a waypoint by their own ``istio.io/use-waypoint`` label or their namespace's."""
    if waypoint.labels.get(WAYPOINT_FOR_LABEL, "service") not in _SERVICE_TRAFFIC_TYPES:
        return []
    found = []
    for ref, service in snapshot.services.items():
        # The namespace override is read from the object that names the waypoint, never mixed across levels.
        binding = service.labels if USE_WAYPOINT_LABEL in service.labels else None
        if binding is None:
            binding = snapshot.namespace_labels.get(ref.namespace, {})
        chosen = binding.get(USE_WAYPOINT_LABEL)
        namespace = binding.get(USE_WAYPOINT_NAMESPACE_LABEL) or ref.namespace
        if chosen and chosen != "none" and chosen == waypoint.name and namespace == waypoint.namespace:
            found.append(ref)
    return found


# DNS capture by ztunnel ----------------------------------------------------------------
#
# The istio-cni chart value ``ambient.dnsCapture`` (``cni.ambient.dnsCapture`` in an
# IstioOperator) reaches the node agent as ``AMBIENT_DNS_CAPTURE`` through the
# ``istio-cni-config`` ConfigMap; the agent then redirects ambient pods' DNS to ztunnel.
# It defaulted to false up to 1.24 and to true from 1.25.
DNS_CAPTURE_VALUE_KEYS = ("ambient.dnsCapture", "cni.ambient.dnsCapture")
DNS_CAPTURE_ENV = "AMBIENT_DNS_CAPTURE"
CNI_CONFIG_MAP = "istio-cni-config"


def dns_capture_sources(snapshot: Snapshot) -> list[K8sObject]:
    """The objects that switch ambient DNS capture on: install values or the istio-cni ConfigMap.

    The agent DaemonSet's own env is not read: container env values are redacted at load.
    """
    found = [v.source for v in install_values(snapshot, DNS_CAPTURE_VALUE_KEYS) if is_true(v.value)]
    for config_map in snapshot.of_kind("ConfigMap"):
        data = config_map.body.get("data")
        if config_map.name == CNI_CONFIG_MAP and isinstance(data, Mapping) and is_true(data.get(DNS_CAPTURE_ENV)):
            found.append(config_map)
    return found


# Waypoint attachment before 1.22 -----------------------------------------------------
#
# Up to 1.21 a waypoint served ambient workloads without any label on them: every
# workload of its namespace, or, when it carried ``istio.io/for-service-account``, the
# workloads of its namespace running as that service account. From 1.22 only the
# ``istio.io/use-waypoint`` label (on the namespace, service or pod) binds anything.
FOR_SERVICE_ACCOUNT_ANNOTATION = "istio.io/for-service-account"


def implicitly_served_services(snapshot: Snapshot, waypoint: K8sObject) -> list[ServiceRef]:
    """Services a waypoint served before 1.22 that no ``istio.io/use-waypoint`` label binds to it now.

    A service counts as bound when its own or its namespace's label names the waypoint, or
    when every one of its workloads' pods does.
    """
    account = waypoint.annotations.get(FOR_SERVICE_ACCOUNT_ANNOTATION)
    bound = set(services_using_waypoint(snapshot, waypoint))
    found: set[ServiceRef] = set()
    for workload in ambient_workloads(snapshot):
        if workload.namespace != waypoint.namespace:
            continue
        if account and _service_account(workload) != account:
            continue
        for service in snapshot.services_of_workload(workload):
            if service in bound or service in found:
                continue
            if not all(_pods_name_waypoint(w, waypoint) for w in snapshot.workloads_of_service(service)):
                found.add(service)
    return sorted(found)


def _service_account(workload: Workload) -> str:
    spec = workload.pod_spec
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def _pods_name_waypoint(workload: Workload, waypoint: K8sObject) -> bool:
    labels = workload.pod_labels
    namespace = labels.get(USE_WAYPOINT_NAMESPACE_LABEL) or workload.namespace
    return labels.get(USE_WAYPOINT_LABEL) == waypoint.name and namespace == waypoint.namespace


def uses_waypoint(snapshot: Snapshot, service: ServiceRef | None) -> bool:
    """Does ``service`` send its traffic through a waypoint (its own label, else its namespace's)?"""
    if service is None:
        return False
    obj = snapshot.services.get(service)
    if obj is not None and obj.labels.get(USE_WAYPOINT_LABEL, "none") != "none":
        return True
    return snapshot.namespace_labels.get(service.namespace, {}).get(USE_WAYPOINT_LABEL, "none") != "none"
