from preflight.detectors.interface import Hit
from tests.support import run_detector

WORKLOADS = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: mesh-free}
---
apiVersion: v1
kind: Namespace
metadata: {name: ambient-ns, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cart, namespace: shop}
spec:
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: app, image: cart:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pinned, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: pinned}
      annotations:
        proxy.istio.io/config: |
          proxyMetadata:
            ISTIO_DELTA_XDS: "false"
    spec: {containers: [{name: app, image: pinned:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain, namespace: mesh-free}
spec:
  template:
    metadata: {labels: {app: plain}}
    spec: {containers: [{name: app, image: plain:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: resolver, namespace: ambient-ns}
spec:
  template:
    metadata:
      labels: {app: resolver}
      annotations: {ambient.istio.io/dns-capture: "false"}
    spec: {containers: [{name: app, image: resolver:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ambient-ns}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: web:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{port: 80}]}
"""


def names(hits: list[Hit]) -> list[str]:
    return sorted(h.resource.name for h in hits)


def test_sidecar_workloads_are_reported_unless_they_keep_the_flag() -> None:
    hits = run_detector("meshed_proxies", WORKLOADS, {"proxy_flag": "ISTIO_DELTA_XDS"})
    assert names(hits) == ["cart"]
    assert [str(s) for s in hits[0].services or ()] == ["shop/cart"]


def test_without_a_flag_every_sidecar_is_reported() -> None:
    assert names(run_detector("meshed_proxies", WORKLOADS)) == ["cart", "pinned"]


def test_proxy_config_resource_keeps_the_old_value() -> None:
    text = WORKLOADS + """
---
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: shop-defaults, namespace: shop}
spec:
  environmentVariables: {ISTIO_DELTA_XDS: "false"}
"""
    assert run_detector("meshed_proxies", text, {"proxy_flag": "ISTIO_DELTA_XDS"}) == []


def test_ambient_mode_with_opt_out_annotation() -> None:
    hits = run_detector(
        "meshed_proxies",
        WORKLOADS,
        {"modes": ["ambient"], "opt_out_annotation": "ambient.istio.io/dns-capture", "opt_out_value": "false"},
    )
    assert names(hits) == ["web"]
