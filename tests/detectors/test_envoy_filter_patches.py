from collections.abc import Mapping

from tests.support import run_detector

FILTER = """
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {{name: custom, namespace: shop}}
spec:
  configPatches:
{patches}
"""

VHOST = """
  - applyTo: HTTP_ROUTE
    match: {context: SIDECAR_OUTBOUND, routeConfiguration: {vhost: {name: "reviews:80"}}}
    patch: {operation: MERGE, value: {decorator: {operation: reviews}}}
"""

LEGACY_AND_UNTYPED = """
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        filterChain: {filter: {name: envoy.http_connection_manager, subFilter: {name: envoy.router}}}
    patch:
      operation: INSERT_BEFORE
      value: {name: envoy.lua}
"""

CANONICAL_TYPED = """
  - applyTo: HTTP_FILTER
    match:
      context: SIDECAR_INBOUND
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter: {name: envoy.filters.http.router}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.filters.http.lua
        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua, inlineCode: "x"}
"""

V2 = """
  - applyTo: HTTP_FILTER
    match: {context: GATEWAY}
    patch:
      operation: INSERT_FIRST
      value:
        name: envoy.filters.http.lua
        typed_config: {"@type": type.googleapis.com/envoy.config.filter.http.lua.v2.Lua}
"""

TCP_ORDER = """
  - applyTo: NETWORK_FILTER
    match:
      context: SIDECAR_INBOUND
      listener: {filterChain: {filter: {name: envoy.filters.network.tcp_proxy}}}
    patch:
      operation: INSERT_BEFORE
      value:
        name: istio.tcp_cluster_rewrite
        typed_config:
          "@type": type.googleapis.com/istio.envoy.config.filter.network.tcp_cluster_rewrite.v2alpha1.Config
"""

LEGACY = ["envoy.http_connection_manager", "envoy.router", "envoy.lua"]


def _run(patches: str, params: Mapping[str, object]) -> list[str]:
    return [h.message for h in run_detector("envoy_filter_patches", FILTER.format(patches=patches), params)]


def test_vhost_name_match() -> None:
    assert "virtual host 'reviews:80'" in _run(VHOST, {"checks": ["vhost_name_match"]})[0]
    assert _run(CANONICAL_TYPED, {"checks": ["vhost_name_match"]}) == []


def test_legacy_names_and_untyped_extensions() -> None:
    params = {"checks": ["deprecated_filter_names", "name_without_typed_config"], "deprecated_names": LEGACY}
    message = _run(LEGACY_AND_UNTYPED, params)[0]
    assert "legacy name(s) envoy.http_connection_manager, envoy.router;" in message  # matched, not envoy.lua
    assert "adds envoy.lua by name without typed_config" in message
    assert _run(CANONICAL_TYPED, params) == []


def test_xds_v2_type_urls() -> None:
    assert "envoy.config.filter.http.lua.v2.Lua" in _run(V2, {"checks": ["xds_v2_types"]})[0]
    assert _run(CANONICAL_TYPED, {"checks": ["xds_v2_types"]}) == []


def test_network_filter_ordering_and_removed_filters() -> None:
    params = {
        "checks": ["network_filter_ordering", "removed_filters"],
        "names_containing": ["tcp_cluster_rewrite"],
    }
    message = _run(TCP_ORDER, params)[0]
    assert "INSERT_BEFORE of a network filter on SIDECAR_INBOUND" in message
    assert "istio.tcp_cluster_rewrite" in message
    assert _run(CANONICAL_TYPED, params) == []


# Written after Istio's bookinfo rate-limit sample (samples/bookinfo/policy/productpage_envoy_ratelimit.yaml,
# e.g. at tag 1.24.0): the match names canonical filters; only the filter it inserts is called envoy.ratelimit.
BOOKINFO_RATELIMIT = """
  - applyTo: HTTP_FILTER
    match:
      context: GATEWAY
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter: {name: envoy.filters.http.router}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.ratelimit
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit
          domain: productpage-ratelimit
  - applyTo: CLUSTER
    match: {cluster: {service: ratelimit.default.svc.cluster.local}}
    patch: {operation: ADD, value: {name: rate_limit_cluster, type: STRICT_DNS}}
"""


def test_only_names_used_to_match_decide_the_canonical_names_change() -> None:
    params = {"checks": ["deprecated_filter_names"], "deprecated_names": ["envoy.ratelimit", "envoy.router"]}
    assert _run(BOOKINFO_RATELIMIT, params) == []
    legacy_match = BOOKINFO_RATELIMIT.replace("subFilter: {name: envoy.filters.http.router}",
                                              "subFilter: {name: envoy.router}")
    (message,) = _run(legacy_match, params)
    assert "patch 1: matches filter(s) by legacy name(s) envoy.router" in message
    assert "envoy.ratelimit" not in message
