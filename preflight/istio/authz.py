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
* A CUSTOM policy whose provider is an HTTP ext_authz service
  (``meshConfig.extensionProviders[].envoyExtAuthzHttp``) is not applied to TCP traffic
  at all; a gRPC provider's is, with the HTTP-only fields dropped.
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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

from preflight.istio.authorization import is_dry_run, policy_action
from preflight.istio.control_plane import ControlPlane
from preflight.istio.identity import PrincipalPatterns, parse_identity
from preflight.istio.injection import mesh_membership
from preflight.istio.matching import ValuePatterns, value_matches
from preflight.istio.scoping import GATEWAY_NAME_LABEL, Scope, is_gateway_target, target_refs
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Policy:
    ref: ObjectRef
    action: str  # ALLOW, DENY, AUDIT or CUSTOM
    rules: tuple[Any, ...]
    dry_run: bool
    provider: str | None
    source: SourceRef | None
    # How the CUSTOM provider is reached ("http" or "grpc", from meshConfig.extensionProviders);
    # None when not CUSTOM or not known.
    provider_protocol: str | None = None

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


@dataclass(frozen=True, slots=True)
class PolicyMatch:
    policy: Policy
    match: Match
    rule: int | None  # the first matching rule (or the first that may match when unknown)
    reasons: tuple[str, ...]  # why rules did not match, or what is unknown; for a match, what its proxy ignored


@dataclass(frozen=True, slots=True)
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


def _is_l7_only(section: str, key: str, http: bool, enforcer: Enforcer) -> bool:
    """Is this field or ``when`` key beyond what the enforcing proxy can see for this kind of request?"""
    if enforcer is Enforcer.ZTUNNEL:
        if section == "source":
            return key in _HTTP_SOURCE_FIELDS or key in _ZTUNNEL_EXTRA_SOURCE_FIELDS
        if section == "operation":
            return key in _HTTP_OPERATION_FIELDS
        return key not in _ZTUNNEL_WHEN_KEYS
    if http:
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


def _ports(values: Iterable[str]) -> frozenset[int]:
    found = set()
    for value in values:
        try:
            found.add(int(value))
        except ValueError:
            continue
    return frozenset(found)


# Policies are compiled once per kind of request (HTTP or not, enforcing proxy): which
# fields count, which are dropped, which make an ALLOW rule unmatchable is settled there,
# so a request only runs the value comparisons. A compiled policy also knows which request
# attributes it reads, so its answers are memoised on those alone (a namespace-wide
# ``paths`` rule is decided once per path, whoever calls).

_Answer = tuple[Match, str]
_YES: _Answer = (Match.YES, "")
_IDENTITY_UNKNOWN: _Answer = (Match.UNKNOWN, "caller identity is unknown")
_IDENTITY_READS = ("mtls", "principal")


class _View(NamedTuple):
    """What decides how rules compile: HTTP attributes present, and the proxy that enforces."""

    http: bool
    enforcer: Enforcer


_NO_VALUES = ValuePatterns(())


@dataclass(frozen=True, slots=True)
class _Check:
    """One field or condition against its values; ``negated`` for ``not*`` fields and ``notValues``."""

    kind: str  # principal, namespace, port, method, path, host, or unknowable
    answerer: Callable[[_Check, Request], _Answer]  # the function of that kind
    values: tuple[str, ...]
    joined: str  # the values as the reasons quote them
    negated: bool = False
    label: str = ""  # the field a negation names
    ports: frozenset[int] = frozenset()
    unknowable: str = ""  # the reason, for fields traffic data cannot evaluate
    identities: PrincipalPatterns | ValuePatterns = _NO_VALUES  # principal and namespace values, compiled

    @property
    def reads(self) -> tuple[str, ...]:
        if self.kind in ("principal", "namespace"):
            return _IDENTITY_READS
        return () if self.kind == "unknowable" else (self.kind,)

    def answer(self, request: Request) -> _Answer:
        result = self.answerer(self, request)
        if not self.negated:
            return result
        if result[0] is Match.YES:
            return Match.NO, f"excludes {self.label} {self.joined}"
        if result[0] is Match.NO:
            return _YES
        return result


def _principal(check: _Check, request: Request) -> _Answer:
    if request.mtls is False:
        return Match.NO, "caller reaches the workload without mTLS: no principal"
    if request.mtls is None or request.principal is None:
        return _IDENTITY_UNKNOWN
    if check.identities.matches(request.principal):
        return _YES
    return Match.NO, f"requires principal {check.joined}; caller is {request.principal}"


def _namespace(check: _Check, request: Request) -> _Answer:
    if request.mtls is False:
        return Match.NO, "caller reaches the workload without mTLS: no namespace identity"
    if request.mtls is None or request.principal is None:
        return _IDENTITY_UNKNOWN
    identity = parse_identity(request.principal)
    namespace = identity.namespace if identity else ""
    if check.identities.matches(namespace):
        return _YES
    return Match.NO, f"requires namespace {check.joined}; caller is in {namespace or 'no namespace'}"


def _port(check: _Check, request: Request) -> _Answer:
    if request.port is None:
        return Match.UNKNOWN, "destination port is unknown"
    if request.port in check.ports:
        return _YES
    return Match.NO, f"requires port {check.joined}; request is on {request.port}"


def _method(check: _Check, request: Request) -> _Answer:
    if request.method is None:
        return Match.UNKNOWN, "request method is not in the traffic data"
    if any(value_matches(v, request.method) for v in check.values):
        return _YES
    return Match.NO, f"requires method {check.joined}; request is {request.method}"


def _path(check: _Check, request: Request) -> _Answer:
    if request.path is None:
        return Match.UNKNOWN, "request path is not in the traffic data"
    if any(path_matches(v, request.path) for v in check.values):
        return _YES
    return Match.NO, f"requires path {check.joined}; request is {request.path}"


def _host(check: _Check, request: Request) -> _Answer:
    if request.host is None:
        return Match.UNKNOWN, "the Host the caller sends is not in the traffic data"
    if any(value_matches(v, request.host, ignore_case=True) for v in check.values):
        return _YES
    return Match.NO, f"requires host {check.joined}; request is for {request.host}"


def _unknowable(check: _Check, request: Request) -> _Answer:
    return Match.UNKNOWN, check.unknowable


_ANSWERS = {
    "principal": _principal,
    "namespace": _namespace,
    "port": _port,
    "method": _method,
    "path": _path,
    "host": _host,
    "unknowable": _unknowable,
}
_FIELD_KINDS = {
    "principals": "principal",
    "namespaces": "namespace",
    "ports": "port",
    "methods": "method",
    "paths": "path",
    "hosts": "host",
}
_CONDITION_KINDS = {"source.principal": "principal", "source.namespace": "namespace", "destination.port": "port"}


def _new_check(kind: str, values: list[str], negated: bool = False, label: str = "", what: str = "") -> _Check:
    identities: PrincipalPatterns | ValuePatterns = _NO_VALUES
    if kind == "principal":
        identities = PrincipalPatterns(values)
    elif kind == "namespace":
        identities = ValuePatterns(values)
    return _Check(
        identities=identities,
        kind=kind,
        answerer=_ANSWERS[kind],
        values=tuple(values),
        joined=", ".join(values),
        negated=negated,
        label=label,
        ports=_ports(values) if kind == "port" else frozenset(),
        unknowable=f"{what} cannot be evaluated from traffic data" if kind == "unknowable" else "",
    )


def _field_check(key: str, values: list[str]) -> _Check:
    """One source/operation field; ``not*`` fields are the negation of their positive form."""
    negated = key.startswith("not") and len(key) > 3
    positive = key[3].lower() + key[4:] if negated else key
    kind = _FIELD_KINDS.get(positive)
    if kind is not None:
        return _new_check(kind, values, negated, positive)
    what = positive if positive in ("ipBlocks", "remoteIpBlocks", "requestPrincipals") else f"field {key}"
    return _new_check("unknowable", values, negated, positive, what)


def _condition_checks(condition: Mapping[str, Any]) -> tuple[_Check, ...]:
    key = str(condition.get("key", ""))
    kind = _CONDITION_KINDS.get(key)
    if kind is None:
        return (_new_check("unknowable", [], what=f"condition {key}"),)
    values, not_values = _strings(condition.get("values")), _strings(condition.get("notValues"))
    checks = []
    if values:
        checks.append(_new_check(kind, values))
    if not_values:
        checks.append(_new_check(kind, not_values, negated=True, label=key))
    return tuple(checks)


# A part of a rule (its ``from``, its ``to``, or one ``when`` condition) matches when one of
# its alternatives does; an alternative (one source or operation) when all its checks do.
_Part = tuple[tuple[_Check, ...], ...]


@dataclass(frozen=True, slots=True)
class _Rule:
    fixed: _Answer | None  # the answer whatever the request (not a mapping, or an ALLOW rule it cannot match)
    parts: tuple[_Part, ...] = ()
    # What the enforcing proxy ignores of a DENY, AUDIT or CUSTOM rule: when such a rule matches,
    # the decision says so, or a deny of every path would read as a deny of the paths listed.
    ignored: str = ""

    def answer(self, request: Request) -> _Answer:
        if self.fixed is not None:
            return self.fixed
        results = []
        for part in self.parts:
            if len(part) == 1:
                results.append(_combine_all([c.answer(request) for c in part[0]]))
            else:
                results.append(_combine_any([_combine_all([c.answer(request) for c in alt]) for alt in part]))
        return _combine_all(results)


def _compile_rule(rule: Any, action: str, view: _View) -> _Rule:
    if not isinstance(rule, Mapping):
        return _Rule((Match.NO, "rule is not a mapping"))
    never = _Rule((Match.NO, _l7_reason(view.enforcer))) if action == "ALLOW" else None
    parts: list[_Part] = []
    dropped: list[str] = []
    for section, list_key, inner in (("source", "from", "source"), ("operation", "to", "operation")):
        entries = [e for e in list_at(rule, list_key) if isinstance(e, Mapping)]
        if not entries:
            continue
        alternatives = []
        for entry in entries:
            body = entry.get(inner)
            checks = []
            for key, raw in (body.items() if isinstance(body, Mapping) else ()):
                values = _strings(raw)
                if not values:
                    continue
                if _is_l7_only(section, str(key), view.http, view.enforcer):
                    if never is not None:
                        return never
                    dropped.append(str(key))
                    continue  # dropped: the rule matches more
                checks.append(_field_check(str(key), values))
            alternatives.append(tuple(checks))
        parts.append(tuple(alternatives))
    for condition in list_at(rule, "when"):
        if not isinstance(condition, Mapping):
            continue
        if _is_l7_only("when", str(condition.get("key", "")), view.http, view.enforcer):
            if never is not None:
                return never
            dropped.append(f"when {condition.get('key', '')}")
            continue
        parts.append((_condition_checks(condition),))
    return _Rule(None, tuple(parts), _ignored_reason(view, dropped))


def _ignored_reason(view: _View, dropped: list[str]) -> str:
    if not dropped:
        return ""
    fields = ", ".join(dict.fromkeys(dropped))
    if view.enforcer is Enforcer.ZTUNNEL:
        return f"ztunnel cannot enforce its {fields}, so it matches without them"
    return f"its {fields} cannot apply to TCP traffic, so it matches without them"


def _combine_all(results: Sequence[_Answer]) -> _Answer:
    if len(results) == 1:
        return results[0]  # what combining one answer gives, without the work
    match = Match.YES
    for answer in results:
        if answer[0] is Match.NO:
            match = Match.NO
            break
        if answer[0] is Match.UNKNOWN:
            match = Match.UNKNOWN
    if match is Match.YES:
        return _YES
    return match, "; ".join(r[1] for r in results if r[0] is match and r[1])


def _combine_any(results: Sequence[_Answer]) -> _Answer:
    if not results:
        return _YES
    if len(results) == 1:
        return results[0]
    match = any_of(r[0] for r in results)
    if match is Match.YES:
        return _YES
    return match, " or ".join(dict.fromkeys(r[1] for r in results if r[1]))


def _l7_reason(enforcer: Enforcer) -> str:
    if enforcer is Enforcer.ZTUNNEL:
        return "uses L7 attributes that ztunnel cannot enforce, so this ALLOW rule never matches"
    return "uses HTTP-only fields, so this ALLOW rule never matches TCP traffic"


def _view(request: Request) -> _View:
    return _View(request.http, request.enforcer)


def _reader(reads: Iterable[str]) -> Callable[[Request], Any]:
    """The part of a request that answers depend on, as a memo key."""
    names = sorted(set(reads))
    if not names:
        return lambda request: ()
    return attrgetter(*names)


@dataclass(frozen=True, slots=True)
class _CompiledView:
    rules: tuple[_Rule, ...]
    reads: frozenset[str]
    reader: Callable[[Request], Any]
    memo: dict[Any, PolicyMatch] | None  # None: not memoised (see ``_CompiledPolicy.shared``)


class _CompiledPolicy:
    """One policy's rules compiled per view, its matches memoised on the attributes they read.

    ``shared``: whether more than one policy set holds the policy. A policy set memoises its own
    decisions, so the policy's memo only pays where others meet the same request: always for
    rules that do not read the caller's identity, and for those that do only when the policy is
    shared (a caller meets a policy of its destination's set alone once per request). Skipping
    that memo keeps one entry per caller and destination out of memory; it changes no answer.
    """

    __slots__ = ("_admitted", "_views", "policy", "shared")

    def __init__(self, policy: Policy, shared: bool = True) -> None:
        self.policy = policy
        self.shared = shared
        self._views: dict[_View, _CompiledView] = {}
        # A match by rule N says nothing about the request: one object per rule, whoever it admits
        # (per what the view's proxy ignores of the rule, which the match reports).
        self._admitted: dict[tuple[int, str], PolicyMatch] = {}

    def compiled(self, view: _View) -> _CompiledView:
        found = self._views.get(view)
        if found is None:
            rules = tuple(_compile_rule(rule, self.policy.action, view) for rule in self.policy.rules)
            reads = frozenset(name for rule in rules for part in rule.parts for alt in part for c in alt
                              for name in c.reads)
            memo: dict[Any, PolicyMatch] | None = {} if self.shared or "principal" not in reads else None
            found = self._views[view] = _CompiledView(rules, reads, _reader(reads), memo)
        return found

    def match(self, request: Request, view: _View) -> PolicyMatch:
        compiled = self.compiled(view)
        memo = compiled.memo
        if memo is None:
            return self._match(compiled.rules, request)
        key = compiled.reader(request)
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._match(compiled.rules, request)
        return found

    def _match(self, rules: tuple[_Rule, ...], request: Request) -> PolicyMatch:
        policy = self.policy
        if not rules:
            return PolicyMatch(policy, Match.NO, None, ("has no rules: matches nothing",))
        reasons: list[str] = []
        maybe: int | None = None
        for index, rule in enumerate(rules):
            match, reason = rule.answer(request)
            if match is Match.YES:
                found = self._admitted.get((index, rule.ignored))
                if found is None:
                    notes = (rule.ignored,) if rule.ignored else ()
                    found = self._admitted[index, rule.ignored] = PolicyMatch(policy, Match.YES, index, notes)
                return found
            if match is Match.UNKNOWN and maybe is None:
                maybe = index
            if reason:
                reasons.append(f"rule {index} {reason}" if not reason.startswith("rule") else reason)
        return PolicyMatch(policy, Match.UNKNOWN if maybe is not None else Match.NO, maybe, tuple(reasons))


def rule_match(rule: Any, action: str, request: Request) -> tuple[Match, str]:
    """Does one rule match the request? With the reason it does not (or may not)."""
    return _compile_rule(rule, action, _view(request)).answer(request)


def policy_match(policy: Policy, request: Request) -> PolicyMatch:
    return _CompiledPolicy(policy).match(request, _view(request))


def _label(match: PolicyMatch) -> str:
    rule = f" rule {match.rule}" if match.rule is not None else ""
    return f"{match.policy.action} policy {match.policy.name}{rule}"


def _matched(match: PolicyMatch, verb: str = "matches") -> str:
    """A matching rule's reason; a matching rule's reasons say only what its proxy ignored of it."""
    ignored = f" ({'; '.join(match.reasons)})" if match.reasons else ""
    return f"{_label(match)} {verb}{ignored}"


def evaluate(policies: Sequence[Policy], request: Request) -> AuthzDecision:
    """The decision for one request at a workload to which ``policies`` apply."""
    return PolicySet.of(policies).evaluate(request)


class PolicyView:
    """A policy set as one kind of request meets it (HTTP or not, enforcing proxy).

    The policies are split by the layer that evaluates them, and decisions are memoised
    on the request attributes those policies read.
    """

    __slots__ = ("_allow", "_custom", "_deny", "_distinct", "_dry_run", "_memo", "_reader", "_view")

    def __init__(self, policies: Sequence[_CompiledPolicy], http: bool, enforcer: Enforcer) -> None:
        self._view = view = _View(http, enforcer)
        enforced = [p for p in policies if not p.policy.dry_run]
        if not http:
            # istiod builds no TCP filter for a CUSTOM policy whose provider speaks HTTP ext_authz:
            # such a policy never sees TCP traffic (builder.go, "ignored CUSTOM action with HTTP provider").
            enforced = [p for p in enforced if p.policy.action != "CUSTOM" or p.policy.provider_protocol != "http"]
        if enforcer is Enforcer.ZTUNNEL:
            enforced = [p for p in enforced if p.policy.action in ("ALLOW", "DENY")]
        self._allow = [p for p in enforced if p.policy.action == "ALLOW"]
        self._deny = [p for p in enforced if p.policy.action == "DENY"]
        self._custom = [p for p in enforced if p.policy.action == "CUSTOM"]
        self._dry_run = [p for p in policies if p.policy.dry_run]
        used = [*self._allow, *self._deny, *self._custom, *self._dry_run]
        self._reader = _reader(name for p in used for name in p.compiled(view).reads)
        self._memo: dict[Any, AuthzDecision] = {}
        # Requests the policies tell apart often still end in equal decisions (every caller a rule
        # admits): those are one object, so what callers build on a decision can be shared too.
        self._distinct: dict[AuthzDecision, AuthzDecision] = {}

    def evaluate(self, request: Request) -> AuthzDecision:
        """The decision for ``request``, which must be of this view's kind."""
        key = self._reader(request)
        found = self._memo.get(key)
        if found is None:
            decided = self._decide(request)
            found = self._memo[key] = self._distinct.setdefault(decided, decided)
        return found

    def _decide(self, request: Request) -> AuthzDecision:
        view = self._view
        allow = _allow_layer(self._allow, request, view)
        rest = _deny_layer(self._deny, request, view, allow)
        decided = _custom_layer(self._custom, request, view, rest)
        if not self._dry_run:
            return decided
        dry_run = tuple(_dry_run_notes(self._dry_run, request, view))
        return AuthzDecision(decided.decision, decided.policy, decided.rule, decided.reasons, dry_run)


class PolicySet:
    """The policies one proxy enforces for a workload (or a waypoint for a service), compiled once.

    Decisions are memoised on the request attributes the policies read, so callers that
    no rule tells apart share one decision.
    """

    def __init__(self, policies: Sequence[_CompiledPolicy]) -> None:
        self._policies = tuple(policies)
        self._views: dict[_View, PolicyView] = {}

    @classmethod
    def of(cls, policies: Iterable[Policy]) -> PolicySet:
        return cls([_CompiledPolicy(p) for p in policies])

    @property
    def policies(self) -> tuple[Policy, ...]:
        return tuple(p.policy for p in self._policies)

    @property
    def default_deny(self) -> bool:
        """An enforced ALLOW policy applies: whatever no ALLOW rule matches is denied (the implicit deny)."""
        return any(p.policy.action == "ALLOW" and not p.policy.dry_run for p in self._policies)

    def view(self, http: bool, enforcer: Enforcer) -> PolicyView:
        key = _View(http, enforcer)
        found = self._views.get(key)
        if found is None:
            found = self._views[key] = PolicyView(self._policies, http, enforcer)
        return found

    def evaluate(self, request: Request) -> AuthzDecision:
        return self.view(request.http, request.enforcer).evaluate(request)


_ALLOWED_BY_DEFAULT = AuthzDecision(Decision.ALLOW, reasons=("no ALLOW policy applies: allowed by default",))


def _allow_layer(policies: list[_CompiledPolicy], request: Request, view: _View) -> AuthzDecision:
    if not policies:
        return _ALLOWED_BY_DEFAULT
    matches = []
    for policy in policies:
        match = policy.match(request, view)
        if match.match is Match.YES:
            return AuthzDecision(Decision.ALLOW, match.policy.ref, match.rule, (f"{_label(match)} matches",))
        matches.append(match)
    why = tuple(f"ALLOW policy {m.policy.name} {'; '.join(m.reasons)}" for m in matches)
    maybe = [m for m in matches if m.match is Match.UNKNOWN]
    if maybe:
        return AuthzDecision(Decision.UNKNOWN, maybe[0].policy.ref, maybe[0].rule, why)
    names = ", ".join(p.policy.name for p in policies)
    implicit = f"no ALLOW policy matches ({names}): implicit deny"
    return AuthzDecision(Decision.DENY, None, None, (implicit, *why))


def _deny_layer(
    policies: list[_CompiledPolicy], request: Request, view: _View, allow: AuthzDecision
) -> AuthzDecision:
    matches = []
    for policy in policies:
        match = policy.match(request, view)
        if match.match is Match.YES:
            return AuthzDecision(Decision.DENY, match.policy.ref, match.rule, (_matched(match),))
        matches.append(match)
    maybe = [m for m in matches if m.match is Match.UNKNOWN]
    if not maybe or allow.decision is Decision.DENY:
        return allow
    why = tuple(f"DENY policy {m.policy.name} may match: {'; '.join(m.reasons)}" for m in maybe)
    return AuthzDecision(Decision.UNKNOWN, maybe[0].policy.ref, maybe[0].rule, (*why, *allow.reasons))


def _custom_layer(
    policies: list[_CompiledPolicy], request: Request, view: _View, rest: AuthzDecision
) -> AuthzDecision:
    if rest.decision is Decision.DENY:
        return rest
    first = next((m for m in (p.match(request, view) for p in policies) if m.match is not Match.NO), None)
    if first is None:
        return rest
    provider = f"the external authorizer {first.policy.provider}" if first.policy.provider else "an external authorizer"
    verb = "matches" if first.match is Match.YES else "may match"
    reason = f"CUSTOM policy {first.policy.name} {verb}: {provider} decides, which traffic data cannot show"
    return AuthzDecision(Decision.UNKNOWN, first.policy.ref, first.rule, (reason, *rest.reasons))


def _dry_run_notes(policies: list[_CompiledPolicy], request: Request, view: _View) -> Iterable[str]:
    for policy in policies:
        match = policy.match(request, view)
        if match.match is Match.YES:
            yield f"dry-run {_matched(match, 'would match')} (not enforced)"
        elif match.match is Match.UNKNOWN:
            yield f"dry-run {_label(match)} may match (not enforced)"


_Policies = tuple[Policy, ...]
SELECTOR_BASED_GATEWAY_POLICY = "ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY"
_GO_FALSE = frozenset({"0", "f", "false"})  # what Go's strconv.ParseBool reads as false


class AuthorizationPolicies:
    """The AuthorizationPolicies of a snapshot, indexed once by the workloads they apply to.

    Selector, namespace and root-namespace scope come from ``preflight.istio.scoping``.
    A Gateway API gateway takes policies without ``targetRef`` too, unless its istiod sets
    ``ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY=false``.
    A ``targetRef(s)`` to a Gateway applies to that gateway's pods, never to a gateway of
    another namespace (except from the root namespace); one to a Service of the policy's
    namespace applies at the service's waypoint (ambient mode), never to sidecars.
    """

    def __init__(self, snapshot: Snapshot, control_plane: ControlPlane, scope: Scope) -> None:
        self.snapshot = snapshot
        self.provider_protocols = extension_provider_protocols(control_plane.mesh_config)
        self.control_plane = control_plane
        self.scope = scope

    def _takes_selector_policies(self, workload: Workload) -> bool:
        """Does the workload's proxy apply policies without ``targetRef`` (by selector or namespace-wide)?

        Sidecars always do; a Gateway API gateway only while its istiod keeps
        ``ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY`` on (the default).
        """
        if GATEWAY_NAME_LABEL not in workload.pod_labels:
            return True
        revision = self.control_plane.revision(mesh_membership(self.snapshot, workload).revision or "default")
        value = revision.env.get(SELECTOR_BASED_GATEWAY_POLICY) if revision is not None else None
        return str(value).strip().lower() not in _GO_FALSE if value is not None else True

    @cached_property
    def _indexes(self) -> tuple[Mapping[ObjectRef, _Policies], Mapping[ServiceRef, _Policies]]:
        by_workload: dict[ObjectRef, list[Policy]] = defaultdict(list)
        by_service: dict[ServiceRef, list[Policy]] = defaultdict(list)
        for obj in self.snapshot.of_kind("AuthorizationPolicy"):
            policy = Policy.from_object(obj)
            if policy.provider is not None:
                policy = replace(policy, provider_protocol=self.provider_protocols.get(policy.provider))
            targets = target_refs(obj.spec)
            if not targets:
                for workload in self.scope.workloads_for(obj):
                    if self._takes_selector_policies(workload):
                        by_workload[workload.ref].append(policy)
                continue
            for target in targets:
                kind, name = str(target.get("kind", "")), str(target.get("name", ""))
                if is_gateway_target(target):
                    for namespace in self.scope.gateway_target_namespaces(obj.namespace, target.get("namespace")):
                        for workload in self.snapshot.workloads_in(namespace, {GATEWAY_NAME_LABEL: name}):
                            by_workload[workload.ref].append(policy)
                elif kind == "Service" and str(target.get("group") or "core") == "core":
                    # A waypoint takes a Service-attached policy only from the Service's own namespace.
                    by_service[ServiceRef(obj.namespace, name)].append(policy)
        return (
            {ref: tuple(sorted(items, key=lambda p: p.ref)) for ref, items in by_workload.items()},
            {ref: tuple(sorted(items, key=lambda p: p.ref)) for ref, items in by_service.items()},
        )

    def compiled(self) -> CompiledPolicies:
        """Every workload's and service's policies compiled, with memos as long-lived as the result.

        Workloads with the same policies share one compiled set and its memo. A simulation holds
        its own, so the memoised decisions of its callers are freed with it.
        """
        by_workload, by_service = self._indexes
        return CompiledPolicies(by_workload, by_service)

    @cached_property
    def _compiled(self) -> CompiledPolicies:
        return self.compiled()

    def policy_set_for_workload(self, workload: Workload) -> PolicySet:
        """``for_workload`` compiled, shared by every workload with the same policies."""
        return self._compiled.for_workload(workload)

    def policy_set_for_service(self, service: ServiceRef) -> PolicySet:
        """``for_service`` compiled, shared by every service with the same policies."""
        return self._compiled.for_service(service)

    def for_workload(self, workload: Workload) -> tuple[Policy, ...]:
        """Policies its sidecar, gateway or ztunnel enforces (selector, namespace, root, Gateway)."""
        return self._indexes[0].get(workload.ref, ())

    def for_service(self, service: ServiceRef) -> tuple[Policy, ...]:
        """Policies attached to a Service with ``targetRef(s)``: enforced by its waypoint."""
        return self._indexes[1].get(service, ())


class CompiledPolicies:
    """Policy sets by workload and by service (waypoint), compiled once and shared by equal policy lists."""

    __slots__ = ("_by_service", "_by_workload", "_none")

    def __init__(self, by_workload: Mapping[ObjectRef, _Policies], by_service: Mapping[ServiceRef, _Policies]) -> None:
        # Keyed by the identity of the index's Policy objects, which live as long as the index.
        lists = {tuple(id(p) for p in policies): policies for policies in (*by_workload.values(), *by_service.values())}
        holders = Counter(key for listed in lists for key in listed)
        compiled: dict[int, _CompiledPolicy] = {}
        shared: dict[tuple[int, ...], PolicySet] = {}

        def policy_set(policies: _Policies) -> PolicySet:
            key = tuple(id(p) for p in policies)
            found = shared.get(key)
            if found is None:
                found = shared[key] = PolicySet([
                    compiled.setdefault(id(p), _CompiledPolicy(p, shared=holders[id(p)] > 1)) for p in policies
                ])
            return found

        self._by_workload = {ref: policy_set(policies) for ref, policies in by_workload.items()}
        self._by_service = {ref: policy_set(policies) for ref, policies in by_service.items()}
        self._none = PolicySet(())

    def for_workload(self, workload: Workload) -> PolicySet:
        return self._by_workload.get(workload.ref, self._none)

    def for_service(self, service: ServiceRef) -> PolicySet:
        return self._by_service.get(service, self._none)


def extension_provider_protocols(mesh_config: Mapping[str, Any]) -> Mapping[str, str]:
    """``meshConfig.extensionProviders`` by name: "http" or "grpc" for ext_authz providers."""
    found: dict[str, str] = {}
    for provider in list_at(mesh_config, "extensionProviders"):
        if not isinstance(provider, Mapping) or not provider.get("name"):
            continue
        if "envoyExtAuthzHttp" in provider:
            found[str(provider["name"])] = "http"
        elif "envoyExtAuthzGrpc" in provider:
            found[str(provider["name"])] = "grpc"
    return found

