"""Injected workloads whose istio-proxy becomes a Kubernetes native sidecar.

With ``ENABLE_NATIVE_SIDECARS`` at its new default (``auto``) the injector puts
``istio-proxy`` among the init containers (``restartPolicy: Always``) instead of the
containers, for pods whose node runs Kubernetes 1.33 or newer (the injector's own check:
the kubelet minor version of the pod's node, or of every node when the pod is not yet
scheduled). Reports every workload in sidecar mode that is injected as a regular
container today, except:

* pods annotated ``sidecar.istio.io/nativeSidecar`` (``"false"`` keeps the old layout; any
  other value already asks for a native sidecar, so nothing changes);
* pods that already run istio-proxy as an init container;
* workloads of an istiod revision that already sets ``ENABLE_NATIVE_SIDECARS=true``;
* gateway proxies (``preflight.istio.gateways``): there istio-proxy is the main container,
  not a sidecar, and the gateway injection template does not move it.

Each hit says, in its message and in ``details.matters_most``, why it deserves a look:
``job`` (Jobs and CronJobs: the proxy no longer keeps the pod running after the main
container exits, so completion behaviour changes), ``other-webhooks`` (non-Istio
mutating webhooks that act on this pod may expect istio-proxy among the containers),
``references-istio-proxy`` (an init or app container mentions istio-proxy, e.g. a
``quitquitquit`` call or a container-name lookup). When the snapshot shows a Kubernetes
version below 1.33 (the Nodes' kubelet versions, else the cluster version) the hit says
the change does not take effect there yet (``details.takes_effect``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.errors import VersionError
from preflight.istio.gateways import is_gateway_workload
from preflight.istio.injection import PROXY_CONTAINER
from preflight.istio.selectors import matches_label_selector
from preflight.snapshot.interface import K8sObject, Workload, dig, list_at
from preflight.snapshot.model import Snapshot
from preflight.versions import parse_version

PARAMETERS: Parameters = {}

NATIVE_SIDECAR_ANNOTATION = "sidecar.istio.io/nativeSidecar"
# pkg/kube/inject/webhook.go DetectNativeSidecar: native sidecars are stable from Kubernetes 1.33.
MIN_KUBERNETES_MINOR = 33
_ISTIO_INIT_CONTAINERS = frozenset({"istio-init", "istio-validation", PROXY_CONTAINER})
_JOB_KINDS = frozenset({"Job", "CronJob"})


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    kubernetes_minor, version_source = _lowest_kubernetes_minor(snapshot)
    webhooks = _foreign_pod_webhooks(snapshot)
    for workload in snapshot.workloads:
        namespace_labels = snapshot.namespace_labels.get(workload.namespace, {})
        mesh = context.cluster.membership(workload)
        if mesh.mode != "sidecar" or NATIVE_SIDECAR_ANNOTATION in workload.pod_annotations:
            continue
        if _runs_proxy_as_init_container(workload) or is_gateway_workload(workload):
            continue
        revision = context.control_plane.revision(mesh.revision or "default")
        if revision is not None and str(revision.env.get("ENABLE_NATIVE_SIDECARS") or "").lower() == "true":
            continue
        reasons = []
        if workload.ref.kind in _JOB_KINDS or _owned_by_job(workload.obj):
            reasons.append("job")
        touching = [name for name, webhook in webhooks if _webhook_applies(webhook, workload, namespace_labels)]
        if touching:
            reasons.append("other-webhooks")
        if _mentions_proxy(workload):
            reasons.append("references-istio-proxy")
        message = f"{workload.ref} (revision {mesh.revision}) will get istio-proxy as a native sidecar"
        if "job" in reasons:
            message += "; as a Job its pods now complete when the main container exits"
        if touching:
            message += f"; other mutating webhooks act on its pods ({', '.join(sorted(set(touching)))})"
        if "references-istio-proxy" in reasons:
            message += "; its containers reference istio-proxy"
        takes_effect = "yes"
        if kubernetes_minor is not None and kubernetes_minor < MIN_KUBERNETES_MINOR:
            takes_effect = f"not yet: {version_source} is 1.{kubernetes_minor}, below 1.{MIN_KUBERNETES_MINOR}"
            message += (
                f" — not before the cluster runs Kubernetes 1.{MIN_KUBERNETES_MINOR}"
                f" ({version_source} is 1.{kubernetes_minor})"
            )
        yield Hit(
            workload.ref,
            message,
            details={"matters_most": ", ".join(reasons) or "none", "takes_effect": takes_effect},
        )


def _runs_proxy_as_init_container(workload: Workload) -> bool:
    return any(
        isinstance(c, Mapping) and c.get("name") == PROXY_CONTAINER
        for c in list_at(workload.pod_spec, "initContainers")
    )


def _owned_by_job(obj: K8sObject) -> bool:
    owners = obj.metadata.get("ownerReferences")
    return isinstance(owners, list) and any(isinstance(o, Mapping) and str(o.get("kind")) in _JOB_KINDS for o in owners)


def _mentions_proxy(workload: Workload) -> bool:
    for key in ("initContainers", "containers"):
        for container in list_at(workload.pod_spec, key):
            if not isinstance(container, Mapping) or str(container.get("name")) in _ISTIO_INIT_CONTAINERS:
                continue
            text = " ".join(str(part) for part in [*list_at(container, "command"), *list_at(container, "args")])
            if PROXY_CONTAINER in text or "quitquitquit" in text:
                return True
    return False


def _lowest_kubernetes_minor(snapshot: Snapshot) -> tuple[int | None, str]:
    kubelet_minors = []
    for node in snapshot.of_kind("Node"):
        minor = _minor(dig(node.body, "status", "nodeInfo", "kubeletVersion"))
        if minor is not None:
            kubelet_minors.append(minor)
    if kubelet_minors:
        return min(kubelet_minors), "the oldest node kubelet"
    return _minor(snapshot.info.kubernetes_version), "the cluster"


def _minor(version: Any) -> int | None:
    if not version:
        return None
    try:
        parsed = parse_version(str(version).split("-")[0].split("+")[0])
    except VersionError:
        return None
    return parsed.minor if parsed.major == 1 else None


def _foreign_pod_webhooks(snapshot: Snapshot) -> list[tuple[str, Mapping[str, Any]]]:
    """Non-Istio mutating webhooks that act on pod creation, with their names."""
    found = []
    for config in snapshot.of_kind("MutatingWebhookConfiguration"):
        if config.name.startswith(("istio-sidecar-injector", "istio-revision-tag")):
            continue
        for webhook in list_at(config.body, "webhooks"):
            if isinstance(webhook, Mapping) and _mutates_pods(webhook):
                found.append((f"{config.name}/{webhook.get('name', '?')}", webhook))
    return found


def _mutates_pods(webhook: Mapping[str, Any]) -> bool:
    for rule in list_at(webhook, "rules"):
        if not isinstance(rule, Mapping):
            continue
        resources = {str(r) for r in list_at(rule, "resources")}
        operations = {str(o) for o in list_at(rule, "operations")}
        if resources & {"pods", "*", "*/*"} and operations & {"CREATE", "*"}:
            return True
    return False


def _webhook_applies(webhook: Mapping[str, Any], workload: Workload, namespace_labels: Mapping[str, str]) -> bool:
    namespace_selector = webhook.get("namespaceSelector")
    object_selector = webhook.get("objectSelector")
    return matches_label_selector(
        namespace_selector if isinstance(namespace_selector, Mapping) else None, namespace_labels
    ) and matches_label_selector(object_selector if isinstance(object_selector, Mapping) else None, workload.pod_labels)
