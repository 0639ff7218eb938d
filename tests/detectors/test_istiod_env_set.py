from tests.support import istiod, run_detector

ISTIOD = istiod("1.27.3", env={"PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY": "false"})


def test_istiod_env_set_finds_flag() -> None:
    hits = run_detector("istiod_env_set", ISTIOD, {"flags": ["PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY"]})
    assert [str(h.resource) for h in hits] == ["Deployment istio-system/istiod"]
    assert "PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY=false" in hits[0].message


def test_istiod_env_set_respects_values() -> None:
    params = {"flags": ["PILOT_SPAWN_UPSTREAM_SPAN_FOR_GATEWAY"], "values": ["true"]}
    assert run_detector("istiod_env_set", ISTIOD, params) == []


def test_istiod_env_set_reads_helm_values() -> None:
    values = """
apiVersion: preflight/v1
kind: HelmValues
metadata: {name: istiod, namespace: istio-system}
values:
  pilot:
    env: {METRIC_ROTATION_INTERVAL: 60s}
"""
    hits = run_detector("istiod_env_set", values, {"flags": ["METRIC_ROTATION_INTERVAL"]})
    assert len(hits) == 1


def test_istiod_env_set_misses_unset_flag() -> None:
    assert run_detector("istiod_env_set", ISTIOD, {"flags": ["METRIC_ROTATION_INTERVAL"]}) == []
