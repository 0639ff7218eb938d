"""The caller's outbound, second step: what its sidecar does with a call to the chosen service.

In the order the caller's proxy meets them:

* its Sidecar resource's egress imports: a host it does not import leaves through the
  PassthroughCluster as plaintext (``ALLOW_ANY``), or goes to the BlackHoleCluster and
  fails (``REGISTRY_ONLY``); unknown traffic (an alias of a name nothing defines) is
  dropped under ``REGISTRY_ONLY`` as well;
* the DestinationRule TLS mode that applies to the host and port from the caller's
  namespace (and workload labels): ``ISTIO_MUTUAL`` keeps Istio mTLS, ``DISABLE`` sends
  plaintext, ``SIMPLE``/``MUTUAL`` originate TLS to the application, with no principal;
* otherwise auto mTLS: Istio mTLS unless the server's PeerAuthentication disables it.

Traffic data that shows the transport (``mtls``) wins over all of this for an unchanged route.
"""

from __future__ import annotations

from dataclasses import replace

from preflight.istio.authz import Decision
from preflight.istio.destination_rules import ClientTLS
from preflight.istio.hosts import service_fqdn
from preflight.istio.peer_authentication import MtlsMode
from preflight.istio.sidecar_scope import REGISTRY_ONLY, SidecarScope, outbound_policy_mode
from preflight.simulate.caller import Caller
from preflight.simulate.interface import EdgeDecision
from preflight.simulate.targets import Target
from preflight.simulate.world import World
from preflight.snapshot.interface import K8sObject, ObjectRef, Workload
from preflight.traffic.interface import Edge, Mtls

# Whether the caller's sidecar sends Istio mTLS, and why.
Transport = tuple[bool | None, str]


def outbound(world: World, caller: Caller, target: Target) -> Transport | EdgeDecision | None:
    """How the caller's sidecar sends calls to ``target``.

    A decision when its Sidecar resource sends them to the BlackHoleCluster; else whether it
    uses Istio mTLS and why (PassthroughCluster, or a DestinationRule's TLS mode); ``None``
    leaves auto mTLS. Once per caller namespace (and per caller workload only where selector
    rules live), Sidecar scope, service and port.
    """
    service = target.service
    if service is None or not caller.has_sidecar or caller.namespace is None:
        return None
    workload = caller.workload if caller.namespace in world.destination_rules.selector_namespaces else None
    key = ("outbound", caller.namespace, workload.ref if workload else None, id(caller.scope), service,
           target.service_port)
    return world.cache.get(key, _outbound, world, caller.namespace, workload, caller.scope, target)


def _outbound(world: World, namespace: str, workload: Workload | None, scope: SidecarScope | None,
              target: Target) -> Transport | EdgeDecision | None:
    service = target.service
    assert service is not None
    host = service_fqdn(service)
    if (
        scope is not None
        and not scope.imports(host, service.namespace, target.service_port)
        and host not in world.route_hosts(scope)
    ):
        return _not_imported(scope, host, service.namespace, target)
    labels = workload.pod_labels if workload else None
    tls = world.destination_rules.client_tls(namespace, host, service.namespace, target.service_port, labels)
    return _configured_transport(tls) if tls else None


def _not_imported(scope: SidecarScope, host: str, namespace: str, target: Target) -> Transport | EdgeDecision:
    """A call to a host the caller's Sidecar does not import: PassthroughCluster, or BlackHoleCluster."""
    missing = f"Sidecar {scope.name} does not import {namespace}/{host}"
    if scope.outbound_policy == REGISTRY_ONLY:
        reason = f"{missing}: with outboundTrafficPolicy REGISTRY_ONLY the call goes to the BlackHoleCluster and fails"
        sidecar = scope.sidecar
        ref = ObjectRef("Sidecar", sidecar.namespace, sidecar.name) if sidecar is not None else None
        return EdgeDecision(Decision.DENY, scope.name, None, (*target.notes, reason), destination=target.label,
                            policy_ref=ref)
    return False, (
        f"{missing}: with outboundTrafficPolicy ALLOW_ANY the call leaves through the PassthroughCluster as "
        "plaintext, without Istio mTLS"
    )


def _configured_transport(tls: ClientTLS) -> Transport:
    """What a DestinationRule TLS mode makes the client sidecar send: Istio mTLS or not, and why."""
    rule = f"DestinationRule {tls.rule_name} ({tls.block.where})"
    if tls.mode == "ISTIO_MUTUAL":
        return True, f"{rule} sets tls mode ISTIO_MUTUAL: the caller's proxy uses Istio mTLS"
    if tls.block.originates_user_tls:
        return False, (
            f"{rule} sets tls mode {tls.mode}: the caller's proxy originates TLS to the application, "
            "not Istio mTLS, so the server sees no principal"
        )
    return False, f"{rule} sets tls mode {tls.mode}: the caller's proxy sends plaintext instead of auto mTLS"


def black_hole(world: World, caller: Caller, target: Target) -> EdgeDecision | None:
    """The caller's sidecar drops unknown traffic (``REGISTRY_ONLY``): the decision, else ``None``."""
    scope = caller.scope
    if scope is None:
        scope = world.sidecar_scopes.scope_for(caller.namespace, caller.workload) if caller.namespace else None
    policy = scope.outbound_policy if scope is not None else world.sidecar_scopes.mesh_policy
    if policy != REGISTRY_ONLY:
        return None
    sidecar = scope.sidecar if scope is not None else None
    if sidecar is None or outbound_policy_mode(sidecar.spec) is None:
        sidecar = None  # the mesh-wide setting decides
    where = f"Sidecar {sidecar.namespace}/{sidecar.name}" if sidecar is not None else "meshConfig"
    reason = f"{where} sets outboundTrafficPolicy REGISTRY_ONLY: the call goes to the BlackHoleCluster and fails"
    ref = ObjectRef("Sidecar", sidecar.namespace, sidecar.name) if sidecar is not None else None
    name = f"{sidecar.namespace}/{sidecar.name}" if sidecar is not None else None
    return EdgeDecision(Decision.DENY, name, None, (*target.notes, reason), destination=target.label,
                        policy_ref=ref)


def transport(edge: Edge, caller: Caller, target: Target, mode: MtlsMode,
              configured: Transport | None = None) -> Transport:
    """Does the caller reach the workload over Istio mTLS? With the reason.

    ``configured`` is what a DestinationRule's TLS mode makes the caller's sidecar send, which
    replaces auto mTLS; traffic data that shows the transport still wins for an unchanged route.
    """
    if target.plaintext_reason:
        return False, target.plaintext_reason
    if not target.transport_changed and edge.mtls is Mtls.MUTUAL:
        return True, "traffic data shows mutual TLS"
    if not target.transport_changed and edge.mtls is Mtls.NONE:
        return False, "traffic data shows plaintext"
    if caller.mode == "none":
        return False, "caller has no proxy: it sends plaintext, with no principal"
    if caller.mode is None:
        return None, "whether the caller is in the mesh is unknown"
    if configured is not None:
        return configured
    if mode is MtlsMode.DISABLE:
        return False, "auto mTLS sends plaintext to a workload with mTLS disabled"
    return True, "caller's proxy uses Istio mTLS (auto mTLS)"


def with_certificate_check(side: EdgeDecision, rule: K8sObject, entry: str) -> EdgeDecision:
    """``side`` once the caller verifies server certificates (``verify_certificate_at_client``).

    ``rule`` is the DestinationRule that originates TLS to the target without a CA.
    """
    if side.decision is Decision.DENY:
        return side
    reason = (
        f"{entry}: DestinationRule {rule.namespace}/{rule.name} originates TLS without a CA; the "
        "caller now verifies the server certificate against the OS bundle, which a snapshot cannot check"
    )
    # The DestinationRule now decides the call: its finding is the one the edge belongs to.
    return replace(side, decision=Decision.UNKNOWN, reasons=(*side.reasons, reason),
                   policy=f"{rule.namespace}/{rule.name}", rule=None, policy_ref=rule.ref)
