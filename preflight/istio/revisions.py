"""Revision tags, the default revision, and what an injected pod runs.

* A revision tag is a MutatingWebhookConfiguration labelled ``istio.io/tag=<tag>`` and
  ``istio.io/rev=<revision>`` (``istioctl tag set`` names it ``istio-revision-tag-<tag>``).
  Namespaces or pods labelled ``istio.io/rev=<tag>`` are injected by the tag's revision,
  so switching the tag moves them on their next restart.
* The default revision (used by ``istio-injection=enabled`` and ``sidecar.istio.io/inject=true``)
  is the one the ``default`` tag points at; without that tag, the unnamed ``default`` revision.
* The injector writes the revision it injected with into the pod's ``istio.io/rev``
  annotation (older injectors: the ``revision`` field of the ``sidecar.istio.io/status``
  JSON annotation); a pod label of the same name is what the user asked for.
* The proxy version is the tag of the ``istio-proxy`` container's image (a native sidecar
  is an init container of that name); ``sidecar.istio.io/proxyImage`` pins the image a
  pod gets at injection, so a restart does not move it to the new revision's proxy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from preflight.istio.injection import PROXY_CONTAINER, proxy_container
from preflight.snapshot.interface import K8sObject, ObjectRef, Workload, list_at
from preflight.snapshot.model import Snapshot
from preflight.versions import IstioVersion, version_from_image

TAG_LABEL = "istio.io/tag"
REVISION_LABEL = "istio.io/rev"
DEFAULT_REVISION = "default"
PROXY_IMAGE_ANNOTATION = "sidecar.istio.io/proxyImage"
SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status"


@dataclass(frozen=True)
class RevisionTag:
    name: str
    revision: str  # the revision the tag points at
    webhook: ObjectRef


@dataclass(frozen=True)
class InjectedProxy:
    """The proxy an injected pod (or pod template) carries."""

    image: str | None
    version: IstioVersion | None
    revision: str | None  # the revision that injected it, when recorded
    native_sidecar: bool  # an init container with restartPolicy Always
    pinned_image: str | None  # the sidecar.istio.io/proxyImage annotation


def read_revision_tags(snapshot: Snapshot) -> tuple[RevisionTag, ...]:
    tags: list[RevisionTag] = []
    for webhook in snapshot.of_kind("MutatingWebhookConfiguration"):
        tag = webhook.labels.get(TAG_LABEL)
        revision = webhook.labels.get(REVISION_LABEL)
        if tag and revision:
            tags.append(RevisionTag(tag, revision, webhook.ref))
    return tuple(sorted(tags, key=lambda t: t.name))


def revision_webhooks(snapshot: Snapshot) -> dict[str, K8sObject]:
    """Injection webhooks of revisions themselves (not tags), by revision name."""
    found: dict[str, K8sObject] = {}
    for webhook in snapshot.of_kind("MutatingWebhookConfiguration"):
        if TAG_LABEL in webhook.labels:
            continue
        revision = webhook.labels.get(REVISION_LABEL)
        if revision:
            found[revision] = webhook
        elif webhook.name == "istio-sidecar-injector":
            found.setdefault(DEFAULT_REVISION, webhook)
    return found


def default_revision(tags: tuple[RevisionTag, ...], revision_names: set[str]) -> str | None:
    """The revision that ``istio-injection=enabled`` namespaces are injected by."""
    for tag in tags:
        if tag.name == DEFAULT_REVISION:
            return tag.revision
    return DEFAULT_REVISION if DEFAULT_REVISION in revision_names else None


def resolve_revision(name: str, tags: tuple[RevisionTag, ...]) -> str:
    """A tag name resolved to its revision; a revision name unchanged."""
    for tag in tags:
        if tag.name == name:
            return tag.revision
    return name


def injected_proxy(workload: Workload) -> InjectedProxy | None:
    """The pod's istio-proxy, or ``None`` when it has none."""
    container = proxy_container(workload)
    if container is None:
        return None
    image = container.get("image")
    image_text = str(image) if image else None
    pinned = workload.pod_annotations.get(PROXY_IMAGE_ANNOTATION)
    version = version_from_image(image_text) if image_text else None
    if version is None and pinned:
        version = version_from_image(pinned)
    return InjectedProxy(
        image=image_text,
        version=version,
        revision=injected_revision(workload),
        native_sidecar=_is_native_sidecar(workload),
        pinned_image=pinned,
    )


def injected_revision(workload: Workload) -> str | None:
    """The revision recorded by the injector, else the one the pod's label asks for."""
    annotated = workload.pod_annotations.get(REVISION_LABEL)
    if annotated:
        return annotated
    status = workload.pod_annotations.get(SIDECAR_STATUS_ANNOTATION)
    if status:
        try:
            parsed = json.loads(status)
        except ValueError:
            parsed = None
        if isinstance(parsed, Mapping) and isinstance(parsed.get("revision"), str) and parsed["revision"]:
            return str(parsed["revision"])
    return workload.pod_labels.get(REVISION_LABEL) or None


def _is_native_sidecar(workload: Workload) -> bool:
    for container in list_at(workload.pod_spec, "initContainers"):
        if isinstance(container, Mapping) and container.get("name") == PROXY_CONTAINER:
            return container.get("restartPolicy") == "Always"
    return False
