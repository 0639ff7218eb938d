from tests.support import run_detector


def telemetry(expression: str) -> str:
    return f"""
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {{name: tags, namespace: istio-system}}
spec:
  metrics:
  - overrides:
    - tagOverrides:
        peer_ns:
          value: '{expression}'
"""


def test_wasm_peer_attribute_is_reported() -> None:
    hits = run_detector("telemetry_cel_legacy_attributes", telemetry('filter_state["wasm.downstream_peer"].namespace'))
    assert [h.resource.name for h in hits] == ["tags"]


def test_standard_attributes_are_not_reported() -> None:
    assert run_detector("telemetry_cel_legacy_attributes", telemetry("filter_state.downstream_peer.namespace")) == []
    assert run_detector("telemetry_cel_legacy_attributes", telemetry("xds.node.metadata.NAMESPACE")) == []


def test_access_log_filter_with_unqualified_wasm_attribute_is_reported() -> None:
    text = """
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: logs, namespace: shop}
spec:
  accessLogging:
  - filter: {expression: 'istio_responseClass == "5xx"'}
"""
    assert [h.resource.name for h in run_detector("telemetry_cel_legacy_attributes", text)] == ["logs"]
