"""``preflight snapshot`` as a user runs it: a separate process, the RECORDED fake kubectl on PATH."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import FakeKubectl


def preflight(fake_kubectl: FakeKubectl, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *arguments],
        capture_output=True,
        text=True,
        env=fake_kubectl.env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        check=False,
        timeout=300,
    )


def test_snapshot_process_writes_a_snapshot_and_reports_on_stderr(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    output = tmp_path / "snap"
    completed = preflight(fake_kubectl, "snapshot", "-o", str(output), "--context", "prod", "--chunk-size", "2")

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    assert "wrote" in completed.stderr and "28 objects" in completed.stderr
    assert "\r" not in completed.stderr  # no progress line when stderr is not a terminal
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cluster"] == "prod-eu"


def test_snapshot_process_fails_closed_with_one_line(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    output = tmp_path / "snap"
    completed = preflight(fake_kubectl, "snapshot", "-o", str(output), "--context", "staging")

    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("preflight: error: kubectl --context staging")
    assert not output.exists()
