from tests.support import run_detector

GATEWAY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: istio-ingress}
spec:
  template:
    spec:
      containers: [{name: istio-proxy, image: gcr.io/istio-release/proxyv2:1.30.1}]
"""
PARAMS = {"registries": ["gcr.io/istio-release", "registry.istio.io"]}


def test_gcr_image_is_reported() -> None:
    assert [str(h.resource) for h in run_detector("istio_image_registry", GATEWAY, PARAMS)] == [
        "Deployment istio-ingress/ingress"
    ]


def test_docker_hub_image_is_not_reported() -> None:
    text = GATEWAY.replace("gcr.io/istio-release", "docker.io/istio")
    assert run_detector("istio_image_registry", text, PARAMS) == []


def test_helm_hub_is_reported() -> None:
    values = """
apiVersion: preflight/v1
kind: HelmValues
metadata: {name: istiod, namespace: istio-system}
values: {global: {hub: registry.istio.io/release}}
"""
    assert len(run_detector("istio_image_registry", values, PARAMS)) == 1
