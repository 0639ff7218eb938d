from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import ChangeStatus, Finding, FindingStatus, Report
from preflight.errors import VersionError
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

FIXTURE_KB = Path(__file__).parent.parent / "fixtures" / "kb"

CLUSTER = """
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: payments}
spec: {type: ExternalName, externalName: billing.example.com}
"""


def istiod(version: str = "1.20.3", env: str = "", name: str = "istiod", revision: str = "default") -> str:
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: istio-system, labels: {{app: istiod, istio.io/rev: {revision}}}}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:{version}
        env: [{env}]
"""


def check(text: str, target: str = "1.22.0", source: str | None = None):  # type: ignore[no-untyped-def]
    kb = load_knowledge_base([FIXTURE_KB], include_builtin=False)
    options = CheckOptions(
        target=parse_version(target), source=parse_version(source) if source else None, timestamp=False
    )
    return run_check(snapshot_from_yaml(text), kb, options)


def alias_finding(report: Report) -> Finding:
    return next(f for f in report.findings if f.change == "1.21-fixture-externalname")


def test_affected_service_is_named() -> None:
    report = check(CLUSTER + istiod())
    assert [str(s.service) for s in report.services] == ["payments/legacy"]
    assert alias_finding(report).status is FindingStatus.AFFECTED
    assert report.source_version == "1.20.3"


def test_env_flag_on_every_istiod_mitigates() -> None:
    report = check(CLUSTER + istiod(env='{name: ENABLE_EXTERNAL_NAME_ALIAS, value: "false"}'))
    assert alias_finding(report).status is FindingStatus.MITIGATED
    assert "ENABLE_EXTERNAL_NAME_ALIAS" in (alias_finding(report).mitigation_reason or "")


def test_flag_on_only_one_of_two_revisions_does_not_mitigate() -> None:
    text = (
        CLUSTER
        + istiod(env='{name: ENABLE_EXTERNAL_NAME_ALIAS, value: "false"}')
        + istiod(name="istiod-canary", revision="canary")
    )
    report = check(text)
    assert alias_finding(report).status is FindingStatus.AFFECTED


def test_compatibility_version_mitigates_when_the_target_ships_it() -> None:
    operator = """
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: installed, namespace: istio-system}
spec:
  values: {compatibilityVersion: "1.20"}
"""
    report = check(CLUSTER + istiod() + operator, target="1.21.2")
    assert alias_finding(report).status is FindingStatus.MITIGATED


def test_compatibility_version_the_target_no_longer_ships_does_not_mitigate() -> None:
    operator = """
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: installed, namespace: istio-system}
spec:
  values: {compatibilityVersion: "1.20"}
"""
    options = CheckOptions(target=parse_version("1.24.0"), source=parse_version("1.20.3"), timestamp=False)
    report = run_check(snapshot_from_yaml(CLUSTER + istiod() + operator), load_knowledge_base(), options)
    finding = next(f for f in report.findings if f.change == "1.21-externalname-alias")
    assert finding.status is FindingStatus.AFFECTED
    outcome = next(c for c in report.changes if c.entry.id == "1.21-externalname-alias")
    assert "ships profiles only for 1.21, 1.22, 1.23 (the last that does is 1.23)" in (outcome.mitigation_note or "")


def test_entries_outside_the_path_do_not_apply() -> None:
    report = check(CLUSTER + istiod("1.21.0"), target="1.22.0")
    assert [c.entry.id for c in report.changes] == ["1.22-fixture-advisory"]
    assert report.changes[0].status is ChangeStatus.ADVISORY


def test_nothing_touched_is_not_present() -> None:
    report = check(istiod())
    statuses = {c.entry.id: c.status for c in report.changes}
    assert statuses["1.21-fixture-externalname"] is ChangeStatus.NOT_PRESENT


def test_version_is_required_when_no_istiod_shows_it() -> None:
    with pytest.raises(VersionError, match="pass --from"):
        check(CLUSTER)


def test_without_istiod_nothing_is_mitigated_and_the_report_says_so() -> None:
    report = check(CLUSTER, source="1.20.0")
    assert alias_finding(report).status is FindingStatus.AFFECTED
    assert any("no istiod" in note for note in report.notes)


def test_oldest_of_several_revisions_is_the_source_and_the_note_says_so() -> None:
    report = check(CLUSTER + istiod("1.21.1") + istiod("1.20.5", name="istiod-old", revision="old"))
    assert report.source_version == "1.20.5"
    assert "pass --from" in report.version_note


INCOMPLETE_MANIFEST = """
---
apiVersion: preflight/v1
kind: SnapshotManifest
cluster: prod
complete: false
forbidden:
- {resource: authorizationpolicies.security.istio.io, namespace: payments, message: forbidden,
   impact: AuthorizationPolicies of this namespace are missing}
"""


def test_incomplete_snapshot_is_refused_so_the_gate_fails_closed() -> None:
    from preflight.errors import InputError

    with pytest.raises(InputError, match="incomplete: the export was not allowed to list authorizationpolicies"):
        check(CLUSTER + istiod() + INCOMPLETE_MANIFEST)


def test_incomplete_snapshot_is_reported_with_its_gaps_when_allowed() -> None:
    kb = load_knowledge_base([FIXTURE_KB], include_builtin=False)
    options = CheckOptions(target=parse_version("1.22.0"), timestamp=False, allow_incomplete=True)
    report = run_check(snapshot_from_yaml(CLUSTER + istiod() + INCOMPLETE_MANIFEST), kb, options)
    assert any("AuthorizationPolicies of this namespace are missing" in note for note in report.notes)
