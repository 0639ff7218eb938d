from tests.support import run_detector

NAMESPACES = """
apiVersion: v1
kind: Namespace
metadata: {name: plain}
---
apiVersion: v1
kind: Namespace
metadata: {name: injected, labels: {istio-injection: enabled}}
"""


def _deployment(namespace: str, labels: str) -> str:
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: worker, namespace: {namespace}}}
spec:
  template:
    metadata: {{labels: {labels}}}
    spec: {{containers: [{{name: app, image: worker:1}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: worker, namespace: {namespace}}}
spec: {{selector: {{app: worker}}, ports: [{{port: 80}}]}}
"""


def test_pod_label_in_unlabelled_namespace_is_newly_injected() -> None:
    hits = run_detector(
        "injection_pod_label_opt_in",
        NAMESPACES + _deployment("plain", '{app: worker, sidecar.istio.io/inject: "true"}'),
    )
    assert [str(h.resource) for h in hits] == ["Deployment plain/worker"]
    assert [str(s) for s in hits[0].services or ()] == ["plain/worker"]


def test_labelled_namespace_or_no_pod_label_is_not_reported() -> None:
    assert run_detector(
        "injection_pod_label_opt_in",
        NAMESPACES + _deployment("injected", '{app: worker, sidecar.istio.io/inject: "true"}'),
    ) == []
    unlabelled_pod = NAMESPACES + _deployment("plain", "{app: worker}")
    assert run_detector("injection_pod_label_opt_in", unlabelled_pod) == []


def test_unknown_namespace_is_not_guessed() -> None:
    elsewhere = NAMESPACES + _deployment("elsewhere", '{app: worker, sidecar.istio.io/inject: "true"}')
    assert run_detector("injection_pod_label_opt_in", elsewhere) == []
