"""What a detector is given and what it returns.

A detector is a plain module in ``preflight/detectors/`` with a docstring (its user
documentation, shown by ``preflight kb detectors``), a ``PARAMETERS`` declaration of the
parameters it accepts (``preflight.detectors.parameters``: their types, checked when the KB
loads, and their documentation), and ``detect(context, params)`` yielding ``Hit``s.
Detectors read the snapshot through the Istio semantics modules and never decide
mitigation: the engine does that once for every entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from preflight.detectors.parameters import Parameters
from preflight.istio.cluster import Cluster
from preflight.istio.control_plane import ControlPlane
from preflight.kb.interface import Severity
from preflight.snapshot.interface import ObjectRef, ServiceRef, SourceRef
from preflight.snapshot.model import Snapshot
from preflight.versions import UpgradePath


@dataclass(frozen=True)
class DetectorContext:
    """The cluster model every detector reads (never re-derived by one) and the upgrade path."""

    cluster: Cluster
    path: UpgradePath

    @property
    def snapshot(self) -> Snapshot:
        return self.cluster.snapshot

    @property
    def control_plane(self) -> ControlPlane:
        return self.cluster.control_plane


@dataclass(frozen=True)
class Hit:
    """One resource the change touches.

    ``services`` None lets the engine scope the resource to the services it applies to
    (``preflight.istio.scoping``); a detector that knows better names them. ``severity``
    None takes the entry's; a detector sets it when the snapshot shows which of the
    entry's cases applies (e.g. an alias that gains mTLS vs one whose calls now fail).
    """

    resource: ObjectRef
    message: str
    source: SourceRef | None = None
    services: tuple[ServiceRef, ...] | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    severity: Severity | None = None


class DetectorModule(Protocol):
    __name__: str
    __doc__: str | None
    PARAMETERS: Parameters

    def detect(self, context: DetectorContext, params: Mapping[str, Any]) -> Iterable[Hit]: ...
