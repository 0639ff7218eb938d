"""AuthorizationPolicy evaluation: the decision Istio's proxies take for one request.

How a request is decided at the workload that receives it (sidecar, gateway, waypoint)
or its node's ztunnel:

* Order: ``CUSTOM`` policies first (a match hands the request to the external
  authorizer, whose answer a snapshot cannot know), then ``DENY`` (any match denies),
  then ``ALLOW``: when at least one ALLOW policy applies to the workload the request is
  allowed only if one of them matches, otherwise it is denied (the implicit deny).
  With no ALLOW policy the request is allowed.
* ``AUDIT`` policies only log: they never change the decision. Policies annotated
  ``istio.io/dry-run: "true"`` are evaluated and reported, but do not decide.
* A policy without ``rules`` matches nothing (an ALLOW policy without rules therefore
  denies everything); a rule ``{}`` matches everything.
* A rule matches when one of its ``from`` sources, one of its ``to`` operations and all
  of its ``when`` conditions match (a missing list matches anything). Inside one
  source or operation every field set must match; a field matches when one of its
  values does; a ``not*`` field matches when none of its values does.
* Values: ``*`` alone requires a non-empty value, ``*x`` is a suffix, ``x*`` a prefix.
  Paths also accept templates: ``{*}`` is one path segment, ``{**}`` the rest of the
  path. Hosts compare without case. ``principals`` and ``source.principal`` are the
  caller's mTLS identity (``<trust-domain>/ns/<ns>/sa/<sa>``), ``namespaces`` and
  ``source.namespace`` the namespace in that identity: a plaintext caller has neither,
  so it never matches them (and always matches their ``not*`` forms).
* HTTP-only fields (``hosts``, ``methods``, ``paths``, ``requestPrincipals``, ``when``
  keys under ``request.``) cannot be evaluated on TCP traffic: a rule of an ALLOW
  policy using one never matches TCP traffic; DENY, AUDIT and CUSTOM rules drop those
  fields and keep the rest, so they deny more.
* ztunnel (ambient mode without a waypoint) enforces only L4 attributes (peer identity,
  namespace, ipBlocks, ports, and the ``source.ip``/``source.namespace``/
  ``source.principal``/``destination.ip``/``destination.port`` conditions). An ALLOW rule
  with any other attribute never matches; a DENY rule drops those attributes. ztunnel
  ignores CUSTOM and AUDIT policies.
* Whatever the traffic data cannot say (source IPs, headers, JWT claims, the Host a
  caller sent, an unknown identity) makes a match ``unknown``; a decision that depends
  on it is ``unknown``, never a guess.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import cached_property, lru_cache
from typing import Any

from preflight.istio.authorization import is_dry_run, policy_action
from preflight.istio.control_plane import ControlPlane
from preflight.istio.identity import parse_identity, principal_matches
from preflight.istio.matching import value_matches
from preflight.istio.scoping import GATEWAY_NAME_LABEL, Scope
from preflight.snapshot.interface import K8sObject, ObjectRef, ServiceRef, SourceRef, Workload, list_at
from preflight.snapshot.model import Snapshot


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class Match(Enum):
    """Three-valued match: unknown stays unknown unless another part settles the answer."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Enforcer(StrEnum):
    SIDECAR = "sidecar"  # an Envoy sidecar or gateway in front of the workload
    WAYPOINT = "waypoint"  # an ambient waypoint proxy (full HTTP attributes)
    ZTUNNEL = "ztunnel"  # the node proxy of ambient mode (L4 attributes only)

    def __str__(self) -> str:
        return self.value


def all_of(matches: Iterable[Match]) -> Match:
    result = Match.YES
    for match in matches:
        if match is Match.NO:
            return Match.NO
        if match is Match.UNKNOWN:
            result = Match.UNKNOWN
    return result


def any_of(matches: Iterable[Match]) -> Match:
    result = Match.NO
    for match in matches:
        if match is Match.YES:
            return Match.YES
        if match is Match.UNKNOWN:
            result = Match.UNKNOWN
    return result


@dataclass(frozen=True)
class Request:
    """What reaches the enforcing proxy, as far as traffic data tells.

    ``mtls``: True when the caller connected with Istio mutual TLS, False for plaintext,
    None when that is not known. ``principal`` is the caller's identity when ``mtls`` is
    True and the identity is known. ``port`` is the port the workload receives on.
    ``host``/``method``/``path`` are None when the data does not carry them.
    """

    http: bool
    mtls: bool | None
    principal: str | None = None
    port: int | None = None
    host: str | None = None
    method: str | None = None
    path: str | None = None
    enforcer: Enforcer = Enforcer.SIDECAR


@dataclass(frozen=True)
class Policy:
    ref: ObjectRef
    action: str  # ALLOW, DENY, AUDIT or CUSTOM
    rules: tuple[Any, ...]
    dry_run: bool
    provider: str | None
    source: SourceRef | None

    @property
    def name(self) -> str:
        return f"{self.ref.namespace}/{self.ref.name}"

    @classmethod
    def from_object(cls, obj: K8sObject) -> Policy:
        provider = obj.spec.get("provider")
        provider_name = None
        if isinstance(provider, Mapping) and provider.get("name"):
            provider_name = str(provider["name"])
        return cls(
            ref=obj.ref,
            action=policy_action(obj),
            rules=tuple(list_at(obj.spec, "rules")),
            dry_run=is_dry_run(obj),
            provider=provider_name,
            source=obj.source,
        )


@dataclass(frozen=True)
class PolicyMatch:
    policy: Policy
    match: Match
    rule: int | None  # the first matching rule (or the first that may match when unknown)
    reasons: tuple[str, ...]  # why rules did not match, or what is unknown


@dataclass(frozen=True)
class AuthzDecision:
    decision: Decision
    policy: ObjectRef | None = None  # the deciding policy; None for a default or implicit decision
    rule: int | None = None
    reasons: tuple[str, ...] = ()
    dry_run: tuple[str, ...] = ()  # what dry-run policies would have done

    @property
    def policy_name(self) -> str | None:
        return f"{self.policy.namespace}/{self.policy.name}" if self.policy else None


# Fields that need HTTP attributes, per enforcing proxy on traffic without them.
_HTTP_SOURCE_FIELDS = frozenset({"requestPrincipals", "notRequestPrincipals"})
_HTTP_OPERATION_FIELDS = frozenset({"hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"})
_ZTUNNEL_EXTRA_SOURCE_FIELDS = frozenset({"remoteIpBlocks", "notRemoteIpBlocks"})
_ZTUNNEL_WHEN_KEYS = frozenset(
    {"source.ip", "source.namespace", "source.principal", "destination.ip", "destination.port"}
)


def _is_l7_only(section: str, key: str, request: Request) -> bool:
    """Is this field or ``when`` key beyond what the enforcing proxy can see for this request?"""
    if request.enforcer is Enforcer.ZTUNNEL:
        if section == "source":
            return key in _HTTP_SOURCE_FIELDS or key in _ZTUNNEL_EXTRA_SOURCE_FIELDS
        if section == "operation":
            return key in _HTTP_OPERATION_FIELDS
        return key not in _ZTUNNEL_WHEN_KEYS
    if request.http:
        return False
    if section == "source":
        return key in _HTTP_SOURCE_FIELDS
    if section == "operation":
        return key in _HTTP_OPERATION_FIELDS
    return key.startswith("request.")


@lru_cache(maxsize=4096)
def _path_template(pattern: str) -> re.Pattern[str]:
    parts = []
    for piece in re.split(r"(\{\*\*\}|\{\*\})", pattern):
        if piece == "{**}":
            parts.append(".*")
        elif piece == "{*}":
            parts.append("[^/]+")
        else:
            parts.append(re.escape(piece))
    return re.compile("^" + "".join(parts) + "$")


def path_matches(pattern: str, path: str) -> bool:
    """An AuthorizationPolicy ``paths`` value against a request path (query string ignored)."""
    path = path.split("?", 1)[0]
    if "{*" in pattern:
        return bool(_path_template(pattern).match(path))
    return value_matches(pattern, path)


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _ports(values: list[str]) -> set[int]:
    found = set()
    for value in values:
        try:
            found.add(int(value))
        except ValueError:
            continue
    return found


class _Field:
    """Evaluates one attribute of the request against a list of values."""

    def __init__(self, request: Request) -> None:
        self.request = request

    def principal(self, values: list[str]) -> tuple[Match, str]:
        request = self.request
        if request.mtls is False:
            return Match.NO, "caller reaches the workload without mTLS: no principal"
        if request.mtls is None or request.principal is None:
            return Match.UNKNOWN, "caller identity is unknown"
        if any(principal_matches(v, request.principal) for v in values):
            return Match.YES, ""
        return Match.NO, f"requires principal {', '.join(values)}; caller is {request.principal}"

    def namespace(self, values: list[str]) -> tuple[Match, str]:
        request = self.request
        if request.mtls is False:
            return Match.NO, "caller reaches the workload without mTLS: no namespace identity"
        identity = parse_identity(request.principal)
        if request.mtls is None or request.principal is None:
            return Match.UNKNOWN, "caller identity is unknown"
        namespace = identity.namespace if identity else ""
        if any(value_matches(v, namespace) for v in values):
            return Match.YES, ""
        return Match.NO, f"requires namespace {', '.join(values)}; caller is in {namespace or 'no namespace'}"

    def port(self, values: list[str]) -> tuple[Match, str]:
        if self.request.port is None:
            return Match.UNKNOWN, "destination port is unknown"
        if self.request.port in _ports(values):
            return Match.YES, ""
        return Match.NO, f"requires port {', '.join(values)}; request is on {self.request.port}"

    def method(self, values: list[str]) -> tuple[Match, str]:
        if self.request.method is None:
            return Match.UNKNOWN, "request method is not in the traffic data"
        if any(value_matches(v, self.request.method) for v in values):
            return Match.YES, ""
        return Match.NO, f"requires method {', '.join(values)}; request is {self.request.method}"

    def path(self, values: list[str]) -> tuple[Match, str]:
        if self.request.path is None:
            return Match.UNKNOWN, "request path is not in the traffic data"
        if any(path_matches(v, self.request.path) for v in values):
            return Match.YES, ""
        return Match.NO, f"requires path {', '.join(values)}; request is {self.request.path}"

    def host(self, values: list[str]) -> tuple[Match, str]:
        if self.request.host is None:
            return Match.UNKNOWN, "the Host the caller sends is not in the traffic data"
        if any(value_matches(v, self.request.host, ignore_case=True) for v in values):
            return Match.YES, ""
        return Match.NO, f"requires host {', '.join(values)}; request is for {self.request.host}"

    @staticmethod
    def unknowable(what: str) -> tuple[Match, str]:
        return Match.UNKNOWN, f"{what} cannot be evaluated from traffic data"


def _negate(result: tuple[Match, str], field: str, values: list[str]) -> tuple[Match, str]:
    match, _ = result
    if match is Match.YES:
        return Match.NO, f"excludes {field} {', '.join(values)}"
    if match is Match.NO:
        return Match.YES, ""
    return result


def _check(evaluator: _Field, key: str, values: list[str]) -> tuple[Match, str]:
    """One source/operation field; ``not*`` fields are the negation of their positive form."""
    negated = key.startswith("not")
    positive = key[3].lower() + key[4:] if negated else key
    checks = {
        "principals": evaluator.principal,
        "namespaces": evaluator.namespace,
        "ports": evaluator.port,
        "methods": evaluator.method,
        "paths": evaluator.path,
        "hosts": evaluator.host,
    }
    check = checks.get(positive)
    if check is not None:
        result = check(values)
    elif positive in ("ipBlocks", "remoteIpBlocks", "requestPrincipals"):
        result = evaluator.unknowable(positive)
    else:
        result = evaluator.unknowable(f"field {key}")
    return _negate(result, positive, values) if negated else result


def _condition(evaluator: _Field, condition: Mapping[str, Any]) -> tuple[Match, str]:
    key = str(condition.get("key", ""))
    values, not_values = _strings(condition.get("values")), _strings(condition.get("notValues"))
    checks = {
        "source.principal": evaluator.principal,
        "source.namespace": evaluator.namespace,
        "destination.port": evaluator.port,
    }
    check = checks.get(key)
    if check is None:
        return evaluator.unknowable(f"condition {key}")
    results = []
    if values:
        results.append(check(values))
    if not_values:
        results.append(_negate(check(not_values), key, not_values))
    return _combine_all(results)


def _combine_all(results: Sequence[tuple[Match, str]]) -> tuple[Match, str]:
    match = all_of(r[0] for r in results)
    if match is Match.YES:
        return match, ""
    wanted = Match.NO if match is Match.NO else Match.UNKNOWN
    return match, "; ".join(r[1] for r in results if r[0] is wanted and r[1])


def _combine_any(results: Sequence[tuple[Match, str]]) -> tuple[Match, str]:
    if not results:
        return Match.YES, ""
    match = any_of(r[0] for r in results)
    if match is Match.YES:
        return match, ""
    return match, " or ".join(dict.fromkeys(r[1] for r in results if r[1]))


def _clause(evaluator: _Field, section: str, body: Any, action: str) -> tuple[Match, str] | None:
    """One ``from.source`` or ``to.operation``; ``None`` when an ALLOW rule cannot match (L7 on L4)."""
    checks = []
    fields = body if isinstance(body, Mapping) else {}
    for key, raw in fields.items():
        values = _strings(raw)
        if not values:
            continue
        if _is_l7_only(section, str(key), evaluator.request):
            if action == "ALLOW":
                return None
            continue  # dropped: the rule matches more
        checks.append(_check(evaluator, str(key), values))
    return _combine_all(checks)


def rule_match(rule: Any, action: str, request: Request) -> tuple[Match, str]:
    """Does one rule match the request? With the reason it does not (or may not)."""
    if not isinstance(rule, Mapping):
        return Match.NO, "rule is not a mapping"
    evaluator = _Field(request)
    parts: list[tuple[Match, str]] = []
    for section, list_key, inner in (("source", "from", "source"), ("operation", "to", "operation")):
        entries = [e for e in list_at(rule, list_key) if isinstance(e, Mapping)]
        if not entries:
            continue
        options = []
        for entry in entries:
            result = _clause(evaluator, section, entry.get(inner), action)
            if result is None:
                return Match.NO, _l7_reason(request)
            options.append(result)
        parts.append(_combine_any(options))
    for condition in list_at(rule, "when"):
        if not isinstance(condition, Mapping):
            continue
        key = str(condition.get("key", ""))
        if _is_l7_only("when", key, request):
            if action == "ALLOW":
                return Match.NO, _l7_reason(request)
            continue
        parts.append(_condition(evaluator, condition))
    return _combine_all(parts)


def _l7_reason(request: Request) -> str:
    if request.enforcer is Enforcer.ZTUNNEL:
        return "uses L7 attributes that ztunnel cannot enforce, so this ALLOW rule never matches"
    return "uses HTTP-only fields, so this ALLOW rule never matches TCP traffic"


def policy_match(policy: Policy, request: Request) -> PolicyMatch:
    if not policy.rules:
        return PolicyMatch(policy, Match.NO, None, ("has no rules: matches nothing",))
    reasons: list[str] = []
    maybe: int | None = None
    for index, rule in enumerate(policy.rules):
        match, reason = rule_match(rule, policy.action, request)
        if match is Match.YES:
            return PolicyMatch(policy, Match.YES, index, ())
        if match is Match.UNKNOWN and maybe is None:
            maybe = index
        if reason:
            reasons.append(f"rule {index} {reason}" if not reason.startswith("rule") else reason)
    return PolicyMatch(policy, Match.UNKNOWN if maybe is not None else Match.NO, maybe, tuple(reasons))


def _label(match: PolicyMatch) -> str:
    rule = f" rule {match.rule}" if match.rule is not None else ""
    return f"{match.policy.action} policy {match.policy.name}{rule}"


def evaluate(policies: Sequence[Policy], request: Request) -> AuthzDecision:
    """The decision for one request at a workload to which ``policies`` apply."""
    enforced = [p for p in policies if not p.dry_run]
    if request.enforcer is Enforcer.ZTUNNEL:
        enforced = [p for p in enforced if p.action in ("ALLOW", "DENY")]
    dry_run = tuple(_dry_run_notes([p for p in policies if p.dry_run], request))
    allow = _allow_layer([p for p in enforced if p.action == "ALLOW"], request)
    rest = _deny_layer([p for p in enforced if p.action == "DENY"], request, allow)
    decided = _custom_layer([p for p in enforced if p.action == "CUSTOM"], request, rest)
    return AuthzDecision(decided.decision, decided.policy, decided.rule, decided.reasons, dry_run)


def _allow_layer(policies: list[Policy], request: Request) -> AuthzDecision:
    if not policies:
        return AuthzDecision(Decision.ALLOW, reasons=("no ALLOW policy applies: allowed by default",))
    matches = [policy_match(p, request) for p in policies]
    found = next((m for m in matches if m.match is Match.YES), None)
    if found is not None:
        return AuthzDecision(Decision.ALLOW, found.policy.ref, found.rule, (f"{_label(found)} matches",))
    why = tuple(f"ALLOW policy {m.policy.name} {'; '.join(m.reasons)}" for m in matches)
    maybe = [m for m in matches if m.match is Match.UNKNOWN]
    if maybe:
        return AuthzDecision(Decision.UNKNOWN, maybe[0].policy.ref, maybe[0].rule, why)
    names = ", ".join(p.name for p in policies)
    implicit = f"no ALLOW policy matches ({names}): implicit deny"
    return AuthzDecision(Decision.DENY, None, None, (implicit, *why))


def _deny_layer(policies: list[Policy], request: Request, allow: AuthzDecision) -> AuthzDecision:
    matches = [policy_match(p, request) for p in policies]
    found = next((m for m in matches if m.match is Match.YES), None)
    if found is not None:
        return AuthzDecision(Decision.DENY, found.policy.ref, found.rule, (f"{_label(found)} matches",))
    maybe = [m for m in matches if m.match is Match.UNKNOWN]
    if not maybe or allow.decision is Decision.DENY:
        return allow
    why = tuple(f"DENY policy {m.policy.name} may match: {'; '.join(m.reasons)}" for m in maybe)
    return AuthzDecision(Decision.UNKNOWN, maybe[0].policy.ref, maybe[0].rule, (*why, *allow.reasons))


def _custom_layer(policies: list[Policy], request: Request, rest: AuthzDecision) -> AuthzDecision:
    matches = [policy_match(p, request) for p in policies]
    involved = [m for m in matches if m.match is not Match.NO]
    if not involved or rest.decision is Decision.DENY:
        return rest
    first = involved[0]
    provider = first.policy.provider or "an external authorizer"
    verb = "matches" if first.match is Match.YES else "may match"
    reason = f"CUSTOM policy {first.policy.name} {verb}: {provider} decides, which a snapshot cannot know"
    return AuthzDecision(Decision.UNKNOWN, first.policy.ref, first.rule, (reason, *rest.reasons))


def _dry_run_notes(policies: list[Policy], request: Request) -> Iterable[str]:
    for policy in policies:
        match = policy_match(policy, request)
        if match.match is Match.YES:
            yield f"dry-run {_label(match)} would match (not enforced)"
        elif match.match is Match.UNKNOWN:
            yield f"dry-run {_label(match)} may match (not enforced)"


_Policies = tuple[Policy, ...]


class AuthorizationPolicies:
    """The AuthorizationPolicies of a snapshot, indexed once by the workloads they apply to.

    Selector, namespace and root-namespace scope come from ``preflight.istio.scoping``.
    A ``targetRef(s)`` to a Gateway applies to that gateway's pods; one to a Service
    applies at the service's waypoint (ambient mode), never to sidecars.
    """

    def __init__(self, snapshot: Snapshot, control_plane: ControlPlane, scope: Scope | None = None) -> None:
        self.snapshot = snapshot
        self.scope = scope or Scope(snapshot, control_plane)

    @cached_property
    def _indexes(self) -> tuple[Mapping[ObjectRef, _Policies], Mapping[ServiceRef, _Policies]]:
        by_workload: dict[ObjectRef, list[Policy]] = defaultdict(list)
        by_service: dict[ServiceRef, list[Policy]] = defaultdict(list)
        for obj in self.snapshot.of_kind("AuthorizationPolicy"):
            policy = Policy.from_object(obj)
            targets = _target_refs(obj)
            if not targets:
                for workload in self.scope.workloads_for(obj):
                    by_workload[workload.ref].append(policy)
                continue
            for target in targets:
                kind, name = str(target.get("kind", "")), str(target.get("name", ""))
                namespace = str(target.get("namespace") or obj.namespace)
                if kind == "Gateway":
                    for workload in self.snapshot.workloads_in(namespace, {GATEWAY_NAME_LABEL: name}):
                        by_workload[workload.ref].append(policy)
                elif kind == "Service":
                    by_service[ServiceRef(namespace, name)].append(policy)
        return (
            {ref: tuple(sorted(items, key=lambda p: p.ref)) for ref, items in by_workload.items()},
            {ref: tuple(sorted(items, key=lambda p: p.ref)) for ref, items in by_service.items()},
        )

    def for_workload(self, workload: Workload) -> tuple[Policy, ...]:
        """Policies its sidecar, gateway or ztunnel enforces (selector, namespace, root, Gateway)."""
        return self._indexes[0].get(workload.ref, ())

    def for_service(self, service: ServiceRef) -> tuple[Policy, ...]:
        """Policies attached to a Service with ``targetRef(s)``: enforced by its waypoint."""
        return self._indexes[1].get(service, ())


def _target_refs(obj: K8sObject) -> list[Mapping[str, Any]]:
    refs = [t for t in list_at(obj.spec, "targetRefs") if isinstance(t, Mapping)]
    single = obj.spec.get("targetRef")
    if isinstance(single, Mapping):
        refs.append(single)
    return refs
