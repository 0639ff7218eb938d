from preflight.detectors.interface import Hit
from tests.support import INJECTED, namespace, run_detector, workload

NAMESPACE = namespace("shop", INJECTED)

DEPLOYMENT = workload("cart", "shop", service_port=None)

JOB = """
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    metadata: {labels: {app: migrate}}
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: migrate:1
        command: [sh, -c, "run && curl -X POST localhost:15020/quitquitquit"]
"""


def native(text: str, **versions: str) -> list[Hit]:
    versions = {"source": "1.26.0", "target": "1.27.0", **versions}
    return run_detector("native_sidecar_injection", text, None, **versions)


def test_injected_deployment_is_reported() -> None:
    hits = native(NAMESPACE + DEPLOYMENT)
    assert [str(h.resource) for h in hits] == ["Deployment shop/cart"]
    assert hits[0].details["matters_most"] == "none"
    assert hits[0].details["takes_effect"] == "yes"


def test_uninjected_namespace_is_not_reported() -> None:
    assert native(NAMESPACE.replace("istio-injection: enabled", "team: a") + DEPLOYMENT) == []


def test_explicit_opt_out_is_not_reported() -> None:
    opted_out = workload("cart", "shop", service_port=None, annotations={"sidecar.istio.io/nativeSidecar": "false"})
    text = NAMESPACE + opted_out
    assert native(text) == []


def test_job_calling_quitquitquit_is_marked() -> None:
    hits = native(NAMESPACE + JOB)
    assert len(hits) == 1
    assert hits[0].details["matters_most"] == "job, references-istio-proxy"
    assert "complete" in hits[0].message


def test_other_pod_webhook_is_marked() -> None:
    webhook = """
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: vault-agent-injector}
webhooks:
- name: vault.hashicorp.com
  objectSelector: {matchLabels: {app: cart}}
  rules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
"""
    hits = native(NAMESPACE + DEPLOYMENT + webhook)
    assert hits[0].details["matters_most"] == "other-webhooks"
    assert "vault-agent-injector/vault.hashicorp.com" in hits[0].message


def test_old_kubelet_means_no_effect_yet() -> None:
    node = """
---
apiVersion: v1
kind: Node
metadata: {name: node-a}
status: {nodeInfo: {kubeletVersion: v1.31.4}}
"""
    hits = native(NAMESPACE + DEPLOYMENT + node)
    assert hits[0].details["takes_effect"].startswith("not yet")


def test_already_native_pod_is_not_reported() -> None:
    pod = """
---
apiVersion: v1
kind: Pod
metadata: {name: worker, namespace: shop}
spec:
  initContainers: [{name: istio-proxy, image: proxyv2:1.26.0, restartPolicy: Always}]
  containers: [{name: worker, image: worker:1}]
"""
    assert native(NAMESPACE + pod) == []


def test_gateway_proxy_is_not_reported() -> None:
    gateway = """
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress, namespace: shop}
spec:
  template:
    metadata:
      labels: {istio: ingressgateway}
      annotations: {inject.istio.io/templates: gateway}
    spec:
      containers: [{name: istio-proxy, image: auto}]
"""
    assert native(NAMESPACE + gateway) == []
