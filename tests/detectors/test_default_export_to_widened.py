import pytest

from tests.detectors.test_mesh_config_value import mesh
from tests.support import run_detector


def test_own_namespace_next_to_other_namespaces_is_reported() -> None:
    hits = run_detector("default_export_to_widened", mesh('defaultServiceExportTo: [".", "istio-system"]'))
    assert [str(h.resource) for h in hits] == ["ConfigMap istio-system/istio"]
    assert "(from now on also istio-system)" in hits[0].message


def test_own_namespace_with_everywhere_is_reported_for_virtual_services_too() -> None:
    hits = run_detector("default_export_to_widened", mesh('defaultVirtualServiceExportTo: ["*", "."]'))
    assert len(hits) == 1 and "defaultVirtualServiceExportTo" in hits[0].message


@pytest.mark.parametrize(
    "setting",
    ['defaultServiceExportTo: ["."]', 'defaultServiceExportTo: ["*"]', 'defaultServiceExportTo: ["a", "b"]', "{}"],
)
def test_defaults_that_meant_what_they_said_are_not_reported(setting: str) -> None:
    assert run_detector("default_export_to_widened", mesh(setting)) == []
