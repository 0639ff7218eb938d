from tests.support import run_detector

GATEWAYS = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public, namespace: edge}
spec:
  gatewayClassName: istio
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: manual, namespace: edge}
spec:
  gatewayClassName: istio
  addresses: [{type: Hostname, value: ingress.istio-system.svc.cluster.local}]
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: edge}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: other, namespace: edge}
spec:
  gatewayClassName: contour
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: shop}
spec:
  parentRefs: [{name: public, namespace: edge}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""


def test_only_istio_managed_gateways_are_reported() -> None:
    hits = run_detector("managed_gateways", GATEWAYS)
    assert [str(h.resource) for h in hits] == ["Gateway edge/public"]


def test_gateway_is_scoped_to_the_backends_of_its_routes() -> None:
    [hit] = run_detector("managed_gateways", GATEWAYS)
    assert [str(s) for s in hit.services or ()] == ["shop/web"]


def test_class_of_istio_controller_counts() -> None:
    text = GATEWAYS + """
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: contour}
spec: {controllerName: istio.io/gateway-controller}
"""
    assert len(run_detector("managed_gateways", text)) == 2


def test_opt_out_annotations_all_present_leave_gateway_out() -> None:
    params = {"opt_out_annotations": ["gateway.istio.io/name-override", "gateway.istio.io/service-account"]}
    both = GATEWAYS.replace(
        "metadata: {name: public, namespace: edge}",
        "metadata: {name: public, namespace: edge, annotations: "
        "{gateway.istio.io/name-override: gw, gateway.istio.io/service-account: gw}}",
    )
    one = GATEWAYS.replace(
        "metadata: {name: public, namespace: edge}",
        "metadata: {name: public, namespace: edge, annotations: {gateway.istio.io/name-override: gw}}",
    )
    assert run_detector("managed_gateways", both, params) == []
    assert len(run_detector("managed_gateways", one, params)) == 1
