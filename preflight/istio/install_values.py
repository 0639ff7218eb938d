"""Install-time values a snapshot may carry, for any Istio chart or component.

``HelmValues`` documents hold one chart's values under ``values``; an ``IstioOperator``
holds them under ``spec.values``, where istioctl keeps the values of the istio-cni chart
under ``cni`` and those of the ztunnel chart under ``ztunnel``. The same setting is
therefore spelled differently per installer: the istio-cni chart reads
``ambient.reconcileIptablesOnStartup`` while an IstioOperator sets
``cni.ambient.reconcileIptablesOnStartup``. Callers pass every spelling they accept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from preflight.istio.control_plane import HELM_VALUES_KIND
from preflight.snapshot.interface import K8sObject, dig, mapping_at
from preflight.snapshot.model import Snapshot


@dataclass(frozen=True)
class InstallValue:
    source: K8sObject  # the HelmValues or IstioOperator document
    key: str  # the dotted key as found
    value: Any


def install_values(snapshot: Snapshot, keys: Iterable[str]) -> Iterator[InstallValue]:
    """Every value set for one of ``keys`` (dotted paths) in the snapshot's install inputs."""
    wanted = tuple(keys)
    for source in (*snapshot.of_kind(HELM_VALUES_KIND), *snapshot.of_kind("IstioOperator")):
        values = (
            mapping_at(source.body, "values")
            if source.kind == HELM_VALUES_KIND
            else mapping_at(source.spec, "values")
        )
        for key in wanted:
            value = dig(values, *key.split("."))
            if value is not None:
                yield InstallValue(source, key, value)


def is_true(value: Any) -> bool:
    """Helm and istioctl accept booleans as YAML booleans or as strings."""
    return str(value).strip().lower() == "true"
