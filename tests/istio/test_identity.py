"""SPIFFE identities and AuthorizationPolicy principals (istio.io AuthorizationPolicy ``source.principals``)."""

from __future__ import annotations

import pytest

from preflight.istio.identity import (
    Identity,
    normalise_principal,
    parse_identity,
    principal_matches,
    spiffe_id,
)


def test_spiffe_id_has_trust_domain_namespace_and_service_account() -> None:
    assert spiffe_id("cluster.local", "shop", "frontend") == "spiffe://cluster.local/ns/shop/sa/frontend"


def test_principal_is_the_spiffe_id_without_scheme() -> None:
    identity = Identity("corp.example", "shop", "frontend")
    assert identity.principal == "corp.example/ns/shop/sa/frontend"
    assert identity.spiffe_id == "spiffe://" + identity.principal


@pytest.mark.parametrize("text", ["spiffe://cluster.local/ns/shop/sa/api", "cluster.local/ns/shop/sa/api"])
def test_parse_accepts_both_forms(text: str) -> None:
    assert parse_identity(text) == Identity("cluster.local", "shop", "api")


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "unknown",
        "cluster.local/ns/shop",  # too short
        "cluster.local/namespace/shop/sa/api",  # wrong keyword
        "cluster.local/ns/shop/serviceaccount/api",
        "cluster.local/ns//sa/api",  # empty namespace
        "/ns/shop/sa/api",  # empty trust domain
        "cluster.local/ns/shop/sa/api/extra",
        "spiffe://cluster.local/ns/shop/sa/",
    ],
)
def test_parse_rejects_other_shapes(text: str | None) -> None:
    assert parse_identity(text) is None


def test_normalise_turns_istio_shaped_principals_into_spiffe_ids() -> None:
    assert normalise_principal("cluster.local/ns/shop/sa/api") == "spiffe://cluster.local/ns/shop/sa/api"
    assert normalise_principal("spiffe://cluster.local/ns/shop/sa/api") == "spiffe://cluster.local/ns/shop/sa/api"


def test_normalise_keeps_foreign_principals_and_drops_unknown() -> None:
    assert normalise_principal("spiffe://example.org/workload/1") == "spiffe://example.org/workload/1"
    assert normalise_principal("unknown") is None
    assert normalise_principal("") is None
    assert normalise_principal(None) is None


def test_principal_pattern_matches_either_form_of_the_identity() -> None:
    pattern = "cluster.local/ns/shop/sa/frontend"
    assert principal_matches(pattern, "spiffe://cluster.local/ns/shop/sa/frontend")
    assert principal_matches(pattern, "cluster.local/ns/shop/sa/frontend")
    assert principal_matches("spiffe://" + pattern, "cluster.local/ns/shop/sa/frontend")
    assert not principal_matches(pattern, "spiffe://cluster.local/ns/shop/sa/backend")


def test_principal_wildcards_are_prefix_and_suffix_matches() -> None:
    assert principal_matches("*/ns/shop/sa/frontend", "spiffe://corp.example/ns/shop/sa/frontend")
    assert principal_matches("cluster.local/ns/shop/*", "spiffe://cluster.local/ns/shop/sa/anything")
    assert not principal_matches("cluster.local/ns/shop/*", "spiffe://cluster.local/ns/shopping/sa/x")


def test_star_principal_needs_an_identity() -> None:
    assert principal_matches("*", "spiffe://cluster.local/ns/a/sa/b")
    assert not principal_matches("*", "")
