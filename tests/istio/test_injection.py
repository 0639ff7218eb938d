from preflight.istio.injection import has_conflicting_labels, membership, namespace_revision
from preflight.snapshot.model import workload_of
from tests.support import snapshot_from_yaml


def pod(labels: str = "{}", annotations: str = "{}", containers: str = "[{name: app}]") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: shop, labels: {labels}, annotations: {annotations}}}
spec: {{containers: {containers}}}
"""


def member(pod_text: str, namespace_labels: dict[str, str]):  # type: ignore[no-untyped-def]
    snapshot = snapshot_from_yaml(pod_text)
    workload = workload_of(snapshot.of_kind("Pod")[0])
    assert workload is not None
    return membership(workload, namespace_labels)


def test_istio_injection_enabled_injects_the_default_revision() -> None:
    assert namespace_revision({"istio-injection": "enabled"}) == "default"
    assert member(pod(), {"istio-injection": "enabled"}).revision == "default"


def test_istio_injection_wins_over_a_revision_label_and_the_conflict_is_visible() -> None:
    labels = {"istio-injection": "enabled", "istio.io/rev": "canary"}
    assert namespace_revision(labels) == "default"
    assert has_conflicting_labels(labels)


def test_revision_label_injects_that_revision() -> None:
    assert namespace_revision({"istio.io/rev": "1-22"}) == "1-22"


def test_injection_disabled_namespace_is_not_in_the_mesh() -> None:
    assert not member(pod(), {"istio-injection": "disabled"}).in_mesh


def test_pod_opt_out_label_wins_over_the_namespace() -> None:
    result = member(pod(labels='{"sidecar.istio.io/inject": "false"}'), {"istio-injection": "enabled"})
    assert not result.in_mesh


def test_pod_opt_in_without_namespace_label_uses_the_default_revision() -> None:
    result = member(pod(labels='{"sidecar.istio.io/inject": "true"}'), {})
    assert result.in_mesh and result.revision == "default"


def test_pod_revision_label_opts_in_to_that_revision() -> None:
    assert member(pod(labels='{"istio.io/rev": "canary"}'), {}).revision == "canary"


def test_an_already_injected_pod_is_in_the_mesh_whatever_its_labels() -> None:
    containers = "[{name: app}, {name: istio-proxy}]"
    result = member(pod(labels='{"sidecar.istio.io/inject": "false"}', containers=containers), {})
    assert result.mode == "sidecar"


def test_ambient_namespace_puts_pods_in_ambient_mode_unless_they_opt_out() -> None:
    assert member(pod(), {"istio.io/dataplane-mode": "ambient"}).mode == "ambient"
    opted_out = pod(labels='{"istio.io/dataplane-mode": "none"}')
    assert member(opted_out, {"istio.io/dataplane-mode": "ambient"}).mode == "none"


def test_host_network_pods_are_never_injected_or_captured() -> None:
    host_network = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec: {hostNetwork: true, containers: [{name: app}]}
"""
    assert not member(host_network, {"istio-injection": "enabled"}).in_mesh
    assert not member(host_network, {"istio.io/dataplane-mode": "ambient"}).in_mesh
