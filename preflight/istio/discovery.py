"""Which namespaces istiod watches: ``meshConfig.discoverySelectors``.

Each selector is a Kubernetes ``LabelSelector`` over namespace labels; a namespace is
selected when any selector matches it. Without selectors (missing or empty list) every
namespace is selected. An empty selector (``{}``, neither ``matchLabels`` nor
``matchExpressions``) selects every namespace, as a Kubernetes LabelSelector does. istiod's
own namespace and the mesh root namespace are always treated as selected: istiod reads its
own configuration there whatever the selectors say.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from preflight.istio.selectors import matches_label_selector

# API groups whose objects istiod reads as mesh configuration.
CONFIG_GROUP_SUFFIXES = ("istio.io",)
CONFIG_GROUPS = frozenset({"gateway.networking.k8s.io", "gateway.networking.x-k8s.io"})
_INSTALL_KINDS = frozenset({"IstioOperator"})


def discovery_selectors(mesh_config: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    selectors = mesh_config.get("discoverySelectors")
    if not isinstance(selectors, list):
        return []
    return [s for s in selectors if isinstance(s, Mapping)]


def namespace_selected(
    namespace: str,
    labels: Mapping[str, str],
    selectors: list[Mapping[str, Any]],
    always: frozenset[str] = frozenset(),
) -> bool:
    if not selectors or namespace in always:
        return True
    # Kubernetes labels every namespace with its own name; an export may lack the label.
    effective = {"kubernetes.io/metadata.name": namespace, **labels}
    return any(matches_label_selector(s, effective) for s in selectors)


def is_mesh_config_object(api_version: str, kind: str) -> bool:
    """An object istiod reads as configuration (Istio or Gateway API), not an install input."""
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    if kind in _INSTALL_KINDS or group.startswith("install."):
        return False
    return group in CONFIG_GROUPS or any(group == s or group.endswith("." + s) for s in CONFIG_GROUP_SUFFIXES)
