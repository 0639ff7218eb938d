"""Which namespace's service a sidecar picks for a host defined in several namespaces.

Upstream: ``pilot/pkg/model/sidecar.go`` ``pickFirstVisibleNamespace`` (alphabetical) and
``pickBestVisibleNamespace`` (a Kubernetes Service, else the oldest ServiceEntry).
"""

from __future__ import annotations

from preflight.istio.service_registry import (
    HostDefinition,
    host_definitions,
    pick_best_namespace,
    pick_first_namespace,
    services_named,
)
from preflight.snapshot.model import Snapshot
from tests.support import snapshot_from_yaml


def _service_entry(name: str, namespace: str, hosts: str, created: str = "", extra: str = "") -> str:
    created_field = f", creationTimestamp: '{created}'" if created else ""
    return (
        f"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
        f"metadata: {{name: {name}, namespace: {namespace}{created_field}}}\nspec: {{hosts: {hosts}{extra}}}\n"
    )


def _service(name: str, namespace: str) -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {namespace}}}\nspec: {{}}\n"


def _definitions(*documents: str) -> dict[str, list[HostDefinition]]:
    snapshot: Snapshot = snapshot_from_yaml("---\n".join(documents))
    return dict(host_definitions(snapshot))


def test_services_define_their_fqdn_and_service_entries_their_hosts() -> None:
    found = _definitions(
        _service("ledger", "billing"),
        _service_entry("ext", "egress", "[API.Example.com, '*.wild.example.com']"),
    )
    assert sorted(found) == ["api.example.com", "ledger.billing.svc.cluster.local"]
    (ledger,) = found["ledger.billing.svc.cluster.local"]
    assert (ledger.namespace, ledger.kubernetes) == ("billing", True)
    (entry,) = found["api.example.com"]
    assert (entry.namespace, entry.kubernetes) == ("egress", False)


def test_service_entries_exported_only_to_their_namespace_are_left_out() -> None:
    found = _definitions(
        _service_entry("private", "a", "[api.example.com]", extra=", exportTo: ['.']"),
        _service_entry("public", "b", "[api.example.com]", extra=", exportTo: ['*']"),
    )
    assert [d.namespace for d in found["api.example.com"]] == ["b"]


def test_old_rule_picks_the_alphabetically_first_namespace() -> None:
    found = _definitions(
        _service_entry("se", "alpha", "[ledger.billing.svc.cluster.local]"),
        _service("ledger", "billing"),
    )
    assert pick_first_namespace(found["ledger.billing.svc.cluster.local"]) == "alpha"


def test_new_rule_prefers_a_kubernetes_service() -> None:
    found = _definitions(
        _service_entry("se", "alpha", "[ledger.billing.svc.cluster.local]", created="2020-01-01T00:00:00Z"),
        _service("ledger", "billing"),
    )
    definitions = found["ledger.billing.svc.cluster.local"]
    assert pick_best_namespace(definitions) == "billing"
    assert [str(s) for s in services_named(definitions)] == ["billing/ledger"]


def test_new_rule_without_kubernetes_service_picks_the_oldest_service_entry() -> None:
    found = _definitions(
        _service_entry("a", "alpha", "[api.example.com]", created="2024-01-01T00:00:00Z"),
        _service_entry("z", "zulu", "[api.example.com]", created="2022-06-01T00:00:00Z"),
    )
    definitions = found["api.example.com"]
    assert pick_best_namespace(definitions) == "zulu"
    assert pick_first_namespace(definitions) == "alpha"
    assert services_named(definitions) == ()


def test_new_rule_cannot_tell_without_creation_times() -> None:
    found = _definitions(
        _service_entry("a", "alpha", "[api.example.com]", created="2024-01-01T00:00:00Z"),
        _service_entry("z", "zulu", "[api.example.com]"),
    )
    assert pick_best_namespace(found["api.example.com"]) is None
