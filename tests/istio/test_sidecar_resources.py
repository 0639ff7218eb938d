"""CPU and memory of an injected istio-proxy.

Upstream: the injection template writes only the ``sidecar.istio.io/proxy{CPU,Memory}[Limit]`` fields
present when any is set, else ``global.proxy.resources``; chart defaults 100m/128Mi, limits 2000m/1024Mi.
Quantities as Kubernetes ``resource.Quantity`` (decimal and binary suffixes, exponents).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from preflight.istio.sidecar_resources import (
    CHART_DEFAULTS,
    installed_proxy_resources,
    parse_quantity,
    proxy_resources,
)
from preflight.snapshot.interface import Workload
from tests.support import snapshot_from_yaml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5", Decimal("1.5")),
        ("128Mi", Decimal(128 * 1024**2)),
        ("1Gi", Decimal(1024**3)),
        ("1G", Decimal(10**9)),
        ("1k", Decimal(1000)),
        ("1e3", Decimal(1000)),
        ("2E", Decimal(2 * 10**18)),
        (" 64Ki ", Decimal(64 * 1024)),
        (3, Decimal(3)),
    ],
)
def test_kubernetes_quantities(text: object, value: Decimal) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", [None, "", "m", "1K", "1mi", "-1", "NaN", "Infinity", "lots", "1.2.3Mi"])
def test_non_quantities_are_none(text: object) -> None:
    assert parse_quantity(text) is None


def _workload(annotations: str = "{}", containers: str = "[{name: app}]") -> Workload:
    snapshot = snapshot_from_yaml(
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web, namespace: shop}}\n"
        f"spec: {{template: {{metadata: {{annotations: {annotations}}}, spec: {{containers: {containers}}}}}}}\n"
    )
    return snapshot.workloads[0]


def test_running_proxy_has_what_its_container_asks_for() -> None:
    workload = _workload(
        annotations="{sidecar.istio.io/proxyCPU: 1}",
        containers="[{name: istio-proxy, resources: {requests: {cpu: 250m, memory: 256Mi}}}]",
    )
    found = proxy_resources(workload, (CHART_DEFAULTS, "chart defaults"))
    assert found.source == "pod spec"
    assert (found.cpu_request, found.memory_request) == (Decimal("0.25"), Decimal(256 * 1024**2))
    assert (found.cpu_limit, found.memory_limit) == (None, None)


def test_any_annotation_replaces_the_installed_defaults_entirely() -> None:
    found = proxy_resources(
        _workload(annotations="{sidecar.istio.io/proxyCPU: 300m, sidecar.istio.io/proxyMemoryLimit: 1Gi}"),
        (CHART_DEFAULTS, "chart defaults"),
    )
    assert found.source == "pod annotations"
    assert found.cpu_request == Decimal("0.3")
    assert found.memory_limit == Decimal(1024**3)
    assert (found.memory_request, found.cpu_limit) == (None, None)


def test_without_annotations_the_installed_values_apply() -> None:
    installed = ({"requests": {"cpu": "50m"}, "limits": {"memory": "512Mi"}}, "install values")
    found = proxy_resources(_workload(), installed)
    assert found.source == "install values"
    assert (found.cpu_request, found.memory_limit) == (Decimal("0.05"), Decimal(512 * 1024**2))
    assert (found.memory_request, found.cpu_limit) == (None, None)


def test_chart_defaults_when_nothing_is_installed() -> None:
    installed = installed_proxy_resources(snapshot_from_yaml(""))
    assert installed[1] == "chart defaults"
    found = proxy_resources(_workload(), installed)
    assert (found.cpu_request, found.memory_request) == (Decimal("0.1"), Decimal(128 * 1024**2))
    assert (found.cpu_limit, found.memory_limit) == (Decimal(2), Decimal(1024 * 1024**2))


def test_installed_resources_are_read_from_install_values_when_a_mapping() -> None:
    snapshot = snapshot_from_yaml(
        """
        apiVersion: preflight.dev/v1
        kind: HelmValues
        metadata: {name: broken, namespace: istio-system}
        values: {global: {proxy: {resources: "none"}}}
        ---
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        metadata: {name: cp, namespace: istio-system}
        spec: {values: {global: {proxy: {resources: {requests: {cpu: 10m}}}}}}
        """
    )
    assert installed_proxy_resources(snapshot) == ({"requests": {"cpu": "10m"}}, "install values")
