"""Building snapshots and detector contexts from hand-written YAML in tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.registry import get
from preflight.istio.cluster import build_cluster
from preflight.snapshot.interface import SnapshotInfo
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState
from preflight.snapshot.model import Snapshot
from preflight.versions import parse_version, upgrade_path

KNOWN_MINORS = [f"1.{n}" for n in range(10, 32)]


def snapshot_from_yaml(text: str, name: str = "fixture.yaml") -> Snapshot:
    """A snapshot from multi-document YAML (dedented), loaded exactly as files are."""
    state = _LoadState()
    _load_bytes(name, textwrap.dedent(text).encode(), LoadOptions(), state)
    info = SnapshotInfo(sources=(name,), kubernetes_version=state.kubernetes_version, manifest=state.manifest)
    return Snapshot(state.objects, info)


def context_from_yaml(text: str, source: str = "1.20.0", target: str = "1.22.0") -> DetectorContext:
    snapshot = snapshot_from_yaml(text)
    path = upgrade_path(parse_version(source), parse_version(target), KNOWN_MINORS)
    return DetectorContext(build_cluster(snapshot), path)


def run_detector(name: str, text: str, params: Mapping[str, object] | None = None, **versions: str) -> list[Hit]:
    context = context_from_yaml(text, **versions)
    return list(get(name).detect(context, params or {}))
