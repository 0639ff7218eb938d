"""The derived cluster model: what one snapshot says about its mesh, derived once.

Every stage after loading (detectors, the edge simulation, the platform checks, the
declared traffic, the canary plan and the mesh footprint) reads one ``Cluster`` made by
``build_cluster``, the way each of istiod's config generators reads the one
``PushContext`` built per push (``pilot/pkg/model/push_context.go``). No stage reads
the control plane or scopes resources on its own: the indexes they share are built
here, lazily, the first time a stage asks, and then read by all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from preflight.istio.authz import AuthorizationPolicies
from preflight.istio.control_plane import ControlPlane, read_control_plane
from preflight.istio.identity import Identity
from preflight.istio.injection import MeshMembership, mesh_membership
from preflight.istio.peer_authentication import PeerAuthentications
from preflight.istio.scoping import Scope
from preflight.snapshot.interface import ServiceRef, Workload
from preflight.snapshot.model import Snapshot


@dataclass(frozen=True, eq=False)
class Cluster:
    """One snapshot with its control plane and the scoping, membership and policy indexes stages share.

    Frozen: a stage cannot swap a part for its own. The indexes behind ``cached_property``
    are filled on first use, so a stage that never asks about policies pays nothing for them.
    """

    snapshot: Snapshot
    control_plane: ControlPlane
    scope: Scope = field(repr=False)

    @cached_property
    def authorizations(self) -> AuthorizationPolicies:
        """The AuthorizationPolicies indexed by the workloads and services they apply to."""
        return AuthorizationPolicies(self.snapshot, self.control_plane, self.scope)

    @cached_property
    def peer_authentications(self) -> PeerAuthentications:
        """The PeerAuthentications indexed by level (mesh, namespace, workload, port)."""
        return PeerAuthentications(self.snapshot, self.control_plane, self.scope)

    @property
    def meshed_services(self) -> tuple[ServiceRef, ...]:
        """Services with at least one workload in the mesh (sidecar or ambient)."""
        return self.scope.meshed_services

    @property
    def trust_domain(self) -> str:
        return self.control_plane.trust_domain

    def membership(self, workload: Workload) -> MeshMembership:
        """Whether and how the workload is in the mesh (sidecar of which revision, ambient, none)."""
        return mesh_membership(self.snapshot, workload)

    def identity(self, workload: Workload) -> Identity:
        """The SPIFFE identity Istio issues the workload: this mesh's trust domain, its namespace and account."""
        return Identity(self.control_plane.trust_domain, workload.namespace, workload.service_account)


def build_cluster(snapshot: Snapshot) -> Cluster:
    """The one place the control plane is read and the scoping indexes are made."""
    control_plane = read_control_plane(snapshot)
    return Cluster(snapshot, control_plane, Scope(snapshot, control_plane))
