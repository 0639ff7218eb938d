from tests.support import run_detector


def gateway(addresses: str, refs: str) -> str:
    return f"""
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {{name: public, namespace: edge}}
spec:
  gatewayClassName: istio
  addresses: {addresses}
  listeners:
  - name: https
    port: 443
    protocol: HTTPS
    tls: {{mode: Terminate, certificateRefs: {refs}}}
"""


HOSTNAME = "[{type: Hostname, value: gw.edge.svc.cluster.local}]"


def test_hand_deployed_gateway_reading_its_own_namespace_secret_is_reported() -> None:
    hits = run_detector("gateway_api_certificate_refs", gateway(HOSTNAME, "[{name: shop-cert}]"))
    assert [str(h.resource) for h in hits] == ["Gateway edge/public"]
    assert "shop-cert" in hits[0].message


def test_gateways_istio_deploys_are_not_reported() -> None:
    assert run_detector("gateway_api_certificate_refs", gateway("[]", "[{name: shop-cert}]")) == []


def test_secrets_of_other_namespaces_already_needed_a_reference_grant() -> None:
    refs = "[{name: shop-cert, namespace: certs}]"
    assert run_detector("gateway_api_certificate_refs", gateway(HOSTNAME, refs)) == []
