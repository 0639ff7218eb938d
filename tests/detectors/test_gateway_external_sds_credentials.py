from tests.detectors.test_mesh_config_value import mesh
from tests.support import run_detector

GATEWAY = """
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge, namespace: ingress}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: "sds://shop-cert"}
  - port: {number: 8443, name: https-2, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: plain-secret}
"""
PROVIDER = 'extensionProviders: [{name: vault, sds: {service: vault-sds.vault.svc.cluster.local, port: 8200}}]'


def test_external_credential_with_an_sds_provider_names_the_new_resource_name() -> None:
    hits = run_detector("gateway_external_sds_credentials", mesh(PROVIDER) + GATEWAY)
    assert [h.resource.name for h in hits] == ["edge"]
    expected = "requested as shop-cert (not sds://shop-cert) from the first SDS extension provider (vault)"
    assert expected in hits[0].message


def test_external_credential_without_a_provider_falls_back_to_a_kubernetes_secret() -> None:
    hits = run_detector("gateway_external_sds_credentials", mesh("{}") + GATEWAY)
    assert len(hits) == 1 and "reads the Kubernetes Secret(s) shop-cert" in hits[0].message


def test_ordinary_credentials_are_not_reported() -> None:
    text = mesh(PROVIDER) + GATEWAY.replace('"sds://shop-cert"', "shop-cert")
    assert run_detector("gateway_external_sds_credentials", text) == []
