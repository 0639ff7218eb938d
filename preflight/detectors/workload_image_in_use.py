"""Workloads running a container image of a given repository, optionally below a version.

Matches each container image (``containers`` and ``initContainers``) whose repository
path ends with one of ``images`` (e.g. ``grafana/grafana`` matches
``docker.io/grafana/grafana:9.1.0``). With ``below``, only images whose tag parses as a
version older than it are reported; a tag that is no version (``latest``, a digest) is
reported too, since it cannot be shown to be recent enough.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from packaging.version import InvalidVersion, Version

from preflight.detectors.interface import DetectorContext, Hit
from preflight.detectors.parameters import Parameters, text_list, version
from preflight.snapshot.interface import list_at

PARAMETERS: Parameters = {
    "images": text_list("image repository paths to look for", required=True),
    "below": version("report only tags older than this version; omit for any tag"),
}


def detect(context: DetectorContext, params: Mapping[str, Any]) -> Iterator[Hit]:
    wanted = [str(i).strip("/") for i in params.get("images") or []]
    below = Version(str(params["below"])) if params.get("below") else None
    for workload in context.snapshot.workloads:
        found = []
        for key in ("containers", "initContainers"):
            for container in list_at(workload.pod_spec, key):
                image = str(container.get("image", "")) if isinstance(container, Mapping) else ""
                repository, tag = _split(image)
                if not any(repository == w or repository.endswith("/" + w) for w in wanted):
                    continue
                if below is not None and not _older(tag, below):
                    continue
                found.append(image)
        if found:
            yield Hit(workload.ref, f"{workload.ref} runs {', '.join(found)}", source=workload.obj.source)


def _split(image: str) -> tuple[str, str]:
    reference = image.split("@", 1)[0]
    head, _, last = reference.rpartition("/")
    name, _, tag = last.partition(":")
    return (f"{head}/{name}" if head else name), tag


def _older(tag: str, below: Version) -> bool:
    try:
        return Version(tag.lstrip("v").split("-", 1)[0]) < below
    except InvalidVersion:
        return True
