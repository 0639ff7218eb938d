"""ServiceEntries that get an automatically allocated address.

With IP auto-allocation on (``PILOT_ENABLE_IP_AUTOALLOCATE``, default from 1.25), every
ServiceEntry without ``spec.addresses`` whose hosts are not wildcards and whose
resolution is not ``NONE`` receives addresses in ``status.addresses``. Proxies that do
DNS proxying with auto allocation answer DNS for those hosts with the allocated address.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.hosts import is_wildcard
from preflight.istio.scoping import host_list
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    for entry in context.snapshot.of_kind("ServiceEntry"):
        if list_at(entry.spec, "addresses") or str(entry.spec.get("resolution", "NONE")).upper() == "NONE":
            continue
        hosts = [h for h in host_list(entry) if not is_wildcard(h)]
        if hosts:
            yield Hit(
                entry.ref,
                f"ServiceEntry {entry.namespace}/{entry.name} has no addresses: istiod will allocate one for "
                f"{', '.join(hosts)} and publish it in status.addresses",
                source=entry.source,
            )
