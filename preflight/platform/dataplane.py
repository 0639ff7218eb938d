"""Data-plane versions and control-plane/data-plane skew, before, during and after the canary.

Every Pod object with an ``istio-proxy`` container (or native-sidecar init container)
is grouped by the revision that injected it (its ``istio.io/rev`` annotation, else the
``sidecar.istio.io/status`` record, else its labels) and the version in its proxy
image tag (``sidecar.istio.io/proxyImage`` when the tag is not a version). A proxy is in
the supported skew when its control plane is at most one minor ahead of it and never
behind it (``knowledge/platform/platform.yaml``: ``skew``).

Phases:

* ``current``: each pod against the istiod of its own revision today.
* ``canary``: the target istiod runs as a new revision next to the current ones. Pods
  not restarted keep their revision; a pod restarted into the target revision gets the
  target proxy, except when ``sidecar.istio.io/proxyImage`` pins an older image.
* ``after-switch``: tags point at the target revision and the old control planes are
  gone, so every pod not restarted by then is served by the target istiod.

Checks (one finding per owning workload and phase, naming its pods):

* ``platform-proxy-skew`` (high): outside the skew in a phase.
* ``platform-proxy-newer`` (high): proxy newer than its control plane today.
* ``platform-proxy-stale`` (low): proxy older than its control plane today (patch
  releases count), within the skew: the pod was not restarted after the last upgrade.
* ``platform-proxy-orphaned`` (medium): the pod's revision has no istiod in the snapshot.
* ``platform-proxy-pinned-image`` (medium): ``sidecar.istio.io/proxyImage`` set, so a
  restart keeps the pinned proxy.

Only Pod objects carry running versions; a snapshot of controllers alone (a GitOps
tree) yields no groups and an ``unknown`` verdict.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from preflight.engine.finding import Finding
from preflight.istio.cluster import Cluster
from preflight.istio.revisions import InjectedProxy, RevisionTag, injected_proxy, resolve_revision
from preflight.kb.interface import Severity
from preflight.platform.facts import PlatformFacts
from preflight.platform.interface import DataPlaneReadiness, ProxyGroup, SkewPhase, Verdict, platform_finding
from preflight.snapshot.interface import ObjectRef, ServiceRef, SourceRef, Workload
from preflight.versions import IstioVersion

UNKNOWN = "unknown"
_MAX_NAMED_PODS = 5


@dataclass(frozen=True)
class _Pod:
    pod: Workload
    proxy: InjectedProxy
    revision: str
    control_plane: IstioVersion | None
    owner: ObjectRef
    services: tuple[ServiceRef, ...]


_Describe = Callable[[_Pod, int], str]


def within_skew(control_plane: IstioVersion, proxy: IstioVersion, facts: PlatformFacts) -> bool:
    """Is this proxy supported by this control plane?"""
    if control_plane.major != proxy.major:
        return False
    ahead = control_plane.minor - proxy.minor
    return -facts.data_plane_ahead_max <= ahead <= facts.control_plane_ahead_max


def check_data_plane(
    cluster: Cluster,
    tags: tuple[RevisionTag, ...],
    target: IstioVersion,
    facts: PlatformFacts,
) -> tuple[DataPlaneReadiness, list[Finding], list[str]]:
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    pods = list(_injected_pods(cluster, tags))
    notes: list[str] = []
    target_text = target.minor_text
    findings: list[Finding] = []
    if not pods:
        if any(w.pod_spec for w in snapshot.workloads) and not snapshot.of_kind("Pod"):
            notes.append("the snapshot has no Pod objects, so running proxy versions are unknown")
        readiness = DataPlaneReadiness((), _phases(target, 0, 0, 0, known=False), 0, 0, 0, Verdict.UNKNOWN)
        return readiness, findings, notes
    has_istiod = bool(control_plane.revisions)
    current_bad: list[_Pod] = []
    newer: list[_Pod] = []
    stale: list[_Pod] = []
    orphaned: list[_Pod] = []
    for pod in pods:
        version = pod.proxy.version
        if pod.control_plane is None:
            if has_istiod and control_plane.revision(pod.revision) is None:
                orphaned.append(pod)
            continue
        if version is None:
            continue
        if not within_skew(pod.control_plane, version, facts):
            (newer if version.minor_key > pod.control_plane.minor_key else current_bad).append(pod)
        elif version.as_packaging() < pod.control_plane.as_packaging():
            stale.append(pod)
    pinned = [p for p in pods if p.proxy.pinned_image]
    canary_extra = [
        p
        for p in pinned
        if p.proxy.version is not None and not within_skew(target, p.proxy.version, facts) and p not in current_bad
    ]
    after = [p for p in pods if p.proxy.version is not None and not within_skew(target, p.proxy.version, facts)]
    unknown_versions = sum(1 for p in pods if p.proxy.version is None)
    if unknown_versions:
        notes.append(f"{unknown_versions} injected pod(s) run a proxy image whose tag is not a version")
    if not has_istiod:
        notes.append("no istiod in the snapshot: the current skew cannot be checked")

    findings.extend(
        _grouped("platform-proxy-skew", current_bad, target_text, "current", _skew_message("current", target_text))
    )
    findings.extend(_grouped("platform-proxy-newer", newer, target_text, "current", _newer_message))
    findings.extend(_grouped("platform-proxy-stale", stale, target_text, "current", _stale_message))
    findings.extend(_grouped("platform-proxy-orphaned", orphaned, target_text, "current", _orphan_message))
    findings.extend(_grouped("platform-proxy-pinned-image", pinned, target_text, "canary", _pinned_message(target)))
    findings.extend(
        _grouped("platform-proxy-skew", canary_extra, target_text, "canary", _skew_message("canary", target_text))
    )
    findings.extend(
        _grouped(
            "platform-proxy-skew",
            after,
            target_text,
            "after-switch",
            _skew_message("after-switch", target_text),
        )
    )

    current_count = len(current_bad) + len(newer)
    phases = _phases(target, current_count, current_count + len(canary_extra), len(after), known=has_istiod)
    groups = _groups(pods)
    worst = max((phase.verdict for phase in phases), key=_verdict_rank)
    if stale or orphaned or pinned:
        worst = max(worst, Verdict.WARN, key=_verdict_rank)
    native = sum(1 for p in pods if p.proxy.native_sidecar)
    return DataPlaneReadiness(groups, phases, len(pods), len(stale), native, worst), findings, notes


def _verdict_rank(verdict: Verdict) -> int:
    return {Verdict.OK: 0, Verdict.UNKNOWN: 1, Verdict.WARN: 2, Verdict.FAIL: 3}[verdict]


def _phases(target: IstioVersion, current: int, canary: int, after: int, *, known: bool) -> tuple[SkewPhase, ...]:
    def verdict(count: int, phase_known: bool) -> Verdict:
        if count:
            return Verdict.FAIL
        return Verdict.OK if phase_known else Verdict.UNKNOWN

    return (
        SkewPhase("current", "each proxy against its own revision's istiod today", current, verdict(current, known)),
        SkewPhase(
            "canary",
            f"istiod {target.minor_text} installed next to the current revisions; pods not yet restarted",
            canary,
            verdict(canary, known),
        ),
        SkewPhase(
            "after-switch",
            f"old control planes removed; pods not restarted are served by istiod {target.minor_text}",
            after,
            verdict(after, True) if after or current or canary or known else Verdict.UNKNOWN,
        ),
    )


def _injected_pods(cluster: Cluster, tags: tuple[RevisionTag, ...]) -> Iterable[_Pod]:
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    for pod in snapshot.pods:
        proxy = injected_proxy(pod)
        if proxy is None:
            continue
        revision = proxy.revision or cluster.membership(pod).revision
        resolved = resolve_revision(revision, tags) if revision else UNKNOWN
        istiod = control_plane.revision(resolved)
        yield _Pod(
            pod=pod,
            proxy=proxy,
            revision=resolved,
            control_plane=istiod.version if istiod is not None else None,
            owner=_owner(pod),
            services=snapshot.services_of_pod(pod),
        )


def _owner(pod: Workload) -> ObjectRef:
    """The controller a pod belongs to: a ReplicaSet's Deployment, else its direct owner, else itself."""
    owners = pod.obj.metadata.get("ownerReferences")
    if isinstance(owners, list):
        for owner in owners:
            if not isinstance(owner, Mapping) or not owner.get("controller", True):
                continue
            kind, name = str(owner.get("kind", "")), str(owner.get("name", ""))
            hash_label = pod.pod_labels.get("pod-template-hash")
            if kind == "ReplicaSet" and hash_label and name.endswith("-" + hash_label):
                return ObjectRef("Deployment", pod.namespace, name[: -len(hash_label) - 1])
            if kind and name:
                return ObjectRef(kind, pod.namespace, name)
    return pod.ref


def _groups(pods: list[_Pod]) -> tuple[ProxyGroup, ...]:
    counts: Counter[tuple[str, str, str | None]] = Counter()
    for pod in pods:
        version = str(pod.proxy.version) if pod.proxy.version is not None else UNKNOWN
        control_plane = str(pod.control_plane) if pod.control_plane is not None else None
        counts[(pod.revision, version, control_plane)] += 1
    return tuple(
        ProxyGroup(revision, version, count, control_plane)
        for (revision, version, control_plane), count in sorted(counts.items(), key=lambda item: item[0][:2])
    )


def _grouped(
    check_id: str,
    pods: list[_Pod],
    target: str,
    phase: str,
    describe: _Describe,
) -> list[Finding]:
    by_owner: dict[ObjectRef, list[_Pod]] = defaultdict(list)
    for pod in pods:
        by_owner[pod.owner].append(pod)
    findings: list[Finding] = []
    for owner, members in sorted(by_owner.items()):
        first = members[0]
        names = sorted(p.pod.ref.name for p in members)
        shown = ", ".join(names[:_MAX_NAMED_PODS])
        if len(names) > _MAX_NAMED_PODS:
            shown += f" and {len(names) - _MAX_NAMED_PODS} more"
        services = tuple(sorted({s for p in members for s in p.services}))
        source: SourceRef | None = first.pod.obj.source
        findings.append(
            platform_finding(
                check_id,
                owner,
                describe(first, len(members)),
                target=target,
                services=services,
                source=source,
                severity=_severity(check_id, phase),
                details={
                    "phase": phase,
                    "pods": shown,
                    "pod_count": str(len(members)),
                    "revision": first.revision,
                    "proxy_version": str(first.proxy.version) if first.proxy.version else UNKNOWN,
                    "control_plane_version": str(first.control_plane) if first.control_plane else UNKNOWN,
                },
            )
        )
    return findings


def _severity(check_id: str, phase: str) -> Severity | None:
    # Out of skew only after the switch is fixed by the restarts the upgrade needs anyway;
    # it becomes a problem when the old control plane is removed first.
    if check_id == "platform-proxy-skew" and phase == "after-switch":
        return Severity.MEDIUM
    return None


def _pods(count: int) -> str:
    return "1 pod" if count == 1 else f"{count} pods"


def _skew_message(phase: str, target: str) -> _Describe:
    def describe(pod: _Pod, count: int) -> str:
        proxy = pod.proxy.version
        if phase == "current":
            return (
                f"{_pods(count)} run proxy {proxy} under istiod {pod.control_plane} "
                f"(revision '{pod.revision}'): more than one minor apart, outside the supported skew today"
            )
        if phase == "canary":
            return (
                f"{_pods(count)} pin proxy image {pod.proxy.pinned_image}: restarted into the {target} "
                f"revision during the canary they keep proxy {proxy}, outside the supported skew"
            )
        return (
            f"{_pods(count)} run proxy {proxy}: once the old control plane is removed, istiod {target} "
            "is more than one minor ahead unless they are restarted first"
        )

    return describe


def _newer_message(pod: _Pod, count: int) -> str:
    return (
        f"{_pods(count)} run proxy {pod.proxy.version}, newer than istiod {pod.control_plane} "
        f"of revision '{pod.revision}'"
    )


def _stale_message(pod: _Pod, count: int) -> str:
    return (
        f"{_pods(count)} still run proxy {pod.proxy.version} under istiod {pod.control_plane} "
        f"(revision '{pod.revision}'): not restarted since the last upgrade"
    )


def _orphan_message(pod: _Pod, count: int) -> str:
    return f"{_pods(count)} were injected by revision '{pod.revision}', which has no istiod in the snapshot"


def _pinned_message(target: IstioVersion) -> _Describe:
    def describe(pod: _Pod, count: int) -> str:
        return (
            f"{_pods(count)} pin the proxy image {pod.proxy.pinned_image} with sidecar.istio.io/proxyImage: "
            f"a restart keeps it instead of moving to the {target.minor_text} proxy"
        )

    return describe
