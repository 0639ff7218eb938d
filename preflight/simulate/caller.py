"""Where a request starts: the calling workload, its mesh membership, identity and Sidecar scope."""

from __future__ import annotations

from dataclasses import dataclass

from preflight.istio.identity import parse_identity
from preflight.istio.sidecar_scope import SidecarScope
from preflight.simulate.world import World
from preflight.snapshot.interface import Workload
from preflight.traffic.interface import Source


@dataclass(frozen=True, slots=True)
class Caller:
    mode: str | None  # "sidecar", "ambient", "none", "mesh" (in the mesh, proxy kind not known); None: unknown
    principal: str | None  # without the spiffe:// scheme
    description: str
    namespace: str | None = None
    workload: Workload | None = None
    scope: SidecarScope | None = None  # the caller's Sidecar resource view, when one applies

    @property
    def has_sidecar(self) -> bool:
        """The caller's own proxy sets up its outbound calls ("mesh": in the mesh, proxy kind not known)."""
        return self.mode in ("sidecar", "mesh")


def caller_of(world: World, source: Source) -> Caller:
    """The caller an edge's source names, once per source."""
    return world.cache.get(("caller", source), _caller, world, source)


def _caller(world: World, source: Source) -> Caller:
    principal = parse_identity(source.principal)
    workload = None
    if source.namespace and source.workload:
        workload = world.workloads_by_name.get((source.namespace, source.workload))
    scopes = world.sidecar_scopes
    if workload is not None:
        mode = world.mesh_mode(workload)
        if principal is None and mode != "none":
            principal = world.cluster.identity(workload)
        scope = scopes.scope_for(workload.namespace, workload) if mode == "sidecar" and scopes.any else None
        return Caller(mode, principal.principal if principal else None, f"{source} ({mode})", workload.namespace,
                      workload, scope)
    namespace = source.namespace or (principal.namespace if principal else None)
    if source.in_mesh is False:
        return Caller("none", None, f"{source} (outside the mesh)", namespace)
    if source.in_mesh is True or principal is not None:
        scope = scopes.scope_for(namespace) if namespace and scopes.any else None
        return Caller("mesh", principal.principal if principal else None, f"{source} (in the mesh)", namespace,
                      scope=scope)
    return Caller(None, None, f"{source} (mesh membership unknown)", namespace)
