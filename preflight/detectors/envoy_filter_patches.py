"""EnvoyFilters whose patches depend on something a release changed or removed.

EnvoyFilters patch the configuration istiod generates, so they break silently when its
internals move. Each check in ``checks`` looks at every ``configPatches`` item of every
EnvoyFilter and reports the filter once, naming the patches concerned:

* ``vhost_name_match``: the match names a virtual host
  (``match.routeConfiguration.vhost.name``); several domains may now share one virtual
  host, so the patch can apply to more domains than before.
* ``deprecated_filter_names``: the match names a filter (``listener.filterChain.filter``
  or its ``subFilter``) by one of the legacy Envoy names given in ``deprecated_names``
  (e.g. ``envoy.router``); only canonical names (``envoy.filters.http.router``) still
  match. Only names used to *match* decide this: the name a patch gives the filter it
  inserts (``patch.value.name``, e.g. ``envoy.ratelimit`` in Istio's bookinfo rate-limit
  sample) is not looked up, so it does not make a hit.
* ``name_without_typed_config``: a filter or extension is added by its ``name`` alone,
  with no ``typed_config``; istiod no longer looks extensions up by name.
* ``xds_v2_types``: a type URL of the retired xDS v2 API (``envoy.api.v2``,
  ``envoy.config.filter.…`` and other ``.v2``/``.v2alpha`` types) appears in the patch.
* ``network_filter_ordering``: a network (TCP) filter is inserted relative to others
  (``INSERT_BEFORE``/``INSERT_AFTER``/``INSERT_FIRST``) on inbound sidecar or gateway
  listeners, where the order of Istio's own filters changed.
* ``removed_filters``: a filter whose name or type URL contains one of
  ``names_containing`` (filters dropped from the proxy build) is matched or added.

Workload scoping of the EnvoyFilter (selector, namespace, root namespace, targetRefs) is
left to the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list
from preflight.snapshot.interface import dig, list_at, mapping_at

PARAMETERS: Parameters = {
    "checks": text_list(
        "the checks described above",
        required=True,
        choices=(
            "vhost_name_match",
            "deprecated_filter_names",
            "name_without_typed_config",
            "xds_v2_types",
            "network_filter_ordering",
            "removed_filters",
        ),
    ),
    "deprecated_names": text_list("legacy Envoy filter names no longer matched (deprecated_filter_names)"),
    "names_containing": text_list("fragments of removed filter names or type URLs (removed_filters)"),
}

_V2_TYPE = re.compile(r"envoy\.api\.v2\.|envoy\.config\.filter\.|\.v2(alpha\d*)?\.|\.v2(alpha\d*)?$")
_RELATIVE_INSERTS = frozenset({"INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"})
_REORDERED_CONTEXTS = frozenset({"SIDECAR_INBOUND", "GATEWAY", "ANY", ""})
_ADDING_OPERATIONS = frozenset({"ADD", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST", "REPLACE"})


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    checks = [str(c) for c in params.get("checks") or []]
    deprecated = {str(n) for n in params.get("deprecated_names") or []}
    fragments = [str(n) for n in params.get("names_containing") or []]
    for envoy_filter in context.snapshot.of_kind("EnvoyFilter"):
        findings: list[str] = []
        for position, patch in enumerate(list_at(envoy_filter.spec, "configPatches")):
            if not isinstance(patch, Mapping):
                continue
            for check in checks:
                reason = _check(check, patch, deprecated, fragments)
                if reason:
                    findings.append(f"patch {position + 1}: {reason}")
        if findings:
            yield Hit(
                envoy_filter.ref,
                f"EnvoyFilter {envoy_filter.namespace}/{envoy_filter.name}: " + "; ".join(findings),
            )


def _check(check: str, patch: Mapping[str, Any], deprecated: set[str], fragments: list[str]) -> str | None:
    match = mapping_at(patch, "match")
    value = mapping_at(mapping_at(patch, "patch"), "value")
    operation = str(dig(patch, "patch", "operation") or "")
    if check == "vhost_name_match":
        vhost = dig(match, "routeConfiguration", "vhost", "name")
        return f"matches virtual host '{vhost}'" if vhost else None
    if check == "deprecated_filter_names":
        legacy = sorted(n for n in _matched_names(match) if n in deprecated)
        return f"matches filter(s) by legacy name(s) {', '.join(legacy)}" if legacy else None
    if check == "name_without_typed_config":
        if operation not in _ADDING_OPERATIONS:
            return None
        untyped = sorted(_untyped_extensions(value))
        return f"adds {', '.join(untyped)} by name without typed_config" if untyped else None
    if check == "xds_v2_types":
        v2 = sorted({t for t in _type_urls(value) if _V2_TYPE.search(t)})
        return f"uses xDS v2 type(s) {', '.join(v2)}" if v2 else None
    if check == "network_filter_ordering":
        applies_to = str(patch.get("applyTo") or "")
        patch_context = str(match.get("context") or "")
        relative = operation in _RELATIVE_INSERTS and patch_context in _REORDERED_CONTEXTS
        if applies_to == "NETWORK_FILTER" and relative:
            where = patch_context or "any listener"
            return f"{operation} of a network filter on {where} relies on the order of Istio's own filters"
        return None
    if check == "removed_filters":
        texts = _matched_names(match) | _inserted_names(value) | set(_type_urls(value))
        removed = sorted(t for t in texts if any(f in t for f in fragments))
        return f"uses removed filter(s) {', '.join(removed)}" if removed else None
    return None


def _matched_names(match: Mapping[str, Any]) -> set[str]:
    """The filter names a patch's match looks up in the generated configuration."""
    chain_filter = mapping_at(mapping_at(mapping_at(match, "listener"), "filterChain"), "filter")
    sub_filter = mapping_at(chain_filter, "subFilter")
    return {name for name in (chain_filter.get("name"), sub_filter.get("name")) if isinstance(name, str)}


def _inserted_names(value: Mapping[str, Any]) -> set[str]:
    """The name a patch gives the filter it adds (a label in the output, never matched against)."""
    name = value.get("name")
    return {name} if isinstance(name, str) else set()


def _untyped_extensions(node: Any) -> Iterator[str]:
    """Mappings naming an ``envoy.*``/``istio.*`` extension without any typed config."""
    if isinstance(node, Mapping):
        name = node.get("name")
        typed = any(k in node for k in ("typed_config", "typedConfig", "config_discovery", "configDiscovery"))
        if isinstance(name, str) and name.startswith(("envoy.", "istio.")) and not typed:
            yield name
        for child in node.values():
            yield from _untyped_extensions(child)
    elif isinstance(node, list):
        for child in node:
            yield from _untyped_extensions(child)


def _type_urls(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, child in node.items():
            if key in ("@type", "type_url", "typeUrl") and isinstance(child, str):
                yield child.removeprefix("type.googleapis.com/")
            else:
                yield from _type_urls(child)
    elif isinstance(node, list):
        for child in node:
            yield from _type_urls(child)
