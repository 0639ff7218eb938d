"""A change that happens at the caller's proxy names the callers, once per fact.

A DestinationRule is client-side configuration: when 1.21 makes sidecars verify the
certificate of a TLS origination without a CA, the callers of the rule's host fail, not the
host. The simulated calls through the rule join the rule's finding instead of repeating it
as findings of their own (with a pseudo resource for hosts the snapshot does not define).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

VERIFY = "1.21-verify-certificate-at-client"

CLUSTER = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    metadata: {labels: {app: istiod}}
    spec: {containers: [{name: discovery, image: docker.io/istio/pilot:1.20.3}]}
---
apiVersion: v1
kind: Service
metadata: {name: istiod, namespace: istio-system}
spec: {selector: {app: istiod}, ports: [{name: grpc-xds, port: 15012}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: istiod-tls, namespace: istio-system}
spec:
  host: istiod.istio-system.svc.cluster.local
  trafficPolicy: {tls: {mode: SIMPLE}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: partner-tls, namespace: shop}
spec:
  host: api.partner.example
  trafficPolicy: {tls: {mode: SIMPLE}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web, containers: [{name: web}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80}]}
"""

TRAFFIC = """\
source,destination,port,protocol,requests
shop/web,istio-system/istiod,15012,grpc,10
shop/web,api.partner.example,443,tls,7
"""


def check(tmp_path: Path) -> Report:
    traffic = tmp_path / "traffic.csv"
    traffic.write_text(TRAFFIC)
    options = CheckOptions(target=parse_version("1.21.0"), timestamp=False, kubernetes_version="1.28",
                           report_date=date(2024, 3, 1))
    return run_check(snapshot_from_yaml(CLUSTER), load_knowledge_base(), options, load_traffic([str(traffic)]))


def test_rule_on_istiods_host_is_one_finding_naming_istiods_callers(tmp_path: Path) -> None:
    report = check(tmp_path)
    verify = [f for f in report.findings if f.change == VERIFY]
    assert sorted(f.resource.name for f in verify) == ["istiod-tls", "partner-tls"]  # one per rule, no edge copies
    istiod = next(f for f in verify if f.resource.name == "istiod-tls")
    assert [str(s) for s in istiod.services] == ["shop/web"]  # the caller, never istio-system/istiod
    assert "callers of istio-system/istiod" in istiod.message
    assert "1 simulated call(s) through it change: shop/web → istio-system/istiod:15012" in istiod.message
    assert all("istio-system/istiod" not in str(s) for f in report.findings for s in f.services)


def test_no_finding_is_a_pseudo_edge(tmp_path: Path) -> None:
    report = check(tmp_path)
    ids = [f.id for f in report.findings]
    assert not [i for i in ids if ":Edge/" in i or "//" in i], ids
    partner = next(f for f in report.findings if f.change == VERIFY and f.resource.name == "partner-tls")
    assert "shop/web → api.partner.example:443" in partner.message
    assert report.simulation is not None
    (edge,) = [o for o in report.simulation.outcomes if o.edge.destination.host == "api.partner.example"]
    assert edge.change == VERIFY and edge.after.policy == "shop/partner-tls"
