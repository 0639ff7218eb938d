from tests.support import run_detector

ZTUNNEL = """
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ztunnel, namespace: istio-system}
spec:
  template:
    metadata: {labels: {app: ztunnel}}
    spec:
      containers: [{name: istio-proxy, image: docker.io/istio/ztunnel:1.30.0}]
"""


def services(count: int) -> str:
    return "".join(
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: bulk}}\n"
        "spec: {ports: [{port: 80}]}\n"
        for i in range(count)
    )


def test_large_mesh_is_reported() -> None:
    hits = run_detector("ambient_mesh_size", ZTUNNEL + services(40), {"headroom": 0.0009})
    assert [str(h.resource) for h in hits] == ["DaemonSet istio-system/ztunnel"]


def test_small_mesh_is_not_reported() -> None:
    assert run_detector("ambient_mesh_size", ZTUNNEL + services(40)) == []
