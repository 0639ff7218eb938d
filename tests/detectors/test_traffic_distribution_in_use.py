from tests.support import run_detector

SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  trafficDistribution: PreferSameZone
  ports: [{port: 80}]
"""
PARAMS = {"values": ["PreferSameZone", "PreferSameNode"], "service_entries": True}


def test_new_distribution_value_is_reported() -> None:
    hits = run_detector("traffic_distribution_in_use", SERVICE, PARAMS)
    assert [str(h.resource) for h in hits] == ["Service shop/api"]


def test_prefer_close_is_not_reported() -> None:
    assert run_detector("traffic_distribution_in_use", SERVICE.replace("PreferSameZone", "PreferClose"), PARAMS) == []


def test_service_entry_annotation_is_reported() -> None:
    entry = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: shop, annotations: {networking.istio.io/traffic-distribution: PreferSameNode}}
spec: {hosts: [db.example.com], ports: [{number: 5432, name: tcp, protocol: TCP}]}
"""
    assert len(run_detector("traffic_distribution_in_use", entry, PARAMS)) == 1
