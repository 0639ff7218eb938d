"""Which team owns a namespace: what the report groups services by.

The team is the namespace's label or annotation named by ``--owner-label`` (default
``team``), else its ``owner`` label or annotation, else the namespace itself. Labels win
over annotations because ``kubectl get ns -L`` shows labels, so they are what people see.
"""

from __future__ import annotations

from collections.abc import Mapping

from preflight.snapshot.model import Snapshot

DEFAULT_OWNER_LABEL = "team"
FALLBACK_OWNER_LABEL = "owner"


def owning_teams(snapshot: Snapshot, owner_label: str = DEFAULT_OWNER_LABEL) -> Mapping[str, str]:
    """Namespace → team for every namespace the snapshot mentions."""
    teams: dict[str, str] = {}
    for namespace, labels in snapshot.namespace_labels.items():
        obj = snapshot.get("Namespace", "", namespace)
        annotations = obj.annotations if obj is not None else {}
        teams[namespace] = namespace
        for key in dict.fromkeys((owner_label, FALLBACK_OWNER_LABEL)):
            value = labels.get(key) or annotations.get(key)
            if value:
                teams[namespace] = value
                break
    return teams


def team_of(teams: Mapping[str, str], namespace: str) -> str:
    """The team of a namespace; cluster-scoped resources belong to the platform."""
    if not namespace:
        return "cluster-wide"
    return teams.get(namespace, namespace)
