"""What the live export is asked for and what it gives back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CHUNK_SIZE = 500
# An --output ending in one of these is one file (a JSON List, or YAML documents); anything else a directory.
SINGLE_FILE_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class ExportRequest:
    """``output`` is a directory (one JSON file per kind) unless it ends in ``.json``/``.yaml``/``.yml``."""

    output: Path
    context: str | None = None
    kubeconfig: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: every namespace
    chunk_size: int = DEFAULT_CHUNK_SIZE
    overwrite: bool = False
    kubectl: str = "kubectl"
    request_timeout: float = 120.0  # seconds one kubectl call may take
    timeout: float = 3600.0  # seconds the whole export may take

    @property
    def single_file(self) -> bool:
        return self.output.suffix.lower() in SINGLE_FILE_SUFFIXES


@dataclass(frozen=True, order=True)
class ApiResource:
    """One listable resource as the cluster's discovery documents it."""

    group: str  # "" for the core group
    version: str
    resource: str  # plural, as in the URL path
    kind: str
    namespaced: bool

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified_name(self) -> str:
        """``deployments.apps``, ``pods``: what ``kubectl get`` accepts, unique across groups."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def list_path(self, namespace: str | None = None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{root}/namespaces/{namespace}/{self.resource}"
        return f"{root}/{self.resource}"


@dataclass(frozen=True)
class ForbiddenList:
    """A list the user's credentials may not read, and what the report loses because of it."""

    resource: ApiResource
    namespace: str | None  # None: the cluster-wide list
    message: str
    impact: str

    def as_manifest(self) -> dict[str, Any]:
        return {
            "kind": self.resource.kind,
            "resource": self.resource.qualified_name,
            "namespace": self.namespace,
            "message": self.message,
            "impact": self.impact,
        }


@dataclass(frozen=True)
class ExportedKind:
    resource: ApiResource
    count: int
    file: str

    def as_manifest(self) -> dict[str, Any]:
        return {
            "kind": self.resource.kind,
            "apiVersion": self.resource.group_version,
            "resource": self.resource.qualified_name,
            "count": self.count,
            "file": self.file,
        }


@dataclass(frozen=True)
class ClusterIdentity:
    context: str | None
    cluster: str | None
    server: str | None
    kubernetes_version: str | None


@dataclass(frozen=True)
class ExportResult:
    output: Path
    identity: ClusterIdentity
    kinds: tuple[ExportedKind, ...]
    forbidden: tuple[ForbiddenList, ...]
    not_served: tuple[str, ...]
    manifest: Mapping[str, Any] = field(default_factory=dict)

    @property
    def object_count(self) -> int:
        return sum(kind.count for kind in self.kinds)
