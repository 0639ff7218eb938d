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
* the control-plane namespace is not in a wave: its gateways are upgraded with the install.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from preflight.engine.interface import Finding, FindingStatus, Report
from preflight.istio.control_plane import ControlPlane
from preflight.istio.injection import mesh_membership
from preflight.istio.revisions import REVISION_LABEL, RevisionTag, read_revision_tags, resolve_revision
from preflight.kb.interface import Severity
from preflight.plan.interface import CanaryPlan, NamespaceMove, Risk, Wave
from preflight.plan.owners import team_of
from preflight.snapshot.model import Snapshot

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


def canary_plan(snapshot: Snapshot, report: Report, control_plane: ControlPlane) -> CanaryPlan:
    tags = read_revision_tags(snapshot)
    new_revision = revision_name(report.target_version)
    move_label = CANARY_TAG if tags else new_revision
    risks = _namespace_risk(_open_findings(report), report.fail_on)
    meshed = _meshed_workloads(snapshot, control_plane)
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
            )
        )
    waves: list[Wave] = []
    for risk, title, why in _WAVES:
        if moves_by_risk.get(risk):
            waves.append(Wave(len(waves) + 1, title, why, tuple(moves_by_risk[risk])))
    notes = _notes(report, snapshot, control_plane, moves_by_risk)
    old = tuple(sorted(old_revisions)) or tuple(r.name for r in control_plane.revisions)
    return CanaryPlan(
        old_revisions=old,
        new_revision=new_revision,
        move_label=move_label,
        tags=tuple(f"{t.name} → {t.revision}" for t in tags),
        preparation=_preparation(report, new_revision, tags, control_plane),
        waves=tuple(waves),
        finish=_finish(new_revision, tags, old, control_plane, bool(tags)),
        notes=notes,
    )


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


def _meshed_workloads(snapshot: Snapshot, control_plane: ControlPlane) -> Mapping[str, dict[str, str | None]]:
    """Namespace → {"kind/name": the pod's own istio.io/rev label or None} of sidecar workloads."""
    control_namespaces = {r.namespace for r in control_plane.revisions} | {control_plane.root_namespace}
    found: dict[str, dict[str, str | None]] = defaultdict(dict)
    for workload in snapshot.workloads:
        if workload.namespace in control_namespaces or workload.ref.kind == "Pod":
            continue  # bare pods are not restarted by a rollout; they are listed in the notes
        mesh = mesh_membership(snapshot, workload)
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
    report: Report, new_revision: str, tags: tuple[RevisionTag, ...], control_plane: ControlPlane
) -> tuple[str, ...]:
    commands = [
        f"istioctl x precheck --revision {new_revision}",
        f"istioctl install --set revision={new_revision}  # istioctl {report.target_version}; or: helm install "
        f"istiod-{new_revision} istio/istiod -n {control_plane.root_namespace} --set revision={new_revision}",
        f"kubectl get pods -n {control_plane.root_namespace} -l {REVISION_LABEL}={new_revision}",
    ]
    if tags:
        commands.append(f"istioctl tag set {CANARY_TAG} --revision {new_revision} --overwrite")
    return tuple(commands)


def _finish(
    new_revision: str, tags: tuple[RevisionTag, ...], old: tuple[str, ...], control_plane: ControlPlane, use_tags: bool
) -> tuple[str, ...]:
    commands = []
    if use_tags:
        for tag in tags:
            if tag.name != CANARY_TAG and tag.revision in old:
                commands.append(f"istioctl tag set {tag.name} --revision {new_revision} --overwrite")
    elif control_plane.revision("default") is not None or "default" in old:
        commands.append(f"istioctl tag set default --revision {new_revision} --overwrite")
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
    report: Report, snapshot: Snapshot, control_plane: ControlPlane, moves: Mapping[Risk, list[NamespaceMove]]
) -> tuple[str, ...]:
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
        and mesh_membership(snapshot, w).mode == "sidecar"
    )
    if bare:
        notes.append("Bare pods are not restarted by a rollout: delete and recreate them — " + ", ".join(bare))
    notes.append(
        f"Gateways in {control_plane.root_namespace} are upgraded with the installation (helm upgrade or "
        "istioctl), after the last wave."
    )
    return tuple(notes)
