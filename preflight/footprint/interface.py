"""The mesh footprint as the report shows it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from preflight.snapshot.interface import ObjectRef


@dataclass(frozen=True)
class WorkloadFootprint:
    workload: ObjectRef
    revision: str | None
    pods: int
    pods_source: str  # "pods" (counted in the snapshot) or "replicas" (from the spec)
    cpu_request: Decimal | None  # per sidecar, cores
    memory_request: Decimal | None  # per sidecar, bytes
    cpu_limit: Decimal | None
    memory_limit: Decimal | None
    resources_source: str  # see preflight.istio.sidecar_resources
    native_sidecar: bool

    def total(self, per_pod: Decimal | None) -> Decimal | None:
        return None if per_pod is None else per_pod * self.pods


@dataclass(frozen=True)
class FootprintChange:
    """What one change on the path does to the sidecars, where the knowledge base knows."""

    change: str  # KB entry id
    title: str
    workloads: tuple[ObjectRef, ...]
    pods: int
    effect: str
    memory_request_delta: Decimal  # bytes, over the whole mesh
    cpu_request_delta: Decimal


@dataclass(frozen=True)
class MeshFootprint:
    workloads: tuple[WorkloadFootprint, ...]
    changes: tuple[FootprintChange, ...] = ()

    @property
    def injected_pods(self) -> int:
        return sum(w.pods for w in self.workloads)

    def _sum(self, attribute: str) -> tuple[Decimal, int]:
        total, unknown = Decimal(0), 0
        for workload in self.workloads:
            value = getattr(workload, attribute)
            if value is None:
                unknown += workload.pods
            else:
                total += value * workload.pods
        return total, unknown

    @property
    def memory_request(self) -> tuple[Decimal, int]:
        """Bytes requested by all sidecars, and how many pods set no request."""
        return self._sum("memory_request")

    @property
    def memory_limit(self) -> tuple[Decimal, int]:
        return self._sum("memory_limit")

    @property
    def cpu_request(self) -> tuple[Decimal, int]:
        return self._sum("cpu_request")

    @property
    def cpu_limit(self) -> tuple[Decimal, int]:
        return self._sum("cpu_limit")


def format_bytes(value: Decimal | None) -> str:
    if value is None:
        return "unset"
    for unit, size in (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if value >= size:
            return f"{(value / size).quantize(Decimal('0.1')).normalize():f}{unit}"
    return f"{value.normalize():f}"


def format_cores(value: Decimal | None) -> str:
    if value is None:
        return "unset"
    if value < 1:
        return f"{(value * 1000).quantize(Decimal(1)):f}m"
    return f"{value.quantize(Decimal('0.01')).normalize():f}"
