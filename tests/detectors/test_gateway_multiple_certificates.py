from tests.support import run_detector

GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: edge, namespace: ingress}
spec:
  gatewayClassName: istio
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls:
      certificateRefs: [{name: edge-rsa}, {name: edge-ecdsa}]
"""


def test_two_certificates_are_reported() -> None:
    hits = run_detector("gateway_multiple_certificates", GATEWAY)
    assert [str(h.resource) for h in hits] == ["Gateway ingress/edge"]


def test_one_certificate_is_not_reported() -> None:
    text = GATEWAY.replace("[{name: edge-rsa}, {name: edge-ecdsa}]", "[{name: edge-rsa}]")
    assert run_detector("gateway_multiple_certificates", text) == []


def test_istio_gateway_credential_names() -> None:
    text = """
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: ingress}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialNames: [edge-rsa, edge-ecdsa]}
"""
    assert len(run_detector("gateway_multiple_certificates", text)) == 1
