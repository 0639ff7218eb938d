from tests.support import run_detector

TEXT = """
apiVersion: v1
kind: Service
metadata: {name: public-gw, namespace: edge}
spec:
  selector: {istio.io/gateway-name: public}
  ports: [{port: 443}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: gw-allow, namespace: edge}
spec:
  selector:
    matchLabels: {gateway.networking.k8s.io/gateway-name: public}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: edge}
spec:
  selector: {app: web}
"""


def test_selectors_using_the_label_are_reported() -> None:
    hits = run_detector("label_key_in_selectors", TEXT, {"labels": ["istio.io/gateway-name"]})
    assert [str(h.resource) for h in hits] == ["Service edge/public-gw"]


def test_other_labels_are_not_reported() -> None:
    assert run_detector("label_key_in_selectors", TEXT, {"labels": ["team"]}) == []
