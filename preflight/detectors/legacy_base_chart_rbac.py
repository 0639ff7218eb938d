"""RBAC objects the 1.29 ``base`` chart deletes, and the bindings that still use them.

Earlier ``base`` charts rendered copies of istiod's RBAC: ClusterRoles ``istiod-<ns>``
and ``istiod-reader-<ns>``, ClusterRoleBinding ``istiod-<ns>``, Role and RoleBinding
``istiod-<ns>`` (``<ns>`` the Istio namespace) and ServiceAccount
``istiod-service-account``. The 1.29 base chart drops them (istiod's chart renders its own).
Reports those objects when the snapshot has them (only when labelled as base-chart
output: ``helm.sh/chart`` ``base-*`` or ``app.kubernetes.io/name: base``), and every
other RoleBinding or ClusterRoleBinding that references one of them: that binding
stops granting anything.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.snapshot.interface import K8sObject, list_at, mapping_at

PARAMETERS: Parameters = {}

LEGACY_SERVICE_ACCOUNT = "istiod-service-account"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    snapshot = context.snapshot
    namespaces = {r.namespace for r in context.control_plane.revisions} or {context.control_plane.root_namespace}
    legacy_roles = {f"istiod-{ns}" for ns in namespaces} | {f"istiod-reader-{ns}" for ns in namespaces}
    legacy: set[tuple[str, str, str]] = set()
    for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"):
        for obj in snapshot.of_kind(kind):
            name_matches = obj.name == LEGACY_SERVICE_ACCOUNT if kind == "ServiceAccount" else obj.name in legacy_roles
            if name_matches and _from_base_chart(obj):
                legacy.add((kind, obj.namespace, obj.name))
                yield Hit(obj.ref, f"{obj.ref} comes from the base chart and is deleted by the 1.29 base chart")
    for binding in snapshot.of_kind("RoleBinding", "ClusterRoleBinding"):
        if (binding.kind, binding.namespace, binding.name) in legacy:
            continue
        role = mapping_at(binding.body, "roleRef")
        uses_role = str(role.get("name")) in legacy_roles
        uses_account = any(
            isinstance(s, Mapping) and s.get("kind") == "ServiceAccount" and s.get("name") == LEGACY_SERVICE_ACCOUNT
            for s in list_at(binding.body, "subjects")
        )
        if uses_role or uses_account:
            what = f"role {role.get('name')}" if uses_role else f"ServiceAccount {LEGACY_SERVICE_ACCOUNT}"
            yield Hit(binding.ref, f"{binding.ref} references {what}, which the 1.29 base chart no longer installs")


def _from_base_chart(obj: K8sObject) -> bool:
    labels = obj.labels
    return labels.get("helm.sh/chart", "").startswith("base-") or labels.get("app.kubernetes.io/name") == "base"
