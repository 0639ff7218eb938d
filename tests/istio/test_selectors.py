from preflight.istio.selectors import LabelIndex, matches_label_selector, workload_selector_labels


def test_policy_selector_uses_match_labels() -> None:
    assert workload_selector_labels({"selector": {"matchLabels": {"app": "api"}}}) == {"app": "api"}


def test_sidecar_and_envoy_filter_select_with_workload_selector_labels() -> None:
    assert workload_selector_labels({"workloadSelector": {"labels": {"app": "api"}}}) == {"app": "api"}


def test_no_or_empty_selector_means_namespace_wide() -> None:
    assert workload_selector_labels({}) is None
    assert workload_selector_labels({"selector": {"matchLabels": {}}}) is None
    assert workload_selector_labels({"selector": "not a mapping"}) is None


def test_kubernetes_label_selector_expressions() -> None:
    selector = {
        "matchLabels": {"app": "api"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["web", "api"]},
            {"key": "legacy", "operator": "DoesNotExist"},
        ],
    }
    assert matches_label_selector(selector, {"app": "api", "tier": "web"})
    assert not matches_label_selector(selector, {"app": "api", "tier": "db"})
    assert not matches_label_selector(selector, {"app": "api", "tier": "web", "legacy": "yes"})
    assert matches_label_selector({}, {"anything": "goes"})


def test_unknown_operator_matches_nothing() -> None:
    assert not matches_label_selector({"matchExpressions": [{"key": "a", "operator": "Gt"}]}, {"a": "1"})


def test_label_index_selects_items_carrying_every_pair() -> None:
    index = LabelIndex([("a", {"app": "api", "v": "1"}), ("b", {"app": "api", "v": "2"}), ("c", {"app": "web"})])
    assert index.select({"app": "api"}) == ["a", "b"]
    assert index.select({"app": "api", "v": "2"}) == ["b"]
    assert index.select({"app": "db"}) == []
    assert index.select({}) == ["a", "b", "c"]
