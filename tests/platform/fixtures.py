"""Hand-written cluster fragments shared by the platform tests."""

from __future__ import annotations

ISTIOD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    metadata: {labels: {app: istiod}}
    spec: {containers: [{name: discovery, image: "docker.io/istio/pilot:1.22.3"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod-1-20, namespace: istio-system, labels: {app: istiod, istio.io/rev: 1-20}}
spec:
  template:
    metadata: {labels: {app: istiod, istio.io/rev: 1-20}}
    spec: {containers: [{name: discovery, image: "docker.io/istio/pilot:1.20.1"}]}
"""


def injected_pod(
    name: str,
    proxy_image: str,
    *,
    namespace: str = "shop",
    revision: str | None = "default",
    labels: str = "{}",
    extra_annotations: str = "",
    owner: str = "",
    native: bool = False,
) -> str:
    """One Pod document with an istio-proxy container (or native-sidecar init container)."""
    annotations = f"istio.io/rev: {revision}, " if revision else ""
    annotations += extra_annotations
    proxy = f'{{name: istio-proxy, image: "{proxy_image}"'
    if native:
        proxy += ", restartPolicy: Always}"
        containers = f"initContainers: [{proxy}], containers: [{{name: app, image: app:1}}]"
    else:
        proxy += "}"
        containers = f"containers: [{{name: app, image: app:1}}, {proxy}]"
    owner_line = f"\n  ownerReferences: [{owner}]" if owner else ""
    return f"""
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  labels: {labels}
  annotations: {{{annotations}}}{owner_line}
spec: {{{containers}}}
"""
