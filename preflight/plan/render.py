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


def plan_to_json(plan: CanaryPlan) -> dict[str, object]:
    return {
        "old_revisions": list(plan.old_revisions),
        "new_revision": plan.new_revision,
        "move_label": plan.move_label,
        "tags": list(plan.tags),
        "preparation": list(plan.preparation),
        "waves": [
            {
                "number": wave.number,
                "title": wave.title,
                "namespaces": [
                    {
                        "namespace": m.namespace,
                        "team": m.team,
                        "risk": m.risk.value,
                        "worst_severity": m.worst.value if m.worst else None,
                        "changes": list(m.blocking),
                        "current_label": m.current_label,
                        "commands": list(m.commands),
                    }
                    for m in wave.moves
                ],
            }
            for wave in plan.waves
        ],
        "finish": list(plan.finish),
        "notes": list(plan.notes),
    }
