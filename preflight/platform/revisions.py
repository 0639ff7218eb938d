"""Revisions, revision tags and the injection labels that point at them.

Reads istiod revisions (``preflight.istio.control_plane``), revision tags and revision
webhooks (``preflight.istio.revisions``), and the ``istio-injection`` / ``istio.io/rev``
labels of namespaces and pod templates (``preflight.istio.injection``).

Checks:

* ``platform-revision-conflicting-labels`` (medium): a namespace carries both
  ``istio-injection`` and ``istio.io/rev``; the first wins, the second is ignored.
* ``platform-revision-pinned`` (low): a namespace or pod template names a revision
  directly instead of a tag, so switching a tag will not move it: it needs relabelling.
* ``platform-revision-missing`` (high): a label names a revision or tag that the
  snapshot has neither an istiod nor a webhook for (or ``istio-injection=enabled``
  with no default revision), so new pods there are not injected.

The missing check runs only when the snapshot shows some control plane, so a
snapshot of application namespaces alone does not report every label as missing.
"""

from __future__ import annotations

from collections import defaultdict

from preflight.engine.finding import Finding
from preflight.istio.control_plane import ControlPlane, is_istiod
from preflight.istio.injection import has_conflicting_labels, namespace_revision
from preflight.istio.revisions import (
    DEFAULT_REVISION,
    REVISION_LABEL,
    RevisionTag,
    default_revision,
    resolve_revision,
    revision_webhooks,
)
from preflight.platform.interface import RevisionReadiness, RevisionSummary, Verdict, platform_finding
from preflight.snapshot.interface import ObjectRef, ServiceRef, SourceRef
from preflight.snapshot.model import Snapshot


def check_revisions(
    snapshot: Snapshot,
    control_plane: ControlPlane,
    tags: tuple[RevisionTag, ...],
    target: str,
) -> tuple[RevisionReadiness, list[Finding]]:
    webhooks = revision_webhooks(snapshot)
    known_revisions = {r.name for r in control_plane.revisions} | set(webhooks)
    tag_names = {t.name for t in tags}
    default = default_revision(tags, known_revisions)
    control_plane_visible = bool(known_revisions or tags)
    findings: list[Finding] = []
    pinned: list[str] = []
    conflicting: list[str] = []
    namespaces_of: dict[str, list[str]] = defaultdict(list)

    for namespace, labels in snapshot.namespace_labels.items():
        ns_obj = snapshot.get("Namespace", "", namespace)
        ref = ns_obj.ref if ns_obj is not None else ObjectRef("Namespace", "", namespace)
        source = ns_obj.source if ns_obj is not None else None
        services = tuple(snapshot.services_by_namespace.get(namespace, ()))
        if has_conflicting_labels(labels):
            conflicting.append(namespace)
            findings.append(
                platform_finding(
                    "platform-revision-conflicting-labels",
                    ref,
                    f"namespace {namespace} has istio-injection={labels['istio-injection']} and "
                    f"istio.io/rev={labels[REVISION_LABEL]}: istio-injection decides, "
                    "the revision label is ignored",
                    target=target,
                    services=services,
                    source=source,
                )
            )
        asked = namespace_revision(labels)
        if asked is None:
            continue
        via_default = labels.get("istio-injection") == "enabled"
        resolved = (default or DEFAULT_REVISION) if via_default else resolve_revision(asked, tags)
        namespaces_of[resolved].append(namespace)
        if not via_default and asked not in tag_names:
            pinned.append(namespace)
            findings.append(_pinned(ref, f"namespace {namespace}", asked, bool(tags), target, services, source))
        if control_plane_visible and (
            (via_default and default is None) or (not via_default and resolved not in known_revisions)
        ):
            label = "istio-injection=enabled" if via_default else f"istio.io/rev={asked}"
            findings.append(_missing(ref, f"namespace {namespace}", label, target, services, source))

    for workload in snapshot.workloads:
        asked_by_pod = workload.pod_labels.get(REVISION_LABEL)
        # istiod labels its own pods with the revision it serves; that is not an injection request.
        if not asked_by_pod or (workload.obj.kind == "Deployment" and is_istiod(workload.obj)):
            continue
        services = snapshot.services_of_workload(workload)
        if asked_by_pod not in tag_names:
            findings.append(
                _pinned(
                    workload.ref,
                    str(workload.ref),
                    asked_by_pod,
                    bool(tags),
                    target,
                    services,
                    workload.obj.source,
                )
            )
        if control_plane_visible and resolve_revision(asked_by_pod, tags) not in known_revisions:
            findings.append(
                _missing(
                    workload.ref,
                    str(workload.ref),
                    f"istio.io/rev={asked_by_pod}",
                    target,
                    services,
                    workload.obj.source,
                )
            )

    summaries = tuple(
        RevisionSummary(
            name=name,
            version=_version_of(control_plane, name),
            tags=tuple(sorted(t.name for t in tags if t.revision == name)),
            namespaces=tuple(sorted(namespaces_of.get(name, ()))),
        )
        for name in sorted(known_revisions | {t.revision for t in tags}, key=lambda n: (n != default, n))
    )
    blocking = any(f.change == "platform-revision-missing" for f in findings)
    if blocking:
        verdict = Verdict.FAIL
    elif findings:
        verdict = Verdict.WARN
    elif not control_plane_visible:
        verdict = Verdict.UNKNOWN
    else:
        verdict = Verdict.OK
    readiness = RevisionReadiness(summaries, default, tuple(sorted(pinned)), tuple(sorted(conflicting)), verdict)
    return readiness, findings


def _version_of(control_plane: ControlPlane, name: str) -> str | None:
    revision = control_plane.revision(name)
    return str(revision.version) if revision is not None and revision.version is not None else None


def _pinned(
    ref: ObjectRef,
    what: str,
    revision: str,
    tags_exist: bool,
    target: str,
    services: tuple[ServiceRef, ...],
    source: SourceRef | None,
) -> Finding:
    reason = (
        "switching a revision tag will not move it"
        if tags_exist
        else "there are no revision tags, so it moves only when relabelled"
    )
    return platform_finding(
        "platform-revision-pinned",
        ref,
        f"{what} is labelled istio.io/rev={revision}, a revision rather than a tag: {reason}",
        target=target,
        services=services,
        source=source,
        details={"revision": revision},
    )


def _missing(
    ref: ObjectRef,
    what: str,
    label: str,
    target: str,
    services: tuple[ServiceRef, ...],
    source: SourceRef | None,
) -> Finding:
    return platform_finding(
        "platform-revision-missing",
        ref,
        f"{what} asks for injection with {label}, but no such revision or tag is installed: "
        "pods created there are not injected",
        target=target,
        services=services,
        source=source,
        details={"label": label},
    )
