"""DestinationRule client TLS blocks (istio.io DestinationRule ``ClientTLSSettings``)."""

from __future__ import annotations

import pytest

from preflight.istio.destination_rules import DestinationRules, TLSBlock, tls_blocks
from tests.support import snapshot_from_yaml


def _blocks(spec: str) -> list[TLSBlock]:
    header = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: payments, namespace: shop}\n"
    body = "".join(f"  {line}\n" for line in spec.strip("\n").splitlines())
    snapshot = snapshot_from_yaml(header + "spec:\n" + body)
    return list(tls_blocks(snapshot.of_kind("DestinationRule")[0]))


def test_every_place_a_tls_block_can_sit_is_found_with_its_location() -> None:
    blocks = _blocks(
        """
host: payments.example.com
trafficPolicy:
  tls: {mode: SIMPLE}
  portLevelSettings:
  - port: {number: 8443}
    tls: {mode: MUTUAL}
subsets:
- name: v2
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
    portLevelSettings:
    - port: {number: 9443}
      tls: {mode: DISABLE}
"""
    )
    assert [(b.where, b.mode) for b in blocks] == [
        ("trafficPolicy", "SIMPLE"),
        ("trafficPolicy.portLevelSettings[8443]", "MUTUAL"),
        ("subsets[v2].trafficPolicy", "ISTIO_MUTUAL"),
        ("subsets[v2].trafficPolicy.portLevelSettings[9443]", "DISABLE"),
    ]


def test_policies_without_tls_yield_no_block() -> None:
    blocks = _blocks(
        """
host: payments
trafficPolicy:
  loadBalancer: {simple: ROUND_ROBIN}
  portLevelSettings:
  - port: {number: 80}
    connectionPool: {tcp: {maxConnections: 10}}
subsets:
- name: v1
  labels: {version: v1}
"""
    )
    assert blocks == []


def test_wrong_types_are_skipped_not_fatal() -> None:
    blocks = _blocks(
        """
host: payments
trafficPolicy:
  tls: "SIMPLE"
  portLevelSettings: ["junk", {port: "8443", tls: {mode: SIMPLE}}]
subsets: ["junk", {trafficPolicy: {tls: {mode: MUTUAL}}}]
"""
    )
    assert [(b.where, b.mode) for b in blocks] == [
        ("trafficPolicy.portLevelSettings[?]", "SIMPLE"),
        ("subsets[?].trafficPolicy", "MUTUAL"),
    ]


@pytest.mark.parametrize(
    ("mode", "user_tls"), [("SIMPLE", True), ("MUTUAL", True), ("ISTIO_MUTUAL", False), ("DISABLE", False)]
)
def test_only_simple_and_mutual_originate_tls_with_user_settings(mode: str, user_tls: bool) -> None:
    assert TLSBlock("trafficPolicy", {"mode": mode}).originates_user_tls is user_tls


def test_a_block_without_mode_is_disable() -> None:
    block = TLSBlock("trafficPolicy", {"sni": "x.example.com"})
    assert block.mode == "DISABLE"
    assert not block.originates_user_tls


@pytest.mark.parametrize(
    ("settings", "anchored"),
    [
        ({"mode": "SIMPLE", "caCertificates": "/etc/certs/ca.pem"}, True),
        ({"mode": "MUTUAL", "credentialName": "client-cred"}, True),
        ({"mode": "SIMPLE"}, False),
        ({"mode": "SIMPLE", "caCertificates": ""}, False),
    ],
)
def test_trust_anchor_is_a_ca_file_or_a_credential(settings: dict[str, str], anchored: bool) -> None:
    assert TLSBlock("trafficPolicy", settings).has_trust_anchor is anchored


@pytest.mark.parametrize(
    ("value", "skips"), [(True, True), ("true", True), (False, False), ("false", False), (None, False)]
)
def test_insecure_skip_verify_as_boolean_or_string(value: object, skips: bool) -> None:
    assert TLSBlock("trafficPolicy", {"mode": "SIMPLE", "insecureSkipVerify": value}).skips_verification is skips


def test_sni_is_read_when_set() -> None:
    assert TLSBlock("p", {"sni": "pay.example.com"}).sni == "pay.example.com"
    assert TLSBlock("p", {"sni": ""}).sni is None
    assert TLSBlock("p", {}).sni is None


# Which DestinationRule a client applies (istiod's push-context lookup) ------------------------------

API_HOST = "api.payments.svc.cluster.local"


def _rule(name: str, namespace: str, host: str, extra: str = "", created: str = "2024-01-01T00:00:00Z") -> str:
    return (
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
        f"metadata: {{name: {name}, namespace: {namespace}, creationTimestamp: '{created}'}}\n"
        f"spec:\n  host: '{host}'\n{extra}---\n"
    )


def _tls(mode: str) -> str:
    return f"  trafficPolicy: {{tls: {{mode: {mode}}}}}\n"


def _rules(*docs: str, default_export_to: tuple[str, ...] = ()) -> DestinationRules:
    snapshot = snapshot_from_yaml("".join(docs))
    return DestinationRules(snapshot.of_kind("DestinationRule"), "istio-system", default_export_to)


def _mode(rules: DestinationRules, client: str, port: int | None = None, labels: dict[str, str] | None = None) -> str:
    tls = rules.client_tls(client, API_HOST, "payments", port, labels)
    return f"{tls.rule_name} {tls.mode}" if tls else "auto"


def test_a_rule_in_the_callers_namespace_wins_over_the_hosts_and_the_roots() -> None:
    rules = _rules(
        _rule("mine", "shop", API_HOST, _tls("DISABLE")),
        _rule("owner", "payments", "api", _tls("ISTIO_MUTUAL")),
        _rule("mesh", "istio-system", "*.local", _tls("SIMPLE")),
    )
    assert _mode(rules, "shop") == "shop/mine DISABLE"
    assert _mode(rules, "billing") == "payments/owner ISTIO_MUTUAL"


def test_the_root_namespace_rule_applies_when_neither_namespace_has_one() -> None:
    rules = _rules(_rule("mesh", "istio-system", "*.local", _tls("DISABLE")))
    assert _mode(rules, "shop") == "istio-system/mesh DISABLE"


def test_the_most_specific_host_wins_within_a_namespace() -> None:
    rules = _rules(
        _rule("wide", "shop", "*.svc.cluster.local", _tls("DISABLE"), created="2020-01-01T00:00:00Z"),
        _rule("narrow", "shop", "*.payments.svc.cluster.local", _tls("SIMPLE")),
    )
    assert _mode(rules, "shop") == "shop/narrow SIMPLE"


def test_a_rule_exported_only_to_its_namespace_is_not_seen_by_other_callers() -> None:
    private = "  exportTo: ['.']\n" + _tls("DISABLE")
    rules = _rules(_rule("owner", "payments", "api", private))
    assert _mode(rules, "shop") == "auto"
    assert _mode(rules, "payments") == "payments/owner DISABLE"


def test_a_rule_exported_to_named_namespaces_reaches_only_those() -> None:
    named = "  exportTo: [shop]\n" + _tls("DISABLE")
    rules = _rules(_rule("owner", "payments", "api", named))
    assert _mode(rules, "shop") == "payments/owner DISABLE"
    assert _mode(rules, "billing") == "auto"


def test_default_export_to_dot_makes_rules_without_export_to_private() -> None:
    rules = _rules(_rule("owner", "payments", "api", _tls("DISABLE")), default_export_to=(".",))
    assert _mode(rules, "shop") == "auto"


def test_the_first_namespace_with_a_matching_host_decides_even_without_tls() -> None:
    # The caller's own rule for the host has no TLS block: auto mTLS, not the owner's DISABLE.
    rules = _rules(
        _rule("mine", "shop", API_HOST, "  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n"),
        _rule("owner", "payments", "api", _tls("DISABLE")),
    )
    assert _mode(rules, "shop") == "auto"


def test_port_level_tls_replaces_the_rules_tls_for_that_port() -> None:
    extra = (
        "  trafficPolicy:\n    tls: {mode: ISTIO_MUTUAL}\n"
        "    portLevelSettings: [{port: {number: 9000}, tls: {mode: DISABLE}}]\n"
    )
    rules = _rules(_rule("owner", "payments", "api", extra))
    assert _mode(rules, "shop", 9000) == "payments/owner DISABLE"
    assert _mode(rules, "shop", 80) == "payments/owner ISTIO_MUTUAL"


def test_merged_rules_for_one_host_take_the_oldest_traffic_policy() -> None:
    rules = _rules(
        _rule("newer", "payments", "api", _tls("DISABLE"), created="2024-06-01T00:00:00Z"),
        _rule("older", "payments", "api", _tls("SIMPLE"), created="2023-01-01T00:00:00Z"),
    )
    assert _mode(rules, "shop") == "payments/older SIMPLE"


def test_a_workload_selector_rule_applies_only_to_the_selected_callers_of_its_namespace() -> None:
    selected = "  workloadSelector: {matchLabels: {app: web}}\n" + _tls("DISABLE")
    rules = _rules(_rule("web-only", "shop", API_HOST, selected), _rule("all", "shop", API_HOST, _tls("SIMPLE")))
    assert _mode(rules, "shop", labels={"app": "web"}) == "shop/web-only DISABLE"
    assert _mode(rules, "shop", labels={"app": "cart"}) == "shop/all SIMPLE"
    assert _mode(rules, "shop") == "shop/all SIMPLE"  # labels unknown: the rule without selector
    assert _mode(rules, "billing") == "auto"  # selector rules are never exported
