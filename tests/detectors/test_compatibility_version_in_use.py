from tests.support import run_detector

OPERATOR = """
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: control-plane, namespace: istio-system}
spec:
  values:
    compatibilityVersion: "{version}"
"""


def test_install_with_named_profile_is_reported() -> None:
    hits = run_detector("compatibility_version_in_use", OPERATOR.replace("{version}", "1.20"), {"versions": ["1.20"]})
    assert [str(h.resource) for h in hits] == ["IstioOperator istio-system/control-plane"]


def test_other_profile_is_not_reported() -> None:
    text = OPERATOR.replace("{version}", "1.22")
    assert run_detector("compatibility_version_in_use", text, {"versions": ["1.20"]}) == []
