from decimal import Decimal

from preflight.engine.engine import CheckOptions
from preflight.footprint.footprint import mesh_footprint
from preflight.footprint.interface import MeshFootprint, format_bytes
from preflight.istio.cluster import build_cluster
from preflight.istio.sidecar_resources import parse_quantity
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

MESH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: annotated, namespace: shop}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: annotated}, annotations: {sidecar.istio.io/proxyMemory: 256Mi}}
    spec: {containers: [{name: app, image: app:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: plain, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: plain}}
    spec: {containers: [{name: app, image: app:1}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: outside, namespace: shop}
spec:
  template:
    metadata: {labels: {app: outside, sidecar.istio.io/inject: "false"}}
    spec: {containers: [{name: app, image: app:1}]}
"""


def footprint(text: str) -> MeshFootprint:
    snapshot = snapshot_from_yaml(text)
    report = run_check(snapshot, load_knowledge_base(), CheckOptions(
        source=parse_version("1.26.0"), target=parse_version("1.27.0"), timestamp=False))
    return mesh_footprint(build_cluster(snapshot), report)


def test_quantities() -> None:
    assert parse_quantity("128Mi") == 128 * 1024**2
    assert parse_quantity("50m") == Decimal("0.05")
    assert parse_quantity("1G") == 10**9
    assert parse_quantity("lots") is None


def test_annotations_replace_the_installed_defaults_entirely() -> None:
    rows = {r.workload.name: r for r in footprint(MESH).workloads}
    assert set(rows) == {"annotated", "plain"}
    annotated = rows["annotated"]
    assert annotated.memory_request == 256 * 1024**2 and annotated.cpu_request is None
    assert annotated.memory_limit is None and annotated.resources_source == "pod annotations"
    plain = rows["plain"]
    assert plain.memory_request == 128 * 1024**2 and plain.memory_limit == 1024 * 1024**2
    assert plain.resources_source == "chart defaults" and plain.pods == 2 and plain.pods_source == "replicas"


def test_totals_add_up_per_pod() -> None:
    result = footprint(MESH)
    assert result.injected_pods == 5
    assert result.memory_request == (Decimal(3 * 256 + 2 * 128) * 1024**2, 0)
    assert result.cpu_request[1] == 3  # the annotated pods request no CPU
    assert format_bytes(result.memory_request[0]) == "1Gi"


def test_native_sidecars_are_reported_as_a_footprint_change() -> None:
    changes = footprint(MESH).changes
    assert changes and changes[0].pods == 5 and changes[0].memory_request_delta == 0


def _pod(name: str, namespace: str, labels: str) -> str:
    return f"""
---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}, labels: {{{labels}}}}}
spec: {{containers: [{{name: app, image: app:1}}, {{name: istio-proxy, image: proxyv2:1.26.0}}]}}
"""


def test_pods_are_counted_by_every_template_label_in_the_workload_namespace() -> None:
    text = MESH + """
---
apiVersion: v1
kind: Namespace
metadata: {name: other, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 9
  template:
    metadata: {labels: {app: web, tier: front, pod-template-hash: abc}}
    spec: {containers: [{name: app, image: app:1}]}
""" + "".join(
        [
            _pod("web-1", "shop", "app: web, tier: front, pod-template-hash: xyz"),  # other hash: still web's pod
            _pod("web-2", "shop", "app: web, tier: front, extra: yes"),
            _pod("web-3", "shop", "app: web, tier: back"),  # another tier: not web's
            _pod("web-4", "other", "app: web, tier: front"),  # another namespace
        ]
    )
    rows = {(r.workload.kind, r.workload.name): r for r in footprint(text).workloads}
    web = rows[("Deployment", "web")]
    assert (web.pods, web.pods_source) == (2, "pods")
