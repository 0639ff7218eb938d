"""Services that rely on the implicit deny of ALLOW AuthorizationPolicies.

Reports every enforced ALLOW ``AuthorizationPolicy`` (``action`` missing or ``ALLOW``)
that selects at least one meshed workload behind a Service. Such a service denies
every request its ALLOW rules do not match, so a change in how rules are evaluated
turns into denied (or suddenly admitted) traffic. Scoping follows Istio: the
``selector`` within the policy's namespace, the whole namespace without one, the whole
mesh for a policy in the root namespace, or the Gateway/Service a ``targetRef(s)``
names. Workloads without a proxy enforce nothing and are left out.

Each hit names the services and lists what the policy's rules admit: the callers
(principals, namespaces, ipBlocks, ``any caller`` for a rule without ``from``) and, when a
rule admits only some of their requests, which ones (``any caller to ports 8081``; ``to``
operations and ``when`` conditions). A policy without rules admits nobody. Policies
annotated ``istio.io/dry-run: "true"`` do not decide requests: they never make a hit and
are named in the details of the hits covering the same services.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.authorization import allowed_callers, is_dry_run, is_enforced_allow, policy_action
from preflight.istio.cluster import Cluster
from preflight.snapshot.interface import K8sObject, ServiceRef

PARAMETERS: Parameters = {}
MAX_NAMED = 10  # in the message; the hit's services list them all


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    cluster = context.cluster
    policies = context.snapshot.of_kind("AuthorizationPolicy")
    dry_run_by_service: dict[ServiceRef, list[str]] = {}
    for policy in policies:
        if policy_action(policy) == "ALLOW" and is_dry_run(policy):
            for service in _meshed_services(cluster, policy):
                dry_run_by_service.setdefault(service, []).append(f"{policy.namespace}/{policy.name}")
    for policy in policies:
        if not is_enforced_allow(policy):
            continue
        services = _meshed_services(cluster, policy)
        if not services:
            continue
        callers = allowed_callers(policy)
        admitted = "; ".join(callers) if callers else "nobody (the policy has no rules)"
        names = ", ".join(str(s) for s in services[:MAX_NAMED])
        if len(services) > MAX_NAMED:
            names += f" and {len(services) - MAX_NAMED} more service(s)"
        details = {"allowed_callers": admitted}
        dry_runs = sorted({name for s in services for name in dry_run_by_service.get(s, ())})
        if dry_runs:
            details["dry_run_policies_not_deciding"] = ", ".join(dry_runs)
        yield Hit(
            policy.ref,
            f"ALLOW AuthorizationPolicy {policy.namespace}/{policy.name} makes {names} deny every request "
            f"its rules do not match; it admits: {admitted}",
            services=services,
            details=details,
        )


def _meshed_services(cluster: Cluster, policy: K8sObject) -> tuple[ServiceRef, ...]:
    enforcing = [
        w
        for w in cluster.scope.workloads_for(policy)
        if cluster.membership(w).in_mesh
    ]
    return cluster.scope.services_for_workloads(enforcing)
