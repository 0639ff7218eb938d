"""The indexed look-ups answer exactly what testing every pair would (generated inputs, wildcards included)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.istio.authz import Match, Request, rule_match
from preflight.istio.hosts import HostSet, ServiceHosts, matches, resolve_short_name, service_fqdn
from preflight.istio.identity import PrincipalIndex, PrincipalPatterns, principal_matches, spiffe_id
from preflight.istio.matching import ValueIndex, ValuePatterns, value_matches
from preflight.istio.routing import SidecarVirtualServices, overlapping_virtual_services
from preflight.snapshot.interface import ServiceRef
from tests.support import snapshot_from_yaml

# A tiny alphabet, so generated keys share prefixes and suffixes and patterns hit many of them.
_KEYS = st.text(alphabet="ab./", max_size=5)


def _patterns(keys: list[str]) -> st.SearchStrategy[str]:
    pieces = st.sampled_from([k[i:j] for k in keys or [""] for i in range(len(k) + 1) for j in range(i, len(k) + 1)])
    exact = st.one_of(st.sampled_from(keys or [""]), _KEYS)
    return st.one_of(
        exact,
        st.just("*"),
        pieces.map(lambda p: "*" + p),
        pieces.map(lambda p: p + "*"),
        _KEYS.map(lambda p: "*" + p),
        _KEYS.map(lambda p: p + "*"),
        st.just("**"),
    )


@settings(max_examples=300)
@given(st.data())
def test_value_index_matches_a_scan(data: st.DataObject) -> None:
    keys = data.draw(st.lists(_KEYS, max_size=12))
    index = ValueIndex((key, position) for position, key in enumerate(keys))
    for _ in range(8):
        pattern = data.draw(_patterns(keys))
        assert index.matching(pattern) == [p for p, key in enumerate(keys) if value_matches(pattern, key)], pattern
        value = data.draw(st.one_of(_KEYS, st.sampled_from(keys or [""])))
        assert index.suffixes_of(value) == [p for p, key in enumerate(keys) if value.endswith(key)], value


_IDENTITIES = st.builds(
    spiffe_id, st.sampled_from(["cluster.local", "td.example"]), st.sampled_from(["shop", "shops", "pay"]),
    st.sampled_from(["web", "web-v2", "api", "default"]),
)  # fmt: skip


@settings(max_examples=200)
@given(st.data())
def test_principal_index_matches_principal_matches(data: st.DataObject) -> None:
    identities = data.draw(st.lists(_IDENTITIES, max_size=10))
    index = PrincipalIndex((identity, position) for position, identity in enumerate(identities))
    written = [i.removeprefix("spiffe://") for i in identities] + ["cluster.local/ns/shop/sa/web"]
    for _ in range(6):
        pattern = data.draw(_patterns(written))
        if data.draw(st.booleans()):
            pattern = "spiffe://" + pattern
        expected = [p for p, identity in enumerate(identities) if principal_matches(pattern, identity)]
        assert index.matching(pattern) == expected, pattern


_HOSTS = st.one_of(
    st.sampled_from(["reviews", "ratings", "*", "*.com", "*.example.com", "*example.com", "*.svc.cluster.local",
                     "*.shop.svc.cluster.local", "api.example.com", "example.com", "reviews.shop.svc.cluster.local",
                     "reviews.shop", "*.local"]),
    st.text(alphabet="ab.*", min_size=1, max_size=5),
)  # fmt: skip


def _virtual_services_yaml(specs: list[tuple[str, list[str], bool]]) -> str:
    documents = []
    for number, (namespace, hosts, gateway_only) in enumerate(specs):
        gateways = ", gateways: [edge/public]" if gateway_only else ""
        host_list = ", ".join(f"'{h}'" for h in hosts)
        documents.append(
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
            f"metadata: {{name: vs-{number}, namespace: {namespace}}}\nspec: {{hosts: [{host_list}]{gateways}}}\n"
        )
    return "---\n".join(documents) or "{}\n"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["shop", "billing"]), st.lists(_HOSTS, min_size=1, max_size=3), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    st.lists(_HOSTS, min_size=1, max_size=6),
)
def test_sidecar_virtual_service_index_matches_a_scan(
    specs: list[tuple[str, list[str], bool]], service_hosts: list[str]
) -> None:
    virtual_services = snapshot_from_yaml(_virtual_services_yaml(specs)).of_kind("VirtualService")
    index = SidecarVirtualServices(virtual_services)
    for host in service_hosts:
        service_host = resolve_short_name(host, "shop")
        expected = overlapping_virtual_services(service_host, virtual_services)
        assert [v.name for v in index.overlapping(service_host)] == [v.name for v in expected], service_host


@settings(max_examples=150)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "ab", "reviews"]), st.sampled_from(["shop", "b", "pay"])), max_size=8),
    st.lists(_HOSTS, min_size=1, max_size=6),
)
def test_service_hosts_lookup_matches_a_scan(names: list[tuple[str, str]], hosts: list[str]) -> None:
    services = [ServiceRef(namespace, name) for name, namespace in names]
    registry = ServiceHosts(services)
    by_fqdn = {service_fqdn(s): s for s in services}
    for host in hosts:
        fqdn = resolve_short_name(host, "shop")
        expected = sorted(s for name, s in by_fqdn.items() if matches(fqdn, name))
        assert registry.lookup(host, "shop") == expected, host


_HOST_NAMES = st.one_of(_KEYS, _KEYS.map(lambda name: "*" + name))


@settings(max_examples=400)
@given(st.lists(_HOST_NAMES, max_size=10), st.lists(_HOST_NAMES, min_size=1, max_size=8))
def test_host_set_matches_a_scan(hosts: list[str], names: list[str]) -> None:
    host_set = HostSet(hosts)
    assert bool(host_set) == bool(hosts)
    for name in names:
        assert host_set.matches_any(name) == any(matches(name, host) for host in hosts), (name, hosts)


def _principal_values(data: st.DataObject, identities: list[str], at_least: int) -> list[str]:
    """Principal values as policies write them: patterns over the identities, some with the spiffe:// scheme."""
    written = [i.removeprefix("spiffe://") for i in identities]
    values = [data.draw(_patterns(written)) for _ in range(data.draw(st.integers(at_least, 4)))]
    return [("spiffe://" + v if data.draw(st.booleans()) else v) for v in values]


@settings(max_examples=200)
@given(st.data())
def test_compiled_principal_and_namespace_checks_match_a_scan(data: st.DataObject) -> None:
    identities = data.draw(st.lists(_IDENTITIES, min_size=1, max_size=6))
    principals = _principal_values(data, identities, at_least=1)
    namespaces = [data.draw(_patterns(["shop", "shops", "pay"])) for _ in range(data.draw(st.integers(1, 3)))]
    caller = data.draw(st.one_of(st.sampled_from(identities), _IDENTITIES))
    request = Request(http=False, mtls=True, principal=caller.removeprefix("spiffe://"))
    by_principal = rule_match({"from": [{"source": {"principals": principals}}]}, "ALLOW", request)[0]
    expected = any(principal_matches(p, caller) for p in principals)
    assert (by_principal is Match.YES) is expected, (principals, caller)
    by_namespace = rule_match({"from": [{"source": {"namespaces": namespaces}}]}, "ALLOW", request)[0]
    namespace = caller.split("/ns/", 1)[1].split("/", 1)[0]
    assert (by_namespace is Match.YES) is any(value_matches(n, namespace) for n in namespaces), (namespaces, caller)


@settings(max_examples=300)
@given(st.data())
def test_compiled_values_match_a_scan(data: st.DataObject) -> None:
    keys = data.draw(st.lists(_KEYS, max_size=6))
    values = [data.draw(_patterns(keys)) for _ in range(data.draw(st.integers(0, 5)))]
    compiled = ValuePatterns(values)
    for key in [*keys, *data.draw(st.lists(_KEYS, max_size=4))]:
        assert compiled.matches(key) == any(value_matches(v, key) for v in values), (values, key)


@settings(max_examples=200)
@given(st.data())
def test_compiled_principals_match_a_scan_in_either_form(data: st.DataObject) -> None:
    identities = data.draw(st.lists(_IDENTITIES, min_size=1, max_size=6))
    values = _principal_values(data, identities, at_least=0)
    compiled = PrincipalPatterns(values)
    for identity in identities:
        for form in (identity, identity.removeprefix("spiffe://")):
            assert compiled.matches(form) == any(principal_matches(v, form) for v in values), (values, form)
