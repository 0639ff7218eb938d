"""``meshConfig.discoverySelectors`` (istio ``pkg/kube/namespace/filter.go``, ``pkg/config/mesh/labelselector``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from preflight.istio.discovery import discovery_selectors, is_mesh_config_object, namespace_selected


def test_selectors_are_read_from_mesh_config_and_non_mappings_are_dropped() -> None:
    mesh = {"discoverySelectors": [{"matchLabels": {"env": "prod"}}, "junk", 3]}
    assert discovery_selectors(mesh) == [{"matchLabels": {"env": "prod"}}]


@pytest.mark.parametrize("value", [None, "env=prod", {"matchLabels": {"env": "prod"}}])
def test_selectors_of_the_wrong_type_mean_none(value: object) -> None:
    assert discovery_selectors({"discoverySelectors": value}) == []


def test_without_selectors_every_namespace_is_selected() -> None:
    assert namespace_selected("anything", {}, [])


def test_a_namespace_is_selected_when_any_selector_matches() -> None:
    selectors: list[Mapping[str, Any]] = [
        {"matchLabels": {"env": "prod", "region": "eu"}},
        {"matchExpressions": [{"key": "app", "operator": "In", "values": ["cassandra", "spark"]}]},
    ]
    assert namespace_selected("db", {"app": "spark"}, selectors)
    assert namespace_selected("web", {"env": "prod", "region": "eu"}, selectors)
    assert not namespace_selected("web", {"env": "prod"}, selectors)
    assert not namespace_selected("batch", {"app": "hadoop"}, selectors)


def test_namespace_name_label_is_assumed_when_the_export_lacks_it() -> None:
    selectors: list[Mapping[str, Any]] = [{"matchLabels": {"kubernetes.io/metadata.name": "shop"}}]
    assert namespace_selected("shop", {}, selectors)
    assert not namespace_selected("billing", {}, selectors)


def test_an_empty_selector_selects_every_namespace() -> None:
    # labelselector.LabelSelectorAsSelector: no matchLabels and no matchExpressions is labels.Everything().
    assert namespace_selected("anything", {}, [{}])
    assert namespace_selected("anything", {}, [{"matchLabels": {"env": "prod"}}, {"matchLabels": {}}])


def test_namespaces_the_caller_always_watches_are_selected() -> None:
    selectors: list[Mapping[str, Any]] = [{"matchLabels": {"env": "prod"}}]
    assert namespace_selected("istio-system", {}, selectors, frozenset({"istio-system"}))
    assert not namespace_selected("other", {}, selectors, frozenset({"istio-system"}))


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("networking.istio.io/v1", "VirtualService"),
        ("security.istio.io/v1", "AuthorizationPolicy"),
        ("telemetry.istio.io/v1", "Telemetry"),
        ("extensions.istio.io/v1alpha1", "WasmPlugin"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("gateway.networking.x-k8s.io/v1alpha1", "XBackendTrafficPolicy"),
    ],
)
def test_istio_and_gateway_api_objects_are_mesh_config(api_version: str, kind: str) -> None:
    assert is_mesh_config_object(api_version, kind)


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("install.istio.io/v1alpha1", "IstioOperator"),
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("networking.k8s.io/v1", "Ingress"),
        ("example.com/v1", "Widget"),
        ("notistio.io/v1", "Thing"),
    ],
)
def test_install_inputs_and_other_groups_are_not_mesh_config(api_version: str, kind: str) -> None:
    assert not is_mesh_config_object(api_version, kind)
