"""Istio's policy string match (``pilot/pkg/security/authz/matcher`` StringMatcher semantics)."""

from __future__ import annotations

import pytest

from preflight.istio.matching import value_matches


def test_exact_value_matches_only_itself() -> None:
    assert value_matches("GET", "GET")
    assert not value_matches("GET", "GETX")
    assert not value_matches("GET", "get")


def test_lone_star_matches_any_non_empty_value() -> None:
    assert value_matches("*", "anything")
    assert not value_matches("*", "")


def test_leading_star_is_a_suffix_match() -> None:
    assert value_matches("*.example.com", "api.example.com")
    assert value_matches("*/sa/frontend", "cluster.local/ns/shop/sa/frontend")
    assert not value_matches("*.example.com", "example.org")


def test_leading_star_matches_the_bare_suffix_too() -> None:
    # Envoy's suffix matcher has no "at least one character" rule: "*abc" matches "abc".
    assert value_matches("*abc", "abc")


def test_trailing_star_is_a_prefix_match() -> None:
    assert value_matches("/api/*", "/api/v1/users")
    assert value_matches("prod-*", "prod-")
    assert not value_matches("/api/*", "/apiv1")


def test_star_in_the_middle_is_literal() -> None:
    assert value_matches("a*b", "a*b")
    assert not value_matches("a*b", "axb")


@pytest.mark.parametrize(
    ("pattern", "value"), [("*.EXAMPLE.com", "api.example.COM"), ("Api.*", "api.v1"), ("GET", "get")]
)
def test_ignore_case_folds_both_sides(pattern: str, value: str) -> None:
    assert value_matches(pattern, value, ignore_case=True)
    assert not value_matches(pattern, value)


def test_empty_pattern_matches_only_empty_value() -> None:
    assert value_matches("", "")
    assert not value_matches("", "x")
