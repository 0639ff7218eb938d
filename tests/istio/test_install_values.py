"""Install values from HelmValues documents (``values``) and IstioOperators (``spec.values``)."""

from __future__ import annotations

import pytest

from preflight.istio.install_values import install_values, is_true
from tests.support import snapshot_from_yaml

SOURCES = """
apiVersion: preflight.dev/v1
kind: HelmValues
metadata: {name: istio-cni, namespace: istio-system}
values:
  ambient: {reconcileIptablesOnStartup: false}
  global: {hub: registry.example/istio}
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane, namespace: istio-system}
spec:
  values:
    cni: {ambient: {reconcileIptablesOnStartup: "true"}}
    global: {proxy: {resources: {requests: {cpu: 50m}}}}
"""


def _kinds_and_keys(keys: tuple[str, ...]) -> list[tuple[str, str, object]]:
    snapshot = snapshot_from_yaml(SOURCES)
    return [(found.source.kind, found.key, found.value) for found in install_values(snapshot, keys)]


def test_helm_values_and_operator_values_are_both_read() -> None:
    keys = ("ambient.reconcileIptablesOnStartup", "cni.ambient.reconcileIptablesOnStartup")
    assert sorted(_kinds_and_keys(keys), key=str) == sorted(
        [
            ("HelmValues", "ambient.reconcileIptablesOnStartup", False),
            ("IstioOperator", "cni.ambient.reconcileIptablesOnStartup", "true"),
        ],
        key=str,
    )


def test_a_key_set_nowhere_yields_nothing() -> None:
    assert _kinds_and_keys(("global.proxy.image",)) == []


def test_a_mapping_value_is_returned_whole() -> None:
    assert _kinds_and_keys(("global.proxy.resources",)) == [
        ("IstioOperator", "global.proxy.resources", {"requests": {"cpu": "50m"}})
    ]


def test_operator_values_are_not_read_outside_spec_values() -> None:
    snapshot = snapshot_from_yaml(
        """
        apiVersion: install.istio.io/v1alpha1
        kind: IstioOperator
        metadata: {name: cp, namespace: istio-system}
        values: {global: {hub: wrong.example}}
        spec: {meshConfig: {global: {hub: also-wrong}}}
        """
    )
    assert list(install_values(snapshot, ("global.hub",))) == []


def test_path_through_a_non_mapping_yields_nothing() -> None:
    snapshot = snapshot_from_yaml(
        """
        apiVersion: preflight.dev/v1
        kind: HelmValues
        metadata: {name: istiod, namespace: istio-system}
        values: {global: "not a mapping"}
        """
    )
    assert list(install_values(snapshot, ("global.hub",))) == []


@pytest.mark.parametrize("value", [True, "true", "True", " TRUE "])
def test_true_as_boolean_or_string(value: object) -> None:
    assert is_true(value)


@pytest.mark.parametrize("value", [False, "false", "yes", 1, None, "", "truthy"])
def test_anything_else_is_not_true(value: object) -> None:
    assert not is_true(value)
