from tests.support import run_detector

AMBIENT = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient, istio.io/use-waypoint: shop-waypoint}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1}]
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ztunnel, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: ztunnel}}
    spec:
      containers: [{name: istio-proxy, image: docker.io/istio/ztunnel:1.26.1}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: istio-cni-node, namespace: istio-system}
spec:
  template:
    metadata: {labels: {k8s-app: istio-cni-node}}
    spec:
      containers: [{name: install-cni, image: docker.io/istio/install-cni:1.26.1}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shop-waypoint, namespace: shop}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
"""

SIDECAR_ONLY = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: istio-cni-node, namespace: istio-system}
spec:
  template:
    metadata: {labels: {k8s-app: istio-cni-node}}
    spec:
      containers: [{name: install-cni, image: docker.io/istio/install-cni:1.26.1}]
"""


def test_every_part_is_found() -> None:
    params = {"parts": ["namespaces", "workloads", "ztunnel", "cni", "waypoints"]}
    hits = run_detector("ambient_components", AMBIENT, params)
    assert sorted(str(h.resource) for h in hits) == [
        "DaemonSet istio-system/istio-cni-node",
        "DaemonSet istio-system/ztunnel",
        "Deployment shop/api",
        "Gateway shop/shop-waypoint",
        "Namespace shop",
    ]
    ztunnel = next(h for h in hits if h.resource.name == "ztunnel")
    assert [str(s) for s in ztunnel.services or ()] == ["shop/api"]
    waypoint = next(h for h in hits if h.resource.kind == "Gateway")
    assert [str(s) for s in waypoint.services or ()] == ["shop/api"]


def test_cni_without_ambient_is_skipped_when_asked() -> None:
    params = {"parts": ["cni"], "cni_only_with_ambient": True}
    assert run_detector("ambient_components", SIDECAR_ONLY, params) == []
    assert len(run_detector("ambient_components", SIDECAR_ONLY, {"parts": ["cni"]})) == 1


def test_sidecar_mesh_has_no_ambient_namespaces() -> None:
    assert run_detector("ambient_components", SIDECAR_ONLY, {"parts": ["namespaces", "workloads", "ztunnel"]}) == []


DNS_PARAMS = {"parts": ["workloads"], "only_with_dns_capture": True}


def test_dns_capture_off_by_default_reports_nothing() -> None:
    assert run_detector("ambient_components", AMBIENT, DNS_PARAMS) == []


def test_dns_capture_set_in_cni_values_reports_ambient_workloads() -> None:
    values = """
---
apiVersion: preflight.dev/v1
kind: HelmValues
metadata: {name: istio-cni, namespace: istio-system}
values:
  ambient: {dnsCapture: true}
"""
    hits = run_detector("ambient_components", AMBIENT + values, DNS_PARAMS)
    assert [str(h.resource) for h in hits] == ["Deployment shop/api"]
    assert run_detector("ambient_components", AMBIENT + values.replace("true", "false"), DNS_PARAMS) == []


def test_dns_capture_in_istio_operator_or_cni_config_map_counts() -> None:
    operator = """
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane, namespace: istio-system}
spec:
  values: {cni: {ambient: {dnsCapture: "true"}}}
"""
    config_map = """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio-cni-config, namespace: istio-system}
data: {AMBIENT_DNS_CAPTURE: "true"}
"""
    assert len(run_detector("ambient_components", AMBIENT + operator, DNS_PARAMS)) == 1
    assert len(run_detector("ambient_components", AMBIENT + config_map, DNS_PARAMS)) == 1
