"""Field reports inform; Istio's documented semantics decide every call.

The built-in 1.19 implicit-deny entry is an operator's field report with no upstream change
behind it: it must never turn a decision into ``unknown``, must be reported in its own status
with its services and the calls at stake, and must not fail the gate unless asked.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import date
from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import ChangeStatus, FindingStatus, Report
from preflight.errors import KnowledgeBaseError
from preflight.formats.interface import renderer
from preflight.istio.authz import Decision
from preflight.kb.interface import Severity
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

FIELD_REPORT = "1.19-authz-implicit-deny-field-report"

# shop/web may call payments/api (its ALLOW rule names web's identity); legacy/batch has no sidecar,
# so nothing it sends matches the rule and the implicit deny refuses it. payments/ledger has no policy.
MESH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web, containers: [{name: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: batch}}
    spec: {containers: [{name: batch}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {serviceAccountName: api, containers: [{name: api, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec: {selector: {app: api}, ports: [{name: http, port: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ledger, namespace: payments}
spec:
  template:
    metadata: {labels: {app: ledger}}
    spec: {serviceAccountName: ledger, containers: [{name: ledger, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: ledger, namespace: payments}
spec: {selector: {app: ledger}, ports: [{name: http, port: 8080}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-allow, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]
"""

TRAFFIC = """\
source,destination,port,protocol,method,path,requests
shop/web,payments/api,8080,http,GET,/pay,120
legacy/batch,payments/api,8080,http,POST,/settle,4
shop/web,payments/ledger,8080,http,GET,/book,30
"""


def check(
    tmp_path: Path, source: str, target: str, kb_dirs: tuple[Path, ...] = (), extra: str = "", **options: object
) -> Report:
    traffic_file = tmp_path / "traffic.csv"
    traffic_file.write_text(TRAFFIC)
    kb = load_knowledge_base(kb_dirs)
    check_options = CheckOptions(
        target=parse_version(target),
        source=parse_version(source),
        timestamp=False,
        report_date=date(2023, 10, 1),  # 1.18 and 1.19 both supported: no platform finding in the gate
        kubernetes_version="1.27",
        **options,  # type: ignore[arg-type]
    )
    return run_check(snapshot_from_yaml(MESH + extra), kb, check_options, load_traffic([str(traffic_file)]))


@pytest.mark.parametrize("version", ["1.18.0", "1.19.0", "1.19.4", "1.24.2", "1.31.0"])
def test_same_version_decides_every_call(tmp_path: Path, version: str) -> None:
    report = check(tmp_path, version, version)
    assert report.simulation is not None
    decisions = {o.edge.path: (o.before.decision, o.after.decision) for o in report.simulation.outcomes}
    assert decisions == {"/pay": (Decision.ALLOW, Decision.ALLOW), "/settle": (Decision.DENY, Decision.DENY),
                         "/book": (Decision.ALLOW, Decision.ALLOW)}
    assert not any(o.watch for o in report.simulation.outcomes)
    assert not any(FIELD_REPORT in reason for o in report.simulation.outcomes for reason in o.before.reasons)


@pytest.mark.parametrize("source", ["1.19.0", "1.20.3", "1.24.2"])
def test_upgrade_past_the_field_report_decides_every_call(tmp_path: Path, source: str) -> None:
    report = check(tmp_path, source, "1.31.0")
    assert report.simulation is not None
    assert all(o.before.decision is not Decision.UNKNOWN and o.after.decision is not Decision.UNKNOWN
               for o in report.simulation.outcomes)
    assert FIELD_REPORT not in {f.change for f in report.findings}


def test_crossing_the_field_report_marks_its_calls_and_keeps_their_decisions(tmp_path: Path) -> None:
    report = check(tmp_path, "1.18.3", "1.19.0")
    assert report.simulation is not None
    settle, pay, book = report.simulation.outcomes  # in source order
    assert (pay.edge.path, settle.edge.path, book.edge.path) == ("/pay", "/settle", "/book")
    assert pay.watch == settle.watch == (FIELD_REPORT,) and book.watch == ()
    assert (pay.before.decision, pay.after.decision) == (Decision.ALLOW, Decision.ALLOW)
    assert (settle.before.decision, settle.after.decision) == (Decision.DENY, Decision.DENY)
    assert not report.simulation.changed

    (finding,) = [f for f in report.findings if f.change == FIELD_REPORT]
    assert finding.status is FindingStatus.FIELD_REPORT
    assert [str(s) for s in finding.services] == ["payments/api"]
    assert "2 call(s) (1 allowed, 1 denied today) depend on it" in finding.message
    assert finding.details["watch_calls"].splitlines() == [
        f"{settle.id}: deny before and after",
        f"{pay.id}: allow before and after",
    ]
    (change,) = [c for c in report.changes if c.entry.id == FIELD_REPORT]
    assert (change.status, change.field_reports, change.calls_at_stake) == (ChangeStatus.FIELD_REPORT, 1, 2)
    assert report.counts()["status"]["field-report"] == 1
    assert not report.gate_findings(Severity.INFO)


def test_field_report_fails_the_gate_only_when_asked(tmp_path: Path) -> None:
    report = check(tmp_path, "1.18.3", "1.19.0", fail_on_field_reports=True)
    assert [f.change for f in report.gate_findings(report.fail_on)] == [FIELD_REPORT]
    assert json.loads(renderer("json")(report))["verdict"] == "blocked"


OVERLAY = """\
minor: "1.19"
entries:
  - id: 1.19-our-own-implicit-deny-report
    introduced_in: "1.19.0"
    title: Our canary saw implicit-deny changes
    summary: Our platform team saw it in our own canary.
    impact: depend on an ALLOW policy's implicit deny
    severity: high
    severity_reason: It broke our payments canary.
    area: security
    detector: {name: authorization_allow_policies}
    remediation: Hold the upgrade.
    mitigation: none
    provenance: field-report
    caveats: [Seen once, in our staging cluster.]
    simulation: {watch: allow_implicit_deny}
    gate: fail
"""


def test_an_overlay_can_raise_its_field_report_to_the_gate(tmp_path: Path) -> None:
    overlay = tmp_path / "kb"
    overlay.mkdir()
    (overlay / "1.19.yaml").write_text(OVERLAY)
    report = check(tmp_path, "1.18.3", "1.19.0", kb_dirs=(overlay,))
    gated = {f.change for f in report.gate_findings(report.fail_on)}
    assert gated == {"1.19-our-own-implicit-deny-report"}  # the built-in report still only informs
    assert report.simulation is not None
    assert report.simulation.outcomes[0].watch == (FIELD_REPORT, "1.19-our-own-implicit-deny-report")
    assert report.simulation.outcomes[0].edge.path == "/settle"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("    simulation: {watch: allow_implicit_deny}\n", None),
        ("    simulation: {switch: externalname_alias}\n", "changes no decision"),
        ("    simulation: {watch: allow_implicit_deny}\n    gate: sometimes\n", "'gate' must be one of"),
    ],
)
def test_field_report_entries_are_validated(tmp_path: Path, change: str, error: str | None) -> None:
    overlay = tmp_path / "kb"
    overlay.mkdir()
    (overlay / "1.19.yaml").write_text(OVERLAY.replace("    simulation: {watch: allow_implicit_deny}\n    gate: fail\n",
                                                       change))
    if error is None:
        assert load_knowledge_base([overlay], include_builtin=False).entries[0].gate == "inform"
        return
    with pytest.raises(KnowledgeBaseError, match=error):
        load_knowledge_base([overlay], include_builtin=False)


def test_upstream_entries_cannot_watch_or_opt_out_of_the_gate(tmp_path: Path) -> None:
    overlay = tmp_path / "kb"
    overlay.mkdir()
    upstream = OVERLAY.replace("    provenance: field-report\n", "    upstream: {notes: [releasenotes/notes/x.yaml]}\n")
    (overlay / "1.19.yaml").write_text(upstream)
    with pytest.raises(KnowledgeBaseError, match="is for field reports"):
        load_knowledge_base([overlay], include_builtin=False)


def test_every_format_labels_the_field_report_with_its_services_and_calls(tmp_path: Path) -> None:
    report = check(tmp_path, "1.18.3", "1.19.0")
    document = json.loads(renderer("json")(report))
    (finding,) = [f for f in document["findings"] if f["change"] == FIELD_REPORT]
    entries = {e["id"]: e for e in [*document["changes"], *document["platform_checks"]]}  # entry text, once
    assert finding["status"] == "field-report" and finding["provenance"] == "field-report"
    caveats = entries[finding["change"]]["caveats"]
    assert caveats and all(isinstance(c, str) for c in caveats)
    assert finding["services"] == ["payments/api"] and len(finding["watch_calls"]) == 2
    assert finding["calls_at_stake"].startswith("2 call(s)")
    assert all(f["provenance"] == "upstream" and entries[f["change"]]["caveats"] is not None
               for f in document["findings"] if f["change"] != FIELD_REPORT and not f["change"].startswith("platform-"))
    assert [e["watch"] for e in document["edges"] if "watch" in e] == [[FIELD_REPORT], [FIELD_REPORT]]
    assert document["verdict"] != "blocked"

    sarif = json.loads(renderer("sarif")(report))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == FIELD_REPORT]
    assert (result["kind"], result["level"]) == ("review", "note")
    assert result["properties"]["provenance"] == "field-report" and result["properties"]["caveats"]
    assert result["properties"]["services"] == ["payments/api"] and len(result["properties"]["watch_calls"]) == 2
    (rule,) = [r for r in sarif["runs"][0]["tool"]["driver"]["rules"] if r["id"] == FIELD_REPORT]
    assert "field-report" in rule["properties"]["tags"] and rule["properties"]["caveats"]

    junit = ElementTree.fromstring(renderer("junit")(report))
    suite = next(s for s in junit.iter("testsuite") if s.get("name") == FIELD_REPORT)
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["provenance"] == "field-report" and properties["caveat"]
    assert suite.get("failures") == "0"
    (case,) = suite.iter("testcase")
    assert case.get("name") == "payments/api" and "calls at stake" in (case.findtext("system-out") or "")

    for name in ("text", "markdown", "html"):
        rendered = renderer(name)(report)
        assert "Field reports to watch" in rendered, name
        assert "payments/api" in rendered and "2 call(s)" in rendered, name


def test_calls_refused_by_a_deny_policy_do_not_depend_on_the_implicit_deny(tmp_path: Path) -> None:
    deny = """
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-plaintext, namespace: payments}
spec:
  action: DENY
  selector: {matchLabels: {app: api}}
  rules: [{from: [{source: {notPrincipals: ["*"]}}]}]
"""
    report = check(tmp_path, "1.18.3", "1.19.0", extra=deny)
    assert report.simulation is not None
    settle, pay, _ = report.simulation.outcomes
    assert settle.before.decision is Decision.DENY and settle.before.policy == "payments/no-plaintext"
    assert settle.watch == () and pay.watch == (FIELD_REPORT,)
    (finding,) = [f for f in report.findings if f.change == FIELD_REPORT]
    assert "1 call(s) (1 allowed today) depend on it" in finding.message


def test_a_mesh_wide_policy_names_its_first_services_and_counts_the_rest(tmp_path: Path) -> None:
    many = "".join(
        f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: s{n}, namespace: payments}}
spec:
  template:
    metadata: {{labels: {{app: s{n}}}}}
    spec: {{containers: [{{name: s{n}}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: s{n}, namespace: payments}}
spec: {{selector: {{app: s{n}}}, ports: [{{name: http, port: 8080}}]}}
"""
        for n in range(12)
    ) + """
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: namespace-allow, namespace: payments}
spec: {rules: [{from: [{source: {namespaces: [shop]}}]}]}
"""
    report = check(tmp_path, "1.18.3", "1.19.0", extra=many)
    finding = next(f for f in report.findings if f.change == FIELD_REPORT and f.resource.name == "namespace-allow")
    assert len(finding.services) == 14  # api, ledger and s0..s11
    assert "and 4 more service(s) deny every request" in finding.message
    text = renderer("text")(report)
    assert f"{FIELD_REPORT} on payments/api, payments/ledger, payments/s0" in text and " and 4 more\n" in text


RAISE_BUILTIN = """\
minor: "1.19"
field_reports:
  1.19-authz-implicit-deny-field-report: {gate: fail}
"""


def test_an_overlay_can_raise_the_built_in_field_report(tmp_path: Path) -> None:
    overlay = tmp_path / "kb"
    overlay.mkdir()
    (overlay / "gates.yaml").write_text(RAISE_BUILTIN)
    report = check(tmp_path, "1.18.3", "1.19.0", kb_dirs=(overlay,))
    assert [f.change for f in report.gate_findings(report.fail_on)] == [FIELD_REPORT]
    (finding,) = [f for f in report.findings if f.change == FIELD_REPORT]
    assert finding.status is FindingStatus.FIELD_REPORT  # raised to the gate, still labelled a field report


@pytest.mark.parametrize(
    ("gates", "error"),
    [
        ("  1.19-no-such-entry: {gate: fail}\n", "which no entry has"),
        ("  1.19-envoyfilter-canonical-filter-names: {gate: inform}\n", "not a field report"),
        ("  1.19-authz-implicit-deny-field-report: {gate: maybe}\n", "must be {gate: inform or fail}"),
    ],
)
def test_overlay_gates_are_validated(tmp_path: Path, gates: str, error: str) -> None:
    overlay = tmp_path / "kb"
    overlay.mkdir()
    (overlay / "gates.yaml").write_text('minor: "1.19"\nfield_reports:\n' + gates)
    with pytest.raises(KnowledgeBaseError, match=error):
        load_knowledge_base([overlay])
