"""Which of the kinds Preflight reads this cluster serves, and in which order to export them.

Discovery reads ``/api/v1``, ``/apis`` and, for each wanted group, the APIResourceList
of every served version: a resource is taken at the group's preferred version when it is
served there, else at the first version (in the server's order of preference) serving it
(``EnvoyFilter`` exists only in ``networking.istio.io/v1alpha3``). A group or resource
the cluster does not serve is skipped quietly (a cluster without Gateway API simply has
no Gateways); it is still named in the manifest under ``notServed``. Secrets are never
on the list, whatever the cluster serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preflight.errors import InputError
from preflight.export.interface import ApiResource
from preflight.export.kubectl import ApiRefusal, Kubectl

# Every resource of these groups is exported: the knowledge base may name any of them.
ISTIO_GROUPS = (
    "networking.istio.io",
    "security.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
    "install.istio.io",  # IstioOperator
)
GATEWAY_API_GROUPS = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io")
NEVER_EXPORTED = frozenset({("", "secrets")})


@dataclass(frozen=True)
class Wanted:
    group: str
    resource: str
    impact: str  # what a report lacks when this list cannot be read


# In export order: later steps use what earlier ones found (webhooks and istiod name the
# Istio namespaces whose ConfigMaps are read; Services say which EndpointSlices matter).
CLUSTER_WIDE = (
    Wanted("", "namespaces", "namespace injection labels are unknown, so mesh membership is guessed"),
    Wanted(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "which Istio and Gateway API versions the cluster serves is unknown",
    ),
    Wanted(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        "injection webhooks and revision tags are unknown",
    ),
    Wanted(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        "Istio validation webhooks are unknown",
    ),
)
WORKLOADS = (
    Wanted("", "services", "no service can be reported: findings have nothing to attach to"),
    Wanted(
        "discovery.k8s.io",
        "endpointslices",
        "endpoints of services without a selector are unknown",
    ),
    Wanted("", "endpoints", "endpoints of services without a selector are unknown"),
    Wanted(
        "apps",
        "deployments",
        "Deployments (istiod among them) are missing: their services look unmeshed "
        "and the running control plane is unknown",
    ),
    Wanted("apps", "statefulsets", "StatefulSet workloads are missing: their services look unmeshed"),
    Wanted("apps", "daemonsets", "DaemonSet workloads are missing: their services look unmeshed"),
    Wanted("apps", "replicasets", "ReplicaSets without a Deployment are missing"),
    Wanted("batch", "jobs", "Job workloads are missing"),
    Wanted("batch", "cronjobs", "CronJob workloads are missing"),
    Wanted("", "pods", "bare pods and the proxy version of each pod are missing"),
    Wanted("", "serviceaccounts", "service accounts (authorization principals) are unknown"),
)
MESH_CONFIG = Wanted(
    "",
    "configmaps",
    "mesh config and injector settings are unknown: mitigations set in meshConfig are not recognised",
)


def group_impact(kind: str) -> str:
    return f"{kind} resources are missing: findings about them cannot be reported"


@dataclass(frozen=True)
class Discovery:
    """The served resources, by (group, plural), and what was looked for but not served."""

    served: Mapping[tuple[str, str], ApiResource]
    not_served: tuple[str, ...]

    def get(self, wanted: Wanted) -> ApiResource | None:
        return self.served.get((wanted.group, wanted.resource))

    def of_groups(self, groups: tuple[str, ...]) -> list[ApiResource]:
        return sorted(r for (group, _), r in self.served.items() if group in groups)


def discover(kubectl: Kubectl) -> Discovery:
    served: dict[tuple[str, str], ApiResource] = {}
    _add_resources(served, _read_discovery(kubectl, "/api/v1"), "", "v1")
    group_list = _read_discovery(kubectl, "/apis")
    versions_of = {
        group["name"]: _versions_by_preference(group)
        for group in group_list.get("groups") or []
        if isinstance(group, Mapping) and isinstance(group.get("name"), str)
    }
    wanted_groups = {w.group for w in (*CLUSTER_WIDE, *WORKLOADS) if w.group}
    wanted_groups.update(ISTIO_GROUPS, GATEWAY_API_GROUPS)
    not_served: list[str] = []
    for group in sorted(wanted_groups):
        found = False
        for version in versions_of.get(group, []):
            try:
                resources = _read_discovery(kubectl, f"/apis/{group}/{version}")
            except ApiRefusal as refusal:
                if not refusal.not_found:
                    raise InputError(
                        f"cannot read discovery of {group}/{version}: {refusal.message}"
                    ) from None
                continue  # listed in /apis but gone since: a CRD version being removed
            _add_resources(served, resources, group, version)
            found = True
        if not found:
            not_served.append(group)
    for wanted in (*CLUSTER_WIDE, *WORKLOADS, MESH_CONFIG):
        if wanted.group not in not_served and (wanted.group, wanted.resource) not in served:
            not_served.append(wanted.resource if not wanted.group else f"{wanted.resource}.{wanted.group}")
    return Discovery(served, tuple(sorted(not_served)))


def _versions_by_preference(group: Mapping[str, Any]) -> list[str]:
    listed = [
        entry["version"]
        for entry in group.get("versions") or []
        if isinstance(entry, Mapping) and isinstance(entry.get("version"), str)
    ]
    preferred = (group.get("preferredVersion") or {}).get("version")
    if isinstance(preferred, str):
        listed = [preferred, *(version for version in listed if version != preferred)]
    return listed


def _read_discovery(kubectl: Kubectl, path: str) -> Mapping[str, Any]:
    try:
        document = kubectl.get_json(path)
    except ApiRefusal as refusal:
        if path in ("/api/v1", "/apis"):
            raise InputError(f"cannot read the cluster's API discovery ({path}): {refusal.message}") from None
        raise
    if not isinstance(document, Mapping):
        raise InputError(f"the cluster's discovery document {path} is not a JSON object")
    return document


def _add_resources(
    served: dict[tuple[str, str], ApiResource], document: Mapping[str, Any], group: str, version: str
) -> None:
    for entry in document.get("resources") or []:
        if not isinstance(entry, Mapping):
            continue
        name, kind = entry.get("name"), entry.get("kind")
        verbs = entry.get("verbs") or []
        if not isinstance(name, str) or "/" in name or not isinstance(kind, str):
            continue  # subresources such as pods/log are not objects
        if "list" not in verbs or (group, name) in NEVER_EXPORTED or (group, name) in served:
            continue
        served[(group, name)] = ApiResource(group, version, name, kind, bool(entry.get("namespaced")))
