from tests.support import run_detector

MESH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {serviceAccountName: api, containers: [{name: api, image: api:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: cart, image: cart:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{port: 80}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: shop}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
"""


def _services(text: str) -> list[str]:
    return [str(s) for h in run_detector("implicit_waypoint_attachment", text) for s in h.services or ()]


def test_namespace_waypoint_without_labels_is_reported_for_every_service() -> None:
    assert _services(MESH) == ["shop/api", "shop/cart"]


def test_namespace_label_binding_the_waypoint_leaves_it_out() -> None:
    labelled = MESH.replace(
        "labels: {istio.io/dataplane-mode: ambient}",
        "labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: waypoint}",
    )
    assert run_detector("implicit_waypoint_attachment", labelled) == []


def test_service_account_waypoint_covers_only_that_account() -> None:
    annotated = MESH.replace(
        "metadata: {name: waypoint, namespace: shop}",
        "metadata: {name: waypoint, namespace: shop, annotations: {istio.io/for-service-account: api}}",
    )
    assert _services(annotated) == ["shop/api"]


def test_labelled_service_is_not_reported() -> None:
    labelled = MESH.replace(
        "metadata: {name: cart, namespace: shop}\nspec: {selector",
        "metadata: {name: cart, namespace: shop, labels: {istio.io/use-waypoint: waypoint}}\nspec: {selector",
    )
    assert _services(labelled) == ["shop/api"]


def test_sidecar_namespace_is_not_served() -> None:
    sidecar = MESH.replace("istio.io/dataplane-mode: ambient", "istio-injection: enabled")
    assert run_detector("implicit_waypoint_attachment", sidecar) == []
