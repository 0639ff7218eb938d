"""Cluster metrics whose ``cluster_name`` label is parsed differently (delimited stats tag regex).

Envoy cluster stat names separate parts with dots, so the tag regex could not tell
where a host name without the ``.svc.cluster.local`` suffix ended and truncated the
``cluster_name`` label. With ``ENABLE_DELIMITED_STATS_TAG_REGEX`` on, a ``;`` marks
the end of the cluster name. Dashboards and alerts keyed on the old labels change
for:

* every ServiceEntry host outside ``.svc.<cluster domain>`` (the names that were
  truncated before), reported per ServiceEntry;
* a mesh config that sets ``inboundClusterStatName`` or ``outboundClusterStatName``
  (the ``;`` is appended to the custom pattern), reported on the mesh ConfigMap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters
from preflight.istio.scoping import host_list

PARAMETERS: Parameters = {}

_CUSTOM_STAT_KEYS = ("inboundClusterStatName", "outboundClusterStatName")


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    suffix = f".svc.{context.control_plane.trust_domain}"
    for entry in context.snapshot.of_kind("ServiceEntry"):
        external = [h for h in host_list(entry) if not h.endswith(suffix) and not h.endswith(".svc.cluster.local")]
        if external:
            yield Hit(
                entry.ref,
                f"ServiceEntry {entry.namespace}/{entry.name} hosts {', '.join(external)}: the cluster_name label "
                "of their Envoy cluster metrics is no longer truncated",
                source=entry.source,
            )
    for revision in context.control_plane.revisions:
        custom = [k for k in _CUSTOM_STAT_KEYS if revision.mesh_config.get(k)]
        source = revision.mesh_config_source or revision.deployment
        if custom and source is not None:
            yield Hit(
                source,
                f"istiod revision '{revision.name}' sets {', '.join(custom)}: a ';' is appended to the "
                "cluster stat name, which changes every cluster metric name it produces",
            )
