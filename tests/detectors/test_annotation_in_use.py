from tests.support import run_detector

WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: api}
      annotations: {sidecar.istio.io/statsCompression: "false"}
    spec:
      containers: [{name: api, image: api:1}]
"""


def test_annotation_in_use_on_pod_template() -> None:
    hits = run_detector("annotation_in_use", WORKLOAD, {"annotations": ["sidecar.istio.io/statsCompression"]})
    assert [str(h.resource) for h in hits] == ["Deployment shop/api"]


def test_annotation_in_use_miss() -> None:
    assert run_detector("annotation_in_use", WORKLOAD, {"annotations": ["sidecar.istio.io/other"]}) == []
