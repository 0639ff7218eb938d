"""Kustomize and Helm build inputs found in a GitOps tree: recognised, never read as cluster objects.

A ``kustomization.yaml`` describes how to build manifests, it is not one (kustomize does not even
require it to carry ``kind`` or ``metadata``). Its resources are ordinary manifests elsewhere in the
tree and are read as such; but what it *does* to them (patches, a namespace, name prefixes,
generators, remote bases) only exists in ``kustomize build`` output, so the note says when the raw
files differ from what would be applied.

An unrendered Helm chart (``templates/`` beside ``Chart.yaml`` or ``values.yaml``) holds Go templates,
not manifests: parsing them fails or, worse, reads placeholders as objects. The whole chart directory
is left out, with one line saying to run ``helm template`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

KUSTOMIZATION_FILE_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
# Kustomization fields whose effect exists only in the built output (kustomize's own field names).
_TRANSFORMING_FIELDS = (
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "replacements",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generators",
    "transformers",
    "helmCharts",
    "components",
)
_CHART_MARKERS = ("Chart.yaml", "values.yaml")


def is_kustomization_file(path: Path) -> bool:
    return path.name in KUSTOMIZATION_FILE_NAMES


def is_kustomize_document(document: Mapping[str, Any]) -> bool:
    """A Kustomization or Component under another file name: kustomize's own API group says so.

    (Flux's ``kustomize.toolkit.fluxcd.io`` Kustomization is a real cluster object and is read.)
    """
    api_version = document.get("apiVersion")
    return isinstance(api_version, str) and api_version.startswith("kustomize.config.k8s.io/")


def chart_directories(root: Path) -> list[Path]:
    """Every unrendered Helm chart under ``root`` (``root`` itself included): a ``templates/`` folder
    beside ``Chart.yaml`` or ``values.yaml``."""
    candidates = {marker.parent for name in _CHART_MARKERS for marker in root.rglob(name)}
    return sorted(d for d in candidates if (d / "templates").is_dir())


def in_chart(path: Path, charts: Iterable[Path]) -> bool:
    return any(path.is_relative_to(chart) for chart in charts)


def chart_note(chart: Path) -> str:
    return (
        f"{chart}: an unrendered Helm chart (templates/ beside Chart.yaml or values.yaml) was not read; "
        f"run `helm template` and pass its output instead"
    )


def kustomization_note(path: Path, document: Any, root: Path) -> str:
    """The note for a skipped kustomization file, with a hint when its build differs from the raw files."""
    reasons = _needs_building(path, document, root) if isinstance(document, Mapping) else []
    note = f"{path}: a Kustomization (build instructions, not a cluster object) was skipped"
    if not reasons:
        return note + "; the manifests it lists are read as they are"
    return (
        note + f"; it {' and '.join(reasons)}, which only `kustomize build` output shows: "
        f"pass `kustomize build {path.parent}` output instead of the raw files"
    )


def _needs_building(path: Path, document: Mapping[str, Any], root: Path) -> list[str]:
    reasons = []
    transforming = [name for name in _TRANSFORMING_FIELDS if document.get(name)]
    if transforming:
        reasons.append("sets " + ", ".join(transforming))
    outside = [
        str(entry)
        for entry in [*_entries(document.get("resources")), *_entries(document.get("bases"))]
        if _outside(path.parent, str(entry), root)
    ]
    if outside:
        reasons.append("uses resources outside what was passed (" + ", ".join(outside[:3])
                       + (", …" if len(outside) > 3 else "") + ")")
    return reasons


def _entries(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _outside(directory: Path, entry: str, root: Path) -> bool:
    """A remote base (URL, ``github.com/…``) or a path that leaves the input being read."""
    if "://" in entry or entry.startswith(("github.com/", "git@")):
        return True
    try:
        return not (directory / entry).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return True
