from tests.support import cluster_yaml, run_detector

# istiod is left out: the install inputs are what the detector reads.
MESH = cluster_yaml(namespaces=["shop"], workloads=["api"], istiod_version=None) + """
---
apiVersion: preflight.dev/v1
kind: HelmValues
metadata: {name: istiod, namespace: istio-system}
values:
  global: {jwtPolicy: first-party-jwt, hub: registry.example/istio}
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane, namespace: istio-system}
spec:
  values:
    pilot: {useMCP: false}
"""


def test_set_keys_are_reported_per_document_and_scoped_to_the_mesh() -> None:
    hits = run_detector("install_value_set", MESH, {"keys": ["global.jwtPolicy", "pilot.useMCP"]})
    assert sorted(h.message for h in hits) == [
        "HelmValues istio-system/istiod sets global.jwtPolicy=first-party-jwt",
        "IstioOperator istio-system/control-plane sets pilot.useMCP=false",
    ]
    assert all([str(s) for s in h.services or ()] == ["shop/api"] for h in hits)


def test_values_filter_counts_only_the_named_values() -> None:
    params = {"keys": ["global.jwtPolicy"], "values": ["first-party-jwt"]}
    assert len(run_detector("install_value_set", MESH, params)) == 1
    third = MESH.replace("jwtPolicy: first-party-jwt", "jwtPolicy: third-party-jwt")
    assert run_detector("install_value_set", third, params) == []


def test_boolean_values_match_their_text() -> None:
    params = {"keys": ["pilot.useMCP"], "values": [False]}
    assert len(run_detector("install_value_set", MESH, params)) == 1


def test_unset_keys_report_nothing() -> None:
    assert run_detector("install_value_set", MESH, {"keys": ["global.configRootNamespace"]}) == []


def test_ambient_scope_names_only_captured_services() -> None:
    hits = run_detector("install_value_set", MESH, {"keys": ["global.jwtPolicy"], "scope": "ambient"})
    assert [h.services for h in hits] == [()]
