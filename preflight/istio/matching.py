"""Istio's string match for policy values: ``*`` (any non-empty value), ``*suffix``, ``prefix*``, or exact.

AuthorizationPolicy principals, namespaces, methods and hosts all use it; paths add
templates on top (``preflight.istio.authz``).
"""

from __future__ import annotations


def value_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return bool(value)
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern
