"""Proposing a canary upgrade: which namespaces move to the new revision, in which order.

Istio's canary upgrade installs the target as a second revision and moves namespaces by
relabelling them (``istio.io/rev``) and restarting their workloads. The plan:

* revision name: the target version with dashes (``1.24.2`` → ``1-24-2``), Istio's usual naming;
* when the snapshot uses revision tags, namespaces are moved with a ``canary`` tag pointed
  at the new revision, and at the end every tag that pointed at an old revision is moved
  to the new one (namespaces labelled with a tag then need no relabel to go back);
* without tags, namespaces are labelled with the new revision itself, and the ``default``
  tag is pointed at it at the end so ``istio-injection=enabled`` and
  ``sidecar.istio.io/inject=true`` keep injecting the new proxy;
* ``istio-injection`` wins over ``istio.io/rev``, so it is removed when a namespace moves;
* waves: namespaces no affected finding touches, then low risk, then medium, then — held
  back until their fix is in — those with findings at or above the gate threshold.
  Waived and mitigated findings do not raise a namespace's risk. A finding with no
  namespace (a mesh-wide one) is in the notes: it moves with the control plane.
* a change the report calls mesh-wide (``Report.mesh_wide``: it reaches nearly every meshed
  service) is one step before the first wave, fixed or flagged once; it raises no namespace's
  risk, since holding one namespace back would not avoid it;
* a path longer than one canary upgrade may jump (two minors, see ``preflight.plan.stops``) is
  cut into stops; every stop is a canary of its own (install, waves, finish), and namespaces
  move with the ``canary`` tag so that the wave commands are the same at every stop;
* the revision each namespace's proxies were injected by is read from its Pods, or, when the
  snapshot has no Pods (a GitOps tree), from the workloads' pod templates; the plan says which.
* the control-plane namespace is not in a wave: its gateways are upgraded with the install.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.engine.mesh_wide import MeshWideChange
from preflight.istio.cluster import Cluster
from preflight.istio.control_plane import ControlPlane
from preflight.istio.revisions import (
    REVISION_LABEL,
    RevisionTag,
    injected_proxy,
    injected_revision,
    read_revision_tags,
    resolve_revision,
)
from preflight.kb.interface import Severity
from preflight.plan.interface import CanaryPlan, MeshWideStep, NamespaceMove, Risk, Stop, Wave
from preflight.plan.owners import team_of
from preflight.plan.stops import upgrade_stops
from preflight.platform.facts import bundled_facts
from preflight.snapshot.model import Snapshot
from preflight.versions import parse_version

CANARY_TAG = "canary"
_WAVES = (
    (Risk.NONE, "No affected service", "Nothing on this path changes how these namespaces behave."),
    (Risk.LOW, "Low risk", "Only low or informational findings: watch them after the restart."),
    (Risk.MEDIUM, "Medium risk", "Findings below the gate: read them, then move and watch."),
    (Risk.HELD, "Held back until fixed", "Findings at or above the gate: apply the fix (or the flag that "
     "keeps the old behaviour) first, then move."),
)


def revision_name(version: str) -> str:
    return version.replace(".", "-")


def canary_plan(cluster: Cluster, report: Report) -> CanaryPlan:
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    tags = read_revision_tags(snapshot)
    new_revision = revision_name(report.target_version)
    stops = upgrade_stops(report, revision_name)
    move_label = CANARY_TAG if tags or len(stops) > 1 else new_revision
    mesh_wide = {change.change for change in report.mesh_wide}
    risks = _namespace_risk((f for f in _open_findings(report) if f.change not in mesh_wide), report.fail_on)
    meshed = _meshed_workloads(cluster)
    injected, injected_from_pods = _injected_revisions(cluster, tags)
    moves_by_risk: dict[Risk, list[NamespaceMove]] = defaultdict(list)
    old_revisions: set[str] = set()
    for namespace, workloads in sorted(meshed.items()):
        labels = snapshot.namespace_labels.get(namespace, {})
        risk, worst, blocking = risks.get(namespace, (Risk.NONE, None, ()))
        label = _current_label(labels)
        current = _current_revision(labels, tags)
        if current:
            old_revisions.add(current)
        pinned = tuple(sorted(name for name, pod_revision in workloads.items() if pod_revision))
        restart = tuple(sorted(workloads))
        moves_by_risk[risk].append(
            NamespaceMove(
                namespace=namespace,
                team=team_of(report.teams, namespace),
                risk=risk,
                worst=worst,
                current_label=label,
                current_revision=current,
                workloads=restart,
                blocking=blocking,
                commands=_move_commands(namespace, labels, move_label, restart),
                pinned_pods=pinned,
                injected_revisions=tuple(sorted(injected.get(namespace, set()))),
            )
        )
    waves: list[Wave] = []
    for risk, title, why in _WAVES:
        if moves_by_risk.get(risk):
            waves.append(Wave(len(waves) + 1, title, why, tuple(moves_by_risk[risk])))
    notes = list(_notes(report, cluster, moves_by_risk))
    notes += _data_plane_notes(injected, injected_from_pods, control_plane, stops[0].target, snapshot)
    old = tuple(sorted(old_revisions)) or tuple(r.name for r in control_plane.revisions)
    use_tags = bool(tags) or len(stops) > 1
    # The tags to point at each new revision: those that pointed at an old revision, else "default".
    moved_tags = [t.name for t in tags if t.name != CANARY_TAG and t.revision in old]
    if not tags and (control_plane.revision("default") is not None or "default" in old):
        moved_tags = ["default"]
    planned = []
    previous_revisions = old
    for stop in stops:
        planned.append(replace(
            stop,
            preparation=_preparation(stop.target, stop.revision, use_tags, control_plane),
            finish=_finish(stop.revision, moved_tags, previous_revisions, control_plane),
        ))
        previous_revisions = (stop.revision,)
    return CanaryPlan(
        old_revisions=old,
        new_revision=new_revision,
        move_label=move_label,
        tags=tuple(f"{t.name} → {t.revision}" for t in tags),
        preparation=planned[0].preparation,
        waves=tuple(waves),
        finish=planned[0].finish,
        notes=tuple(notes),
        stops=tuple(planned),
        mesh_wide=tuple(_mesh_wide_step(report, change, planned) for change in report.mesh_wide),
    )


def _mesh_wide_step(report: Report, change: MeshWideChange, stops: Iterable[Stop]) -> MeshWideStep:
    entry = report.entries.get(change.change)
    if entry is None:
        action = change.example.message
    elif entry.mitigation.text and change.change not in report.platform_entries:  # a platform has no old behaviour
        action = f"fix: {entry.remediation.rstrip('.')}; or keep the old behaviour: {entry.mitigation.text}"
    else:
        action = f"fix: {entry.remediation.rstrip('.')}"
    # Not earlier than the stop that brings it: a fix may need an API the versions before it lack.
    stop = next((s.number for s in stops if change.change in s.changes), 1)
    return MeshWideStep(change.change, change.severity, f"{change.services} of {change.meshed_services} meshed "
                        "services", action, stop)


def _injected_revisions(cluster: Cluster, tags: tuple[RevisionTag, ...]) -> tuple[Mapping[str, set[str]], bool]:
    """Namespace → the revisions its sidecars were injected by, and whether Pods (not templates) said so.

    Without Pods, a workload's pod template is the only record: a label or annotation the manifest
    carries (``istio.io/rev``, a ``sidecar.istio.io/status`` copied from a live object), else nothing.
    """
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    control_namespaces = {r.namespace for r in control_plane.revisions} | {control_plane.root_namespace}
    pods = snapshot.pods
    from_pods = bool(pods)
    found: dict[str, set[str]] = defaultdict(set)
    for workload in pods or snapshot.workloads:
        if workload.namespace in control_namespaces:
            continue
        injected = injected_proxy(workload) is not None if from_pods else (
            cluster.membership(workload).mode == "sidecar")
        if not injected:
            continue
        revision = injected_revision(workload)
        found[workload.namespace].add(resolve_revision(revision, tags) if revision else "")
    return found, from_pods


def _data_plane_notes(
    injected: Mapping[str, set[str]],
    from_pods: bool,
    control_plane: ControlPlane,
    first_stop: str,
    snapshot: Snapshot,
) -> list[str]:
    notes = []
    if not from_pods and any(w.pod_spec for w in snapshot.workloads):
        notes.append(
            "The snapshot has no Pods, so the proxy versions that run are unknown and proxy skew is not checked "
            "from running pods: the revisions below are read from the workloads' pod templates (istio.io/rev, "
            "sidecar.istio.io/status) where they record one. Export Pods (preflight snapshot) to check the skew."
        )
    skew = bundled_facts().control_plane_ahead_max
    stop = parse_version(first_stop)
    revisions = sorted({r for found in injected.values() for r in found if r})
    for name in revisions:
        revision = control_plane.revision(name)
        if revision is None:
            notes.append(f"Proxies injected by revision {name} have no istiod of that revision in the snapshot.")
        elif revision.version is not None and stop.minor - revision.version.minor > skew:
            notes.append(
                f"Proxies injected by revision {name} (istiod {revision.version}) are "
                f"{stop.minor - revision.version.minor} minors behind {first_stop}, past the supported skew of "
                f"{skew}: restart every one of them in a wave before revision {name} is removed."
            )
    unrecorded = sorted(ns for ns, found in injected.items() if "" in found)
    if unrecorded and not from_pods:
        notes.append("No injected revision is recorded in the pod templates of: " + ", ".join(unrecorded)
                     + " (they follow their namespace's label).")
    return notes


def _open_findings(report: Report) -> list[Finding]:
    return [
        f for f in report.findings
        if f.status is FindingStatus.AFFECTED and not (report.waivers is not None and report.waivers.waives(f))
    ]


def _namespace_risk(
    findings: Iterable[Finding], threshold: Severity
) -> Mapping[str, tuple[Risk, Severity, tuple[str, ...]]]:
    worst: dict[str, Severity] = {}
    changes: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        namespaces = {s.namespace for s in finding.services} or {finding.resource.namespace}
        for namespace in namespaces - {""}:
            if namespace not in worst or finding.severity.rank > worst[namespace].rank:
                worst[namespace] = finding.severity
            changes[namespace].add(finding.change)
    result = {}
    for namespace, severity in worst.items():
        if severity.rank >= threshold.rank:
            risk = Risk.HELD
        elif severity.rank >= Severity.MEDIUM.rank:
            risk = Risk.MEDIUM
        else:
            risk = Risk.LOW
        result[namespace] = (risk, severity, tuple(sorted(changes[namespace])))
    return result


def _meshed_workloads(cluster: Cluster) -> Mapping[str, dict[str, str | None]]:
    """Namespace → {"kind/name": the pod's own istio.io/rev label or None} of sidecar workloads."""
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    control_namespaces = {r.namespace for r in control_plane.revisions} | {control_plane.root_namespace}
    found: dict[str, dict[str, str | None]] = defaultdict(dict)
    for workload in snapshot.workloads:
        if workload.namespace in control_namespaces or workload.ref.kind == "Pod":
            continue  # bare pods are not restarted by a rollout; they are listed in the notes
        mesh = cluster.membership(workload)
        if mesh.mode == "sidecar":
            found[workload.namespace][f"{workload.ref.kind.lower()}/{workload.ref.name}"] = (
                workload.pod_labels.get(REVISION_LABEL)
            )
    return found


def _current_label(labels: Mapping[str, str]) -> str:
    if "istio-injection" in labels:
        return f"istio-injection={labels['istio-injection']}"
    if REVISION_LABEL in labels:
        return f"{REVISION_LABEL}={labels[REVISION_LABEL]}"
    return "none (pods opt in themselves)"


def _current_revision(labels: Mapping[str, str], tags: tuple[RevisionTag, ...]) -> str | None:
    if labels.get("istio-injection") == "enabled":
        return resolve_revision("default", tags)
    value = labels.get(REVISION_LABEL)
    return resolve_revision(value, tags) if value else None


def _move_commands(
    namespace: str, labels: Mapping[str, str], move_label: str, restart: tuple[str, ...]
) -> tuple[str, ...]:
    relabel = f"kubectl label namespace {namespace} {REVISION_LABEL}={move_label} --overwrite"
    if "istio-injection" in labels:
        relabel = f"kubectl label namespace {namespace} istio-injection- {REVISION_LABEL}={move_label} --overwrite"
    commands = [relabel]
    kinds: dict[str, list[str]] = defaultdict(list)
    for item in restart:
        kind, name = item.split("/", 1)
        kinds[kind].append(name)
    for kind in ("deployment", "statefulset", "daemonset"):
        if kinds.get(kind):
            commands.append(f"kubectl rollout restart {kind} -n {namespace} " + " ".join(kinds[kind]))
            commands += [f"kubectl rollout status {kind}/{name} -n {namespace} --timeout=10m" for name in kinds[kind]]
    commands.append(f"istioctl proxy-status --namespace {namespace}")
    return tuple(commands)


def _preparation(
    version: str, new_revision: str, use_tags: bool, control_plane: ControlPlane
) -> tuple[str, ...]:
    commands = [
        f"istioctl x precheck --revision {new_revision}",
        f"istioctl install --set revision={new_revision}  # istioctl {version}; or: helm install "
        f"istiod-{new_revision} istio/istiod -n {control_plane.root_namespace} --set revision={new_revision}",
        f"kubectl get pods -n {control_plane.root_namespace} -l {REVISION_LABEL}={new_revision}",
    ]
    if use_tags:
        commands.append(f"istioctl tag set {CANARY_TAG} --revision {new_revision} --overwrite")
    return tuple(commands)


def _finish(
    new_revision: str, moved_tags: list[str], old: tuple[str, ...], control_plane: ControlPlane
) -> tuple[str, ...]:
    commands = [f"istioctl tag set {tag} --revision {new_revision} --overwrite" for tag in moved_tags]
    for revision in old:
        if revision == new_revision:
            continue
        commands.append(f"kubectl get pods -A -l {REVISION_LABEL}={revision}  # must list nothing before removal")
        if revision == "default":
            # The unnamed revision is removed with the options it was installed with.
            commands.append("istioctl uninstall -f <the IstioOperator file it was installed with> -y  "
                            f"# or: helm uninstall istiod -n {control_plane.root_namespace}")
        else:
            commands.append(f"istioctl uninstall --revision {revision} -y")
    return tuple(commands)


def _notes(
    report: Report, cluster: Cluster, moves: Mapping[Risk, list[NamespaceMove]]
) -> tuple[str, ...]:
    snapshot, control_plane = cluster.snapshot, cluster.control_plane
    notes = []
    mesh_wide = sorted({f.change for f in _open_findings(report) if not f.services and not f.resource.namespace})
    if mesh_wide:
        notes.append("Mesh-wide findings move with the control plane, not with a namespace: " + ", ".join(mesh_wide))
    pinned = [f"{m.namespace}/{w}" for ms in moves.values() for m in ms for w in m.pinned_pods]
    if pinned:
        notes.append(
            "These workloads carry their own istio.io/rev pod label, which the namespace label does not "
            "override: change it in their manifests — " + ", ".join(pinned)
        )
    bare = sorted(
        f"{w.namespace}/{w.ref.name}" for w in snapshot.workloads
        if w.ref.kind == "Pod"
        and cluster.membership(w).mode == "sidecar"
    )
    if bare:
        notes.append("Bare pods are not restarted by a rollout: delete and recreate them — " + ", ".join(bare))
    notes.append(
        f"Gateways in {control_plane.root_namespace} are upgraded with the installation (helm upgrade or "
        "istioctl), after the last wave."
    )
    return tuple(notes)
