from tests.support import run_detector

ENTRY = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partners, namespace: shop}
spec:
  hosts: [partners.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
"""
AMBIENT = """
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio.io/dataplane-mode: ambient}}
"""


def test_resolution_none_in_ambient_mesh_is_reported() -> None:
    assert len(run_detector("ambient_passthrough_service_entries", ENTRY + AMBIENT)) == 1


def test_sidecar_only_mesh_is_not_reported() -> None:
    assert run_detector("ambient_passthrough_service_entries", ENTRY) == []


def test_dns_resolution_is_not_reported() -> None:
    text = ENTRY.replace("ports:", "resolution: DNS\n  ports:") + AMBIENT
    assert run_detector("ambient_passthrough_service_entries", text) == []
