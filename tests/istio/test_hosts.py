from preflight.istio.hosts import ServiceHosts, matches, more_specific, resolve_short_name, subset_of
from preflight.snapshot.interface import ServiceRef


def test_short_names_resolve_against_the_resource_namespace() -> None:
    assert resolve_short_name("reviews", "shop") == "reviews.shop.svc.cluster.local"


def test_names_with_a_dot_are_taken_as_written_like_istiod_does() -> None:
    # istiod's ResolveShortnameToFQDN only expands names without a dot.
    assert resolve_short_name("reviews.shop", "other") == "reviews.shop"
    assert resolve_short_name("api.example.com", "shop") == "api.example.com"


def test_wildcards_and_ip_addresses_are_not_expanded() -> None:
    assert resolve_short_name("*", "shop") == "*"
    assert resolve_short_name("10.0.0.1", "shop") == "10.0.0.1"
    assert resolve_short_name("*.example.com", "shop") == "*.example.com"


def test_wildcard_matches_any_name_under_its_suffix() -> None:
    assert matches("*.example.com", "api.example.com")
    assert matches("*.example.com", "a.b.example.com")
    assert not matches("*.example.com", "example.com")
    assert matches("*", "anything.at.all")


def test_two_wildcards_match_when_one_suffix_contains_the_other() -> None:
    assert matches("*.example.com", "*.api.example.com")
    assert not matches("*.example.com", "*.example.org")


def test_subset_is_directional() -> None:
    assert subset_of("*.api.example.com", "*.example.com")
    assert not subset_of("*.example.com", "*.api.example.com")
    assert subset_of("api.example.com", "*.example.com")


def test_exact_beats_wildcard_and_longer_wildcard_beats_shorter() -> None:
    assert more_specific("api.example.com", "*.example.com")
    assert more_specific("*.api.example.com", "*.example.com")
    assert not more_specific("*.example.com", "*.api.example.com")


def test_service_hosts_look_up_short_names_fqdns_and_wildcards() -> None:
    hosts = ServiceHosts([ServiceRef("shop", "api"), ServiceRef("shop", "web"), ServiceRef("pay", "api")])
    assert hosts.lookup("api", "shop") == [ServiceRef("shop", "api")]
    assert hosts.lookup("api.pay.svc.cluster.local", "shop") == [ServiceRef("pay", "api")]
    assert hosts.lookup("*.shop.svc.cluster.local", "pay") == [ServiceRef("shop", "api"), ServiceRef("shop", "web")]
    assert hosts.lookup("api.shop", "pay") == []
