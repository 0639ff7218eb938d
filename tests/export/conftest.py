"""Puts the recorded fake kubectl (``fake_kubectl.py``) first on PATH for the export tests."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
RECORDINGS = HERE / "recordings"


@dataclass
class FakeKubectl:
    bin_dir: Path
    log: Path
    env: dict[str, str]

    def use(self, recording: str | Path) -> None:
        path = recording if isinstance(recording, Path) else RECORDINGS / recording
        os.environ["FAKE_KUBECTL_RECORDING"] = str(path)
        self.env["FAKE_KUBECTL_RECORDING"] = str(path)

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def fake_kubectl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeKubectl:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "fake_kubectl.py"}" "$@"\n')
    script.chmod(0o755)
    state = tmp_path / "kubectl-state"
    state.mkdir()
    log = tmp_path / "kubectl-calls.jsonl"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_KUBECTL_LOG": str(log),
        "FAKE_KUBECTL_STATE": str(state),
        "FAKE_KUBECTL_RECORDING": str(RECORDINGS / "cluster.yaml"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return FakeKubectl(bin_dir, log, env)
