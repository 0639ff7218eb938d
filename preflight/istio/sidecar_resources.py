"""The CPU and memory an injected istio-proxy asks for, and where that comes from.

* A pod that already runs ``istio-proxy`` has what its container spec says.
* Otherwise the injector decides. When the pod template carries any of
  ``sidecar.istio.io/proxyCPU``, ``proxyMemory``, ``proxyCPULimit`` or
  ``proxyMemoryLimit``, the injection template writes only the annotated fields and
  ignores the installed defaults altogether (an unannotated field stays unset).
  Without any of them, the proxy gets ``global.proxy.resources`` of the revision's
  install values, whose chart default is 100m CPU / 128Mi memory requested and
  2000m / 1024Mi as limits.
* Kubernetes quantities are decimal or binary suffixed (``500m``, ``1.5``, ``128Mi``, ``1G``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from preflight.istio.injection import proxy_container
from preflight.istio.install_values import install_values
from preflight.snapshot.interface import Workload, mapping_at
from preflight.snapshot.model import Snapshot

ANNOTATIONS = {
    ("requests", "cpu"): "sidecar.istio.io/proxyCPU",
    ("requests", "memory"): "sidecar.istio.io/proxyMemory",
    ("limits", "cpu"): "sidecar.istio.io/proxyCPULimit",
    ("limits", "memory"): "sidecar.istio.io/proxyMemoryLimit",
}
CHART_DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "2000m", "memory": "1024Mi"},
}
_SUFFIXES = {
    "Ki": Decimal(1024), "Mi": Decimal(1024**2), "Gi": Decimal(1024**3), "Ti": Decimal(1024**4),
    "Pi": Decimal(1024**5), "Ei": Decimal(1024**6),
    "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12),
    "P": Decimal(10**15), "E": Decimal(10**18),
}


@dataclass(frozen=True)
class ProxyResources:
    cpu_request: Decimal | None  # cores
    memory_request: Decimal | None  # bytes
    cpu_limit: Decimal | None
    memory_limit: Decimal | None
    source: str  # "pod spec", "pod annotations", "install values" or "chart defaults"


def parse_quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity as a number of base units; ``None`` when it is not one."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if suffix and text.endswith(suffix):
            number, multiplier = text[: -len(suffix)], _SUFFIXES[suffix]
            break
    else:
        number, multiplier = text, Decimal(1)
    try:
        parsed = Decimal(number) * multiplier
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() and parsed >= 0 else None


def installed_proxy_resources(snapshot: Snapshot) -> tuple[Mapping[str, Any], str]:
    """``global.proxy.resources`` from the install inputs, else the chart's defaults."""
    for found in install_values(snapshot, ("global.proxy.resources",)):
        if isinstance(found.value, Mapping):
            return found.value, "install values"
    return CHART_DEFAULTS, "chart defaults"


def proxy_resources(workload: Workload, installed: tuple[Mapping[str, Any], str]) -> ProxyResources:
    container = proxy_container(workload)
    if container is not None and isinstance(container.get("resources"), Mapping):
        return _from_spec(mapping_at(container, "resources"), "pod spec")
    annotated = {key: workload.pod_annotations[name] for key, name in ANNOTATIONS.items()
                 if name in workload.pod_annotations}
    if annotated:
        return ProxyResources(
            parse_quantity(annotated.get(("requests", "cpu"))),
            parse_quantity(annotated.get(("requests", "memory"))),
            parse_quantity(annotated.get(("limits", "cpu"))),
            parse_quantity(annotated.get(("limits", "memory"))),
            "pod annotations",
        )
    values, source = installed
    return _from_spec(values, source)


def _from_spec(resources: Mapping[str, Any], source: str) -> ProxyResources:
    requests, limits = mapping_at(resources, "requests"), mapping_at(resources, "limits")
    return ProxyResources(
        parse_quantity(requests.get("cpu")),
        parse_quantity(requests.get("memory")),
        parse_quantity(limits.get("cpu")),
        parse_quantity(limits.get("memory")),
        source,
    )
