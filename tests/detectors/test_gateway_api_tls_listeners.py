from tests.support import run_detector

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: passthrough, namespace: ingress}
spec:
  gatewayClassName: istio
  listeners: [{name: tls, port: 443, protocol: %s, tls: {mode: Passthrough}}]
"""


def test_tls_listener_is_reported() -> None:
    assert len(run_detector("gateway_api_tls_listeners", GATEWAY % "TLS")) == 1


def test_https_listener_is_not_reported() -> None:
    assert run_detector("gateway_api_tls_listeners", GATEWAY % "HTTPS") == []
