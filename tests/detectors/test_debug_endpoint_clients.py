from tests.support import run_detector

ISTIOD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec:
      containers: [{name: discovery, image: docker.io/istio/pilot:1.28.2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: kiali, namespace: %s, labels: {app: kiali}}
spec:
  template:
    spec:
      containers: [{name: kiali, image: quay.io/kiali/kiali:v2.10}]
"""


def test_kiali_outside_istio_system_is_reported() -> None:
    hits = run_detector("debug_endpoint_clients", ISTIOD % "observability", {"apps": ["kiali"]})
    assert [str(h.resource) for h in hits] == ["Deployment observability/kiali"]


def test_kiali_in_istio_system_is_fine() -> None:
    assert run_detector("debug_endpoint_clients", ISTIOD % "istio-system", {"apps": ["kiali"]}) == []
