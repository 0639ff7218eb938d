from tests.support import run_detector

ENTRY = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: bank, namespace: egress}
spec:
  hosts: [api.bank.example]
  ports: [{number: 443, name: https, protocol: HTTPS}]
  resolution: DNS
"""


def rule(tls: str) -> str:
    return f"""
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: bank-mtls, namespace: egress}}
spec:
  host: api.bank.example
  trafficPolicy:
    tls: {tls}
"""


def test_rule_with_own_certificates_for_external_host_is_reported() -> None:
    hits = run_detector("external_service_destination_rule_tls", ENTRY + rule("{mode: MUTUAL, credentialName: bank}"))
    assert [h.resource.name for h in hits] == ["bank-mtls"]


def test_rule_without_certificates_is_not_reported() -> None:
    assert run_detector("external_service_destination_rule_tls", ENTRY + rule("{mode: SIMPLE, sni: a}")) == []


def test_mesh_internal_entry_is_not_reported() -> None:
    internal = ENTRY.replace("resolution: DNS", "resolution: DNS\n  location: MESH_INTERNAL")
    text = internal + rule("{mode: MUTUAL, credentialName: b}")
    assert run_detector("external_service_destination_rule_tls", text) == []
