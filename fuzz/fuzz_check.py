"""Fuzz the whole check: the demo cluster with fuzzer-chosen YAML spliced into it, full KB path, every format.

    python fuzz/fuzz_check.py [-max_total_time=1800] [fuzz/corpus-check]

The fuzzer's bytes become one extra snapshot file next to the bundled demo cluster; the
outcome must be rendered reports or an ``InputError``. Anything else (a detector crash,
a formatter crash, a hang past -timeout) is a finding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with atheris.instrument_imports():
    from preflight.engine.engine import CheckOptions
    from preflight.errors import InputError
    from preflight.formats.interface import FORMATS, renderer
    from preflight.kb.loader import load_knowledge_base
    from preflight.pipeline import run_check
    from preflight.resources import demo_cluster_dir
    from preflight.snapshot.interface import SnapshotInfo
    from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState
    from preflight.snapshot.model import Snapshot
    from preflight.versions import parse_version

KB = load_knowledge_base()
OPTIONS = CheckOptions(target=parse_version("1.31"), source=parse_version("1.10"), timestamp=False)
DEMO = [(file.name, file.read_bytes()) for file in sorted(demo_cluster_dir().iterdir())]


def test_one_input(data: bytes) -> None:
    state = _LoadState()
    try:
        for name, content in [*DEMO, ("fuzz.yaml", data)]:
            _load_bytes(name, content, LoadOptions(), state)
    except InputError:
        return
    report = run_check(Snapshot(state.objects, SnapshotInfo(sources=("fuzz.yaml",))), KB, OPTIONS)
    for name in FORMATS:
        renderer(name)(report)


def main() -> None:
    atheris.Setup([*sys.argv, "-timeout=60"], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
