"""Where the data that ships with the tool lives: installed wheel first, then the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """``knowledge`` or ``reports``: inside the wheel, or at the repository root when run from source."""
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def demo_cluster_dir() -> Path:
    return _PACKAGE / "demo" / "cluster"


def demo_traffic_file() -> Path:
    """A Prometheus query result of the calls between the demo cluster's services over a week."""
    return _PACKAGE / "demo" / "traffic.json"
