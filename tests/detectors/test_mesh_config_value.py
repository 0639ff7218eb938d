from tests.support import istiod, run_detector


def mesh(text: str) -> str:
    return istiod("1.22.0", mesh=text)


PARAMS = {"keys": ["accessLogEncoding"], "values": ["json"]}


def test_revision_with_json_access_logs_is_reported_on_its_mesh_config_map() -> None:
    hits = run_detector("mesh_config_value", mesh("accessLogEncoding: JSON"), PARAMS)
    assert [str(h.resource) for h in hits] == ["ConfigMap istio-system/istio"]
    assert "accessLogEncoding=JSON" in hits[0].message


def test_other_values_and_unset_keys_are_not_reported() -> None:
    assert run_detector("mesh_config_value", mesh("accessLogEncoding: TEXT"), PARAMS) == []
    assert run_detector("mesh_config_value", mesh("accessLogFile: /dev/stdout"), PARAMS) == []
