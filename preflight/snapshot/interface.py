"""The snapshot model: what every later stage reads.

Objects are frozen records around the parsed document. Their ``body`` is the plain
mapping PyYAML or the JSON parser produced; nothing downstream mutates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Kinds that live outside namespaces. Anything not listed is treated as namespaced,
# which is what kubectl does for an unknown custom resource without a namespace.
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "PersistentVolume",
        "StorageClass",
        "GatewayClass",
        "PriorityClass",
        "APIService",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")


@dataclass(frozen=True, slots=True, order=True)
class ObjectRef:
    """Identity of one Kubernetes object."""

    kind: str
    namespace: str  # "" for cluster-scoped kinds
    name: str
    api_version: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an object was read from: file, 1-based line of its first key, document index."""

    file: str
    line: int | None = None
    document: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class K8sObject:
    ref: ObjectRef
    body: Mapping[str, Any]
    source: SourceRef

    @property
    def kind(self) -> str:
        return self.ref.kind

    @property
    def namespace(self) -> str:
        return self.ref.namespace

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def metadata(self) -> Mapping[str, Any]:
        return mapping_at(self.body, "metadata")

    @property
    def labels(self) -> Mapping[str, str]:
        return string_map(self.metadata.get("labels"))

    @property
    def annotations(self) -> Mapping[str, str]:
        return string_map(self.metadata.get("annotations"))

    @property
    def spec(self) -> Mapping[str, Any]:
        return mapping_at(self.body, "spec")

    @property
    def creation_timestamp(self) -> str:
        value = self.metadata.get("creationTimestamp")
        return str(value) if value is not None else ""


@dataclass(frozen=True, slots=True, order=True)
class ServiceRef:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class Workload:
    """Something that runs pods: a controller's pod template, or a bare Pod."""

    obj: K8sObject
    pod_labels: Mapping[str, str]
    pod_annotations: Mapping[str, str]
    pod_spec: Mapping[str, Any]

    @property
    def ref(self) -> ObjectRef:
        return self.obj.ref

    @property
    def namespace(self) -> str:
        return self.obj.namespace

    @property
    def service_account(self) -> str:
        value = self.pod_spec.get("serviceAccountName") or self.pod_spec.get("serviceAccount")
        return str(value) if value else "default"


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What the snapshot is: its inputs, and facts a manifest or version file recorded."""

    sources: tuple[str, ...] = ()
    kubernetes_version: str | None = None
    cluster_name: str | None = None
    manifest: Mapping[str, Any] = field(default_factory=dict)
    dropped_secrets: int = 0
    notes: tuple[str, ...] = ()  # inputs left unread (Kustomize, charts), what loading skipped (links, FIFOs)
    inputs: tuple[str, ...] = ()  # the files and directories as the user passed them

    def shown_path(self, file: str) -> str:
        """``file`` as a report shows it: relative to the input the user passed, starting with its name.

        An input given relative (``gitops/``) already yields paths as the user typed them; one given
        absolute, such as the bundled demo inside site-packages, is shown from its own name on
        (``cluster/workloads.json``), so a report does not expose where things sit on the machine.
        """
        path = Path(file)
        if not path.is_absolute():
            return file
        for given in sorted(self.inputs, key=len, reverse=True):
            root = Path(given)
            if root.is_absolute() and path.is_relative_to(root):
                return str(path.relative_to(root.parent))
        return file


# Loaded YAML and JSON are plain dicts: testing ``dict`` first spares the much slower ABC check
# (``Mapping``) on the hundreds of thousands of lookups detectors make; other mappings still pass.
def mapping_at(body: Mapping[str, Any] | None, key: str) -> Mapping[str, Any]:
    """``body[key]`` when it is a mapping, else an empty one: detectors never crash on wrong types."""
    if type(body) is not dict and not isinstance(body, Mapping):
        return {}
    value = body.get(key)
    return value if type(value) is dict or isinstance(value, Mapping) else {}


def list_at(body: Mapping[str, Any] | None, key: str) -> list[Any]:
    if type(body) is not dict and not isinstance(body, Mapping):
        return []
    value = body.get(key)
    return value if isinstance(value, list) else []


def string_map(value: Any) -> Mapping[str, str]:
    if type(value) is not dict and not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def dig(body: Any, *path: str) -> Any:
    """Follow mapping keys; ``None`` as soon as a step is missing or not a mapping."""
    current = body
    for key in path:
        if type(current) is not dict and not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current
