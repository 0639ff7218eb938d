from dataclasses import replace

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.istio.cluster import build_cluster
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.plan.canary import canary_plan
from preflight.plan.interface import CanaryPlan, Risk
from preflight.plan.owners import owning_teams
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: quiet, labels: {istio.io/rev: stable}, annotations: {owner: team-q}}
---
apiVersion: v1
kind: Namespace
metadata: {name: legacy, labels: {istio-injection: enabled, team: billing}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-revision-tag-stable, labels: {istio.io/tag: stable, istio.io/rev: 1-20-3}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod-1-20-3, namespace: istio-system, labels: {app: istiod, istio.io/rev: 1-20-3}}
spec:
  template:
    metadata: {labels: {app: istiod, istio.io/rev: 1-20-3}}
    spec: {containers: [{name: discovery, image: docker.io/istio/pilot:1.20.3}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: quiet}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: quiet}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing, namespace: legacy}
spec:
  template:
    metadata: {labels: {app: billing}}
    spec: {containers: [{name: billing, image: billing:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: billing, namespace: legacy}
spec: {type: ExternalName, externalName: billing.example.net}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: billing, namespace: legacy}
spec: {host: billing}
"""


def plan_for(text: str) -> tuple[Report, CanaryPlan]:
    snapshot = snapshot_from_yaml(text)
    kb = load_knowledge_base()
    report = run_check(snapshot, kb, CheckOptions(target=parse_version("1.22.0"), timestamp=False))
    report = replace(report, teams=owning_teams(snapshot))
    return report, canary_plan(build_cluster(snapshot), report)


def test_teams_come_from_the_label_then_owner_annotation() -> None:
    teams = owning_teams(snapshot_from_yaml(CLUSTER))
    assert teams["legacy"] == "billing" and teams["quiet"] == "team-q" and teams["istio-system"] == "istio-system"


def test_quiet_namespaces_go_first_and_high_findings_are_held() -> None:
    _, plan = plan_for(CLUSTER)
    order = [(m.namespace, m.risk) for wave in plan.waves for m in wave.moves]
    held = [n for n, risk in order if risk is Risk.HELD]
    assert "legacy" in held, order  # the ExternalName alias change is high
    assert [n for n, _ in order].index("quiet") < [n for n, _ in order].index("legacy")
    assert plan.waves[-1].moves[-1].risk is Risk.HELD


def test_tags_are_respected_and_istio_injection_is_removed_on_move() -> None:
    _, plan = plan_for(CLUSTER)
    assert plan.move_label == "canary" and plan.new_revision == "1-22-0"
    assert any("istioctl tag set canary --revision 1-22-0" in c for c in plan.preparation)
    assert "istioctl tag set stable --revision 1-22-0 --overwrite" in plan.finish
    legacy = next(m for w in plan.waves for m in w.moves if m.namespace == "legacy")
    assert legacy.commands[0] == "kubectl label namespace legacy istio-injection- istio.io/rev=canary --overwrite"
    assert "kubectl rollout restart deployment -n legacy billing" in legacy.commands
    quiet = next(m for w in plan.waves for m in w.moves if m.namespace == "quiet")
    assert quiet.current_revision == "1-20-3" and quiet.current_label == "istio.io/rev=stable"


def test_without_tags_namespaces_move_to_the_revision_and_default_tag_follows() -> None:
    text = CLUSTER.replace("istio.io/tag: stable, ", "").replace("istio.io/rev: stable", "istio.io/rev: 1-20-3")
    text = text.replace("name: istio-revision-tag-stable", "name: istio-sidecar-injector-1-20-3")
    _, plan = plan_for(text)
    assert plan.move_label == "1-22-0" and plan.tags == ()
    assert any(c.startswith("istioctl uninstall --revision 1-20-3") for c in plan.finish)
