"""AuthorizationPolicy semantics: action, dry-run, and which callers ALLOW rules admit.

* ``spec.action`` defaults to ``ALLOW``; the others are ``DENY``, ``AUDIT`` and ``CUSTOM``.
* Once a workload is selected by at least one ALLOW policy, a request that no ALLOW
  rule matches is denied: the workload relies on that implicit deny. An ALLOW policy
  without ``rules`` matches nothing and so denies everything.
* A rule without ``from`` (or with a ``from`` source that sets no field) admits any
  caller; ``to`` and ``when`` narrow which requests of those callers match: any one of
  the ``to`` operations (each field of one operation must hold), and every ``when``
  condition. A ``to`` operation that sets no field matches every request.
* The annotation ``istio.io/dry-run: "true"`` makes a policy log its decision without
  enforcing it, so it does not decide any request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from preflight.snapshot.interface import K8sObject, list_at

DRY_RUN_ANNOTATION = "istio.io/dry-run"
ANY_CALLER = "any caller"

# Source fields in the order they are described, with the words used for them.
_SOURCE_FIELDS = (
    ("principals", "principal"),
    ("requestPrincipals", "request principal"),
    ("namespaces", "namespace"),
    ("ipBlocks", "ipBlock"),
    ("remoteIpBlocks", "remoteIpBlock"),
    ("notPrincipals", "not principal"),
    ("notRequestPrincipals", "not request principal"),
    ("notNamespaces", "not namespace"),
    ("notIpBlocks", "not ipBlock"),
    ("notRemoteIpBlocks", "not remoteIpBlock"),
)


def policy_action(policy: K8sObject) -> str:
    return str(policy.spec.get("action") or "ALLOW").upper()


def is_dry_run(policy: K8sObject) -> bool:
    return policy.annotations.get(DRY_RUN_ANNOTATION, "").strip().lower() == "true"


def is_enforced_allow(policy: K8sObject) -> bool:
    """An ALLOW policy that decides requests (not in dry-run)."""
    if policy.kind != "AuthorizationPolicy":
        return False
    return policy_action(policy) == "ALLOW" and not is_dry_run(policy)


def allowed_callers(policy: K8sObject) -> tuple[str, ...]:
    """What the policy's rules admit, one per source: the callers, and the requests of theirs when narrowed.

    ``("any caller to ports 8080",)`` for a rule without ``from`` that names ports: never
    plain "any caller" for a rule that admits only some requests. Empty when it admits none.
    """
    described: list[str] = []
    for rule in list_at(policy.spec, "rules"):
        if not isinstance(rule, Mapping):
            continue
        narrowed = _describe_narrowing(rule)
        sources = [s for s in list_at(rule, "from") if isinstance(s, Mapping)]
        callers = [_describe_source(source.get("source")) for source in sources] or [ANY_CALLER]
        described.extend(f"{caller}{narrowed}" for caller in callers)
    return tuple(dict.fromkeys(described))


_OPERATION_FIELDS = (
    ("hosts", "hosts"),
    ("ports", "ports"),
    ("methods", "methods"),
    ("paths", "paths"),
    ("notHosts", "not hosts"),
    ("notPorts", "not ports"),
    ("notMethods", "not methods"),
    ("notPaths", "not paths"),
)


def _describe_narrowing(rule: Mapping[str, Any]) -> str:
    """" to ports 8080 or methods GET when source.ip in 10.0.0.0/8"; empty when the rule admits every request."""
    text = ""
    operations = [entry.get("operation") if isinstance(entry, Mapping) else None for entry in list_at(rule, "to")]
    described = [_describe_operation(operation) for operation in operations]
    if described and all(described):  # one operation that sets nothing matches every request
        text = " to " + " or ".join(dict.fromkeys(described))
    conditions = [_describe_condition(c) for c in list_at(rule, "when") if isinstance(c, Mapping)]
    if conditions:
        text += " when " + " and ".join(conditions)
    return text


def _describe_operation(operation: Any) -> str:
    if not isinstance(operation, Mapping):
        return ""
    parts = []
    for field_name, words in _OPERATION_FIELDS:
        values = [str(v) for v in list_at(operation, field_name)]
        if values:
            parts.append(f"{words} {', '.join(values)}")
    return " and ".join(parts)


def _describe_condition(condition: Mapping[str, Any]) -> str:
    key = str(condition.get("key") or "?")
    values = [str(v) for v in list_at(condition, "values")]
    excluded = [str(v) for v in list_at(condition, "notValues")]
    parts = []
    if values:
        parts.append(f"{key} in {', '.join(values)}")
    if excluded:
        parts.append(f"{key} not in {', '.join(excluded)}")
    return " and ".join(parts) or f"{key} is set"


def _describe_source(source: Any) -> str:
    if not isinstance(source, Mapping):
        return ANY_CALLER
    parts = []
    for field_name, words in _SOURCE_FIELDS:
        values = [str(v) for v in list_at(source, field_name)]
        if values:
            parts.append(f"{words} {', '.join(values)}")
    # Fields within one source must all match, so they are joined with "and".
    return " and ".join(parts) if parts else ANY_CALLER
