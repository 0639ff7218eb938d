"""AuthorizationPolicy semantics: action, dry-run, and which callers ALLOW rules admit.

* ``spec.action`` defaults to ``ALLOW``; the others are ``DENY``, ``AUDIT`` and ``CUSTOM``.
* Once a workload is selected by at least one ALLOW policy, a request that no ALLOW
  rule matches is denied: the workload relies on that implicit deny. An ALLOW policy
  without ``rules`` matches nothing and so denies everything.
* A rule without ``from`` (or with a ``from`` source that sets no field) admits any
  caller; ``to`` and ``when`` only narrow which requests of those callers match.
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
    """The callers the policy's rules admit, described one per source; empty when it admits none."""
    described: list[str] = []
    for rule in list_at(policy.spec, "rules"):
        if not isinstance(rule, Mapping):
            continue
        sources = [s for s in list_at(rule, "from") if isinstance(s, Mapping)]
        if not sources:
            described.append(ANY_CALLER)
            continue
        for source in sources:
            described.append(_describe_source(source.get("source")))
    return tuple(dict.fromkeys(described))


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
