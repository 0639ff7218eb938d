"""Auto-registered WorkloadEntries without the HBONE tunnel label.

istiod labels a WorkloadEntry ``networking.istio.io/tunnel=http`` (reach it over HBONE)
only when it auto-creates the entry. Entries auto-registered before the upgrade
(annotation ``istio.io/autoRegistrationGroup``) keep being reached in plaintext until
the workload re-registers or the label is added. Reports such entries.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters

PARAMETERS: Parameters = {}

AUTO_REGISTRATION_ANNOTATION = "istio.io/autoRegistrationGroup"
TUNNEL_LABEL = "networking.istio.io/tunnel"


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for entry in context.snapshot.of_kind("WorkloadEntry"):
        if AUTO_REGISTRATION_ANNOTATION in entry.annotations and entry.labels.get(TUNNEL_LABEL) != "http":
            yield Hit(
                entry.ref,
                f"WorkloadEntry {entry.namespace}/{entry.name} was auto-registered without {TUNNEL_LABEL}=http and "
                "stays reachable only in plaintext until it re-registers",
            )
