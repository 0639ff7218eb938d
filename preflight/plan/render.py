"""The canary plan as terminal text, for ``preflight plan``."""

from __future__ import annotations

from preflight.plan.interface import CanaryPlan


def render_text(plan: CanaryPlan) -> str:
    lines = [
        f"Canary upgrade: {', '.join(plan.old_revisions) or 'no revision found'} -> revision {plan.new_revision}"
        f" (namespaces move with istio.io/rev={plan.move_label})",
    ]
    if plan.tags:
        lines.append("Revision tags in the snapshot: " + ", ".join(plan.tags))
    lines += ["", "Prepare:"] + [f"  $ {c}" for c in plan.preparation]
    for wave in plan.waves:
        lines += ["", f"Wave {wave.number}: {wave.title} — {wave.why}"]
        for move in wave.moves:
            why = f"; worst {move.worst.value} ({', '.join(move.blocking)})" if move.worst else ""
            lines.append(f"  {move.namespace} (team {move.team}; now {move.current_label}{why})")
            lines += [f"    $ {c}" for c in move.commands]
    if not plan.waves:
        lines += ["", "No namespace runs sidecars: nothing to move."]
    lines += ["", "Finish:"] + [f"  $ {c}" for c in plan.finish]
    if plan.notes:
        lines += [""] + [f"Note: {n}" for n in plan.notes]
    return "\n".join(lines) + "\n"

