"""Revision tags, the default revision, and the proxy an injected pod carries.

Upstream: ``istioctl tag`` webhooks (labels ``istio.io/tag`` and ``istio.io/rev``); the injection
template writes ``istio.io/rev`` and ``sidecar.istio.io/status`` (with ``revision``) on the pod.
"""

from __future__ import annotations

from preflight.istio.revisions import (
    RevisionTag,
    default_revision,
    injected_proxy,
    injected_revision,
    read_revision_tags,
    resolve_revision,
    revision_webhooks,
)
from preflight.snapshot.interface import ObjectRef, Workload
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

WEBHOOKS = """
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-revision-tag-prod, labels: {istio.io/tag: prod, istio.io/rev: 1-22}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-revision-tag-default, labels: {istio.io/tag: default, istio.io/rev: 1-21}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-sidecar-injector-1-21, labels: {istio.io/rev: 1-21}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: istio-sidecar-injector-1-22, labels: {istio.io/rev: 1-22}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: half-tag, labels: {istio.io/tag: broken}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: cert-manager-webhook}
"""


def test_tags_are_webhooks_with_both_tag_and_revision_labels() -> None:
    tags = read_revision_tags(snapshot_from_yaml(WEBHOOKS))
    assert [(t.name, t.revision, t.webhook.name) for t in tags] == [
        ("default", "1-21", "istio-revision-tag-default"),
        ("prod", "1-22", "istio-revision-tag-prod"),
    ]


def test_revision_webhooks_exclude_tags_and_unrelated_webhooks() -> None:
    assert sorted(revision_webhooks(snapshot_from_yaml(WEBHOOKS))) == ["1-21", "1-22"]


def test_unlabelled_injector_is_the_default_revision() -> None:
    webhooks = revision_webhooks(
        snapshot_from_yaml(
            """
            apiVersion: admissionregistration.k8s.io/v1
            kind: MutatingWebhookConfiguration
            metadata: {name: istio-sidecar-injector}
            """
        )
    )
    assert list(webhooks) == ["default"]


def _tag(name: str, revision: str) -> RevisionTag:
    return RevisionTag(name, revision, ObjectRef("MutatingWebhookConfiguration", "", f"istio-revision-tag-{name}"))


def test_default_revision_follows_the_default_tag() -> None:
    assert default_revision((_tag("prod", "1-22"), _tag("default", "1-21")), {"1-21", "1-22", "default"}) == "1-21"


def test_without_default_tag_the_unnamed_default_revision_if_installed() -> None:
    assert default_revision((_tag("prod", "1-22"),), {"default", "1-22"}) == "default"
    assert default_revision((_tag("prod", "1-22"),), {"1-22"}) is None


def test_tag_names_resolve_to_revisions_and_revisions_stay() -> None:
    tags = (_tag("prod", "1-22"),)
    assert resolve_revision("prod", tags) == "1-22"
    assert resolve_revision("1-21", tags) == "1-21"


def _pod(annotations: str = "{}", labels: str = "{}", spec: str = "{containers: [{name: app}]}") -> Workload:
    snapshot = snapshot_from_yaml(
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: shop, labels: {labels}, "
        f"annotations: {annotations}}}\nspec: {spec}\n"
    )
    return snapshot.pods[0]


def test_injected_revision_prefers_the_injector_annotation() -> None:
    pod = _pod(annotations="{istio.io/rev: 1-22}", labels="{istio.io/rev: prod}")
    assert injected_revision(pod) == "1-22"


def test_injected_revision_reads_the_legacy_status_annotation() -> None:
    assert injected_revision(_pod(annotations="""{sidecar.istio.io/status: '{"revision":"1-20"}'}""")) == "1-20"


def test_injected_revision_falls_back_to_the_requested_label() -> None:
    unreadable = _pod(annotations="{sidecar.istio.io/status: 'not json'}", labels="{istio.io/rev: prod}")
    assert injected_revision(unreadable) == "prod"
    assert injected_revision(_pod(annotations="""{sidecar.istio.io/status: '{"revision": 3}'}""")) is None
    assert injected_revision(_pod()) is None


def test_pod_without_istio_proxy_has_no_injected_proxy() -> None:
    assert injected_proxy(_pod()) is None


def test_injected_proxy_version_comes_from_the_image_tag() -> None:
    proxy = injected_proxy(_pod(spec="{containers: [{name: istio-proxy, image: 'docker.io/istio/proxyv2:1.21.2'}]}"))
    assert proxy is not None
    assert proxy.version == parse_version("1.21.2")
    assert not proxy.native_sidecar
    assert proxy.pinned_image is None


def test_pinned_proxy_image_is_reported_and_used_when_the_image_has_no_version() -> None:
    pod = _pod(
        annotations="{sidecar.istio.io/proxyImage: 'registry.example/proxyv2:1.20.1'}",
        spec="{containers: [{name: istio-proxy, image: 'registry.example/proxyv2@sha256:abc'}]}",
    )
    proxy = injected_proxy(pod)
    assert proxy is not None
    assert proxy.pinned_image == "registry.example/proxyv2:1.20.1"
    assert proxy.version == parse_version("1.20.1")


def test_native_sidecar_is_an_init_container_restarting_always() -> None:
    native = _pod(
        spec="{initContainers: [{name: istio-proxy, image: 'istio/proxyv2:1.22.0', restartPolicy: Always}], "
        "containers: [{name: app}]}"
    )
    classic_init = _pod(
        spec="{initContainers: [{name: istio-proxy, image: 'istio/proxyv2:1.22.0'}], containers: [{name: app}]}"
    )
    native_proxy, classic_proxy = injected_proxy(native), injected_proxy(classic_init)
    assert native_proxy is not None and native_proxy.native_sidecar
    assert classic_proxy is not None and not classic_proxy.native_sidecar
