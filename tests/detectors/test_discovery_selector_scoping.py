from tests.support import run_detector

ISTIOD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec:
      containers: [{name: discovery, image: docker.io/istio/pilot:1.21.2}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
{mesh}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {mesh: "on", istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {istio-injection: enabled}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: orders, namespace: legacy}
spec:
  hosts: [orders]
  http: [{route: [{destination: {host: orders}}]}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: cart, namespace: shop}
spec: {host: cart}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: orders}}
    spec: {containers: [{name: app, image: orders:1}]}
"""

SELECTING_SHOP = "    discoverySelectors:\n    - matchLabels: {mesh: \"on\"}"


def test_config_and_sidecars_outside_selected_namespaces_are_reported() -> None:
    hits = run_detector("discovery_selector_scoping", ISTIOD.replace("{mesh}", SELECTING_SHOP))
    assert sorted(str(h.resource) for h in hits) == ["Deployment legacy/orders", "VirtualService legacy/orders"]


def test_without_discovery_selectors_nothing_is_reported() -> None:
    assert run_detector("discovery_selector_scoping", ISTIOD.replace("{mesh}", "    accessLogFile: /dev/stdout")) == []


def test_selector_matching_every_namespace_reports_nothing() -> None:
    mesh = "    discoverySelectors:\n    - matchExpressions: [{key: istio-injection, operator: Exists}]"
    assert run_detector("discovery_selector_scoping", ISTIOD.replace("{mesh}", mesh)) == []
