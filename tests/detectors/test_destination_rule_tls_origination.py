import pytest

from preflight.detectors.interface import Hit
from tests.support import run_detector

RULES = """
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: bank-tls, namespace: payments}
spec:
  host: api.bank.example
  trafficPolicy:
    tls: {mode: SIMPLE}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pinned-ca, namespace: payments}
spec:
  host: ledger.example
  trafficPolicy:
    tls: {mode: SIMPLE, caCertificates: /etc/certs/ledger-ca.pem, sni: ledger.example}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: skip-verify, namespace: payments}
spec:
  host: legacy.example
  trafficPolicy:
    tls: {mode: SIMPLE, insecureSkipVerify: true, sni: legacy.example}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: in-mesh, namespace: payments}
spec:
  host: api.payments.svc.cluster.local
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: per-port, namespace: shop}
spec:
  host: partner.example
  trafficPolicy:
    portLevelSettings:
    - port: {number: 8443}
      tls: {mode: MUTUAL, credentialName: partner-client, sni: partner.example}
  subsets:
  - name: eu
    labels: {region: eu}
    trafficPolicy:
      portLevelSettings:
      - port: {number: 443}
        tls: {mode: SIMPLE, sni: eu.partner.example}
"""


def names(hits: list[Hit]) -> list[str]:
    return sorted(h.resource.name for h in hits)


def test_trust_anchor_missing_is_reported_at_every_level() -> None:
    hits = run_detector("destination_rule_tls_origination", RULES, {"missing": "trust_anchor"})
    assert names(hits) == ["bank-tls", "per-port"]
    per_port = next(h for h in hits if h.resource.name == "per-port")
    assert "subsets[eu].trafficPolicy.portLevelSettings[443]" in per_port.message
    assert "portLevelSettings[8443]" not in per_port.message  # has a credentialName


def test_ca_credential_or_skip_verify_is_not_reported() -> None:
    hits = run_detector("destination_rule_tls_origination", RULES, {"missing": "trust_anchor"})
    assert not {"pinned-ca", "skip-verify", "in-mesh"} & set(names(hits))


def test_missing_sni_is_reported_only_where_tls_is_originated_without_sni() -> None:
    hits = run_detector("destination_rule_tls_origination", RULES, {"missing": "sni"})
    assert names(hits) == ["bank-tls"]


def test_unknown_check_is_refused() -> None:
    with pytest.raises(ValueError):
        run_detector("destination_rule_tls_origination", RULES, {"missing": "everything"})


ISTIOD_RULE = """
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
"""


def test_a_rule_on_istiods_host_names_its_callers_not_istiod() -> None:
    (hit,) = run_detector("destination_rule_tls_origination", ISTIOD_RULE, {"missing": "trust_anchor"})
    assert hit.services == ()  # the engine must not scope it to istio-system/istiod
    assert "the proxies of callers of istio-system/istiod originate TLS" in hit.message
    assert hit.details["destination"] == "istio-system/istiod"
