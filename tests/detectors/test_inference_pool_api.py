from tests.support import run_detector


def pool(api_version: str, spec: str) -> str:
    return f"""
apiVersion: {api_version}
kind: InferencePool
metadata: {{name: llm, namespace: ai}}
spec: {spec}
"""


def test_experimental_group_is_reported() -> None:
    assert len(run_detector("inference_pool_api", pool("inference.networking.x-k8s.io/v1alpha2", "{}"))) == 1


def test_rc1_port_number_is_reported() -> None:
    text = pool("inference.networking.k8s.io/v1", "{endpointPickerRef: {name: epp, portNumber: 9002}}")
    assert "portNumber" in run_detector("inference_pool_api", text)[0].message


def test_missing_port_is_reported() -> None:
    text = pool("inference.networking.k8s.io/v1", "{endpointPickerRef: {name: epp}}")
    assert "9002" in run_detector("inference_pool_api", text)[0].message


def test_v1_pool_with_port_is_fine() -> None:
    text = pool("inference.networking.k8s.io/v1", "{endpointPickerRef: {name: epp, port: {number: 9002}}}")
    assert run_detector("inference_pool_api", text) == []
