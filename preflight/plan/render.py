"""The canary plan as terminal text, for ``preflight plan``."""

from __future__ import annotations

from preflight.plan.interface import CanaryPlan, Stop
from preflight.plan.stops import CANARY_MAX_MINORS

STOPS_WHY = (
    f"A canary upgrade may jump at most {CANARY_MAX_MINORS} minors "
    "(https://istio.io/latest/docs/setup/upgrade/canary/; "
    "an in-place upgrade only one: https://istio.io/latest/docs/setup/upgrade/in-place/), so this path has "
    "{count} stops. At each: prepare, run the waves below, finish; then the next stop. A namespace held back "
    "waits only at the stop that brings a change holding it (listed with each stop)."
)


def stop_summary(stop: Stop) -> str:
    counts = ", ".join(f"{severity} {count}" for severity, count in stop.findings.items()) or "no open finding"
    gate = f"; at or above the gate: {', '.join(stop.gate_changes)}" if stop.gate_changes else ""
    return f"{stop.source} → {stop.target} (revision {stop.revision}): {counts}{gate}"


def render_text(plan: CanaryPlan) -> str:
    lines = [
        f"Canary upgrade: {', '.join(plan.old_revisions) or 'no revision found'} -> revision {plan.new_revision}"
        f" (namespaces move with istio.io/rev={plan.move_label})",
    ]
    if plan.tags:
        lines.append("Revision tags in the snapshot: " + ", ".join(plan.tags))
    several = len(plan.stops) > 1
    if several:
        lines += ["", STOPS_WHY.format(count=len(plan.stops))]
        for stop in plan.stops:
            lines += ["", f"Stop {stop.number}: {stop_summary(stop)}", "  Prepare:"]
            lines += [f"    $ {c}" for c in stop.preparation]
            lines += ["    (the waves below)", "  Finish:"] + [f"    $ {c}" for c in stop.finish]
    else:
        lines += ["", "Prepare:"] + [f"  $ {c}" for c in plan.preparation]
    if plan.mesh_wide:
        lines += ["", "Before the first wave" + (" of the stop that brings it" if several else "")
                  + ", once for the whole mesh (these reach nearly every service, so holding a namespace back "
                  "would not avoid them):"]
        lines += [f"  - {s.change} ({s.severity.value}, {s.reach}"
                  + (f"; at stop {s.stop}" if several else "") + f"): {s.action}" for s in plan.mesh_wide]
    for wave in plan.waves:
        lines += ["", f"Wave {wave.number}: {wave.title} — {wave.why}"]
        for move in wave.moves:
            why = f"; worst {move.worst.value} ({', '.join(move.blocking)})" if move.worst else ""
            injected = f"; injected by {', '.join(r or 'unrecorded' for r in move.injected_revisions)}" if (
                move.injected_revisions) else ""
            lines.append(f"  {move.namespace} (team {move.team}; now {move.current_label}{injected}{why})")
            lines += [f"    $ {c}" for c in move.commands]
    if not plan.waves:
        lines += ["", "No namespace runs sidecars: nothing to move."]
    if not several:
        lines += ["", "Finish:"] + [f"  $ {c}" for c in plan.finish]
    if plan.notes:
        lines += [""] + [f"Note: {n}" for n in plan.notes]
    return "\n".join(lines) + "\n"

