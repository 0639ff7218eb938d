"""Mitigation mechanisms the engine recognises, each on the built-in entries that use it."""

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import ChangeStatus, Report
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.versions import parse_version
from tests.detectors.test_ambient_components import AMBIENT
from tests.support import snapshot_from_yaml


def check(text: str, source: str, target: str) -> Report:
    options = CheckOptions(target=parse_version(target), source=parse_version(source), timestamp=False)
    return run_check(snapshot_from_yaml(text), load_knowledge_base(), options)


def status(report: Report, entry_id: str) -> ChangeStatus:
    return next(c.status for c in report.changes if c.entry.id == entry_id)


CNI_VALUES = """
---
apiVersion: preflight/v1
kind: HelmValues
metadata: {name: istio-cni/values.yaml, namespace: istio-system}
values: {ambient: {reconcileIptablesOnStartup: false}}
"""

OPERATOR_VALUES = """
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: installed, namespace: istio-system}
spec: {values: {cni: {ambient: {reconcileIptablesOnStartup: "false"}}}}
"""


def test_chart_value_in_helm_values_keeps_the_old_behaviour() -> None:
    assert status(check(AMBIENT, "1.28.0", "1.29.0"), "1.29-ambient-iptables-reconciliation") is ChangeStatus.HIT
    report = check(AMBIENT + CNI_VALUES, "1.28.0", "1.29.0")
    assert status(report, "1.29-ambient-iptables-reconciliation") is ChangeStatus.MITIGATED


def test_chart_value_in_an_istio_operator_keeps_the_old_behaviour_whatever_its_spelling() -> None:
    report = check(AMBIENT + OPERATOR_VALUES, "1.28.0", "1.29.0")
    assert status(report, "1.29-ambient-iptables-reconciliation") is ChangeStatus.MITIGATED


MESHED = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
"""


def operator(compatibility_version: str) -> str:
    return f"""
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {{name: installed, namespace: istio-system}}
spec: {{values: {{compatibilityVersion: "{compatibility_version}"}}}}
"""


def test_only_the_profiles_that_restore_a_change_at_the_target_count() -> None:
    entry = "1.23-deferred-cluster-creation"
    assert status(check(MESHED + operator("1.22"), "1.22.0", "1.23.0"), entry) is ChangeStatus.MITIGATED
    # The 1.21 profile is older, yet it never set this flag.
    report = check(MESHED + operator("1.21"), "1.22.0", "1.23.0")
    assert status(report, entry) is ChangeStatus.HIT
    outcome = next(c for c in report.changes if c.entry.id == entry)
    assert "at 1.23.0 that profile does not restore this behaviour" in (outcome.mitigation_note or "")
