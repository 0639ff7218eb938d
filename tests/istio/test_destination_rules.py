"""DestinationRule client TLS blocks (istio.io DestinationRule ``ClientTLSSettings``)."""

from __future__ import annotations

import pytest

from preflight.istio.destination_rules import TLSBlock, tls_blocks
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
