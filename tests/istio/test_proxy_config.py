"""Agent environment of a proxy: ProxyConfig resources and the ``proxy.istio.io/config`` annotation.

Upstream: ``pilot/pkg/model/proxy_config.go`` ``EffectiveProxyConfig``: root namespace, then the
workload's namespace, then the annotation, then a workload-selecting ProxyConfig (highest); at each
level only the oldest matching ProxyConfig counts; ``proxyMetadata`` maps merge key by key.
"""

from __future__ import annotations

from preflight.istio.proxy_config import annotation_proxy_config, workload_proxy_env
from preflight.snapshot.interface import Workload
from preflight.snapshot.model import Snapshot
from tests.support import snapshot_from_yaml


def _proxy_config(name: str, namespace: str, env: str, selector: str = "", created: str = "") -> str:
    created_field = f", creationTimestamp: '{created}'" if created else ""
    selector_field = f", selector: {{matchLabels: {selector}}}" if selector else ""
    return f"""
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {{name: {name}, namespace: {namespace}{created_field}}}
spec: {{environmentVariables: {env}{selector_field}}}
"""


def _workload_doc(annotation: str | None = None, namespace: str = "shop") -> str:
    annotations = "{}" if annotation is None else "{proxy.istio.io/config: " + repr(annotation) + "}"
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {namespace}}}
spec:
  template:
    metadata: {{labels: {{app: web}}, annotations: {annotations}}}
    spec: {{containers: [{{name: web}}]}}
"""


def _setup(*configs: str, annotation: str | None = None, namespace: str = "shop") -> tuple[Workload, Snapshot]:
    snapshot = snapshot_from_yaml("---".join((_workload_doc(annotation, namespace), *configs)))
    return snapshot.workloads[0], snapshot


def test_root_namespace_config_without_selector_applies_mesh_wide() -> None:
    workload, snapshot = _setup(_proxy_config("mesh", "istio-system", "{A: mesh}"))
    assert workload_proxy_env(workload, snapshot, "istio-system") == {"A": "mesh"}


def test_config_of_another_namespace_does_not_apply() -> None:
    workload, snapshot = _setup(_proxy_config("other", "billing", "{A: other}"))
    assert workload_proxy_env(workload, snapshot, "istio-system") == {}


def test_root_namespace_config_with_selector_applies_only_in_the_root_namespace() -> None:
    workload, snapshot = _setup(_proxy_config("sel", "istio-system", "{A: root}", selector="{app: web}"))
    assert workload_proxy_env(workload, snapshot, "istio-system") == {}


def test_namespace_config_overrides_mesh_config_key_by_key() -> None:
    workload, snapshot = _setup(
        _proxy_config("mesh", "istio-system", "{A: mesh, B: mesh}"),
        _proxy_config("ns", "shop", "{B: ns}"),
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {"A": "mesh", "B": "ns"}


def test_workload_config_applies_only_to_matching_labels() -> None:
    workload, snapshot = _setup(
        _proxy_config("ns", "shop", "{A: ns}"),
        _proxy_config("match", "shop", "{A: workload}", selector="{app: web}"),
        _proxy_config("miss", "shop", "{C: miss}", selector="{app: api}"),
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {"A": "workload"}


def test_annotation_overrides_namespace_but_not_workload_config() -> None:
    annotation = "proxyMetadata: {A: annotation, B: annotation, C: annotation}"
    workload, snapshot = _setup(
        _proxy_config("ns", "shop", "{A: ns}"),
        _proxy_config("match", "shop", "{B: workload}", selector="{app: web}"),
        annotation=annotation,
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {
        "A": "annotation",
        "B": "workload",
        "C": "annotation",
    }


def test_only_the_oldest_config_of_a_level_counts() -> None:
    workload, snapshot = _setup(
        _proxy_config("a-newer", "shop", "{A: newer, B: newer}", created="2024-05-01T00:00:00Z"),
        _proxy_config("z-older", "shop", "{A: older}", created="2023-01-01T00:00:00Z"),
        _proxy_config("a-newer-wl", "shop", "{W: newer}", selector="{app: web}", created="2024-05-01T00:00:00Z"),
        _proxy_config("z-older-wl", "shop", "{W: older}", selector="{app: web}", created="2023-01-01T00:00:00Z"),
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {"A": "older", "W": "older"}


def test_equal_creation_times_fall_back_to_name_order() -> None:
    workload, snapshot = _setup(
        _proxy_config("beta", "shop", "{A: beta}"),
        _proxy_config("alpha", "shop", "{A: alpha}"),
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {"A": "alpha"}


def test_workload_in_the_root_namespace_gets_root_configs() -> None:
    workload, snapshot = _setup(
        _proxy_config("mesh", "istio-system", "{A: mesh}"),
        _proxy_config("wl", "istio-system", "{B: workload}", selector="{app: web}"),
        namespace="istio-system",
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {"A": "mesh", "B": "workload"}


def test_annotation_is_parsed_as_yaml_and_unreadable_means_empty() -> None:
    good, _ = _setup(annotation="concurrency: 2\nproxyMetadata: {ISTIO_META_DNS_CAPTURE: 'true'}")
    assert annotation_proxy_config(good) == {"concurrency": 2, "proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}}
    for text in ("proxyMetadata: [unclosed", "just a string", "- a list"):
        workload, snapshot = _setup(annotation=text)
        assert annotation_proxy_config(workload) == {}
        assert workload_proxy_env(workload, snapshot, "istio-system") == {}


def test_wrong_types_in_environment_variables_are_ignored() -> None:
    workload, snapshot = _setup(_proxy_config("ns", "shop", "[A, B]"), annotation="proxyMetadata: [x]")
    assert workload_proxy_env(workload, snapshot, "istio-system") == {}


def test_a_selector_without_labels_selects_nothing() -> None:
    workload, snapshot = _setup(
        """
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: empty, namespace: shop}
spec: {environmentVariables: {A: empty}, selector: {matchLabels: {}}}
"""
    )
    assert workload_proxy_env(workload, snapshot, "istio-system") == {}
