from tests.support import istiod, run_detector, workload


def kiali_in(namespace: str) -> str:
    return istiod("1.28.2") + workload("kiali", namespace, image="quay.io/kiali/kiali:v2.10", service_port=None)


def test_kiali_outside_istio_system_is_reported() -> None:
    hits = run_detector("debug_endpoint_clients", kiali_in("observability"), {"apps": ["kiali"]})
    assert [str(h.resource) for h in hits] == ["Deployment observability/kiali"]


def test_kiali_in_istio_system_is_fine() -> None:
    assert run_detector("debug_endpoint_clients", kiali_in("istio-system"), {"apps": ["kiali"]}) == []
