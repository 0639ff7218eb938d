from tests.support import istiod, run_detector

ENTRIES = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: partner, namespace: egress}
spec:
  hosts: [api.partner.example]
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: in-cluster-alias, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  ports: [{number: 80, name: http, protocol: HTTP}]
"""

MESH = istiod("1.22.3", mesh='outboundClusterStatName: "%SERVICE%_%SERVICE_PORT%"')


def test_external_hosts_are_reported_and_cluster_local_ones_are_not() -> None:
    hits = run_detector("cluster_stat_name_parsing", ENTRIES)
    assert [h.resource.name for h in hits] == ["partner"]


def test_custom_cluster_stat_name_is_reported_on_the_mesh_config() -> None:
    hits = run_detector("cluster_stat_name_parsing", ENTRIES + MESH)
    assert "ConfigMap istio-system/istio" in [str(h.resource) for h in hits]
