"""The command on hostile input: exit 2 with one stderr line naming the file, no traceback, no report written.

And a gate fails closed: a crashing detector is exit 3, never 0, and leaves no report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from preflight.cli import main
from preflight.detectors import registry
from preflight.resources import demo_cluster_dir
from tests.hardening.test_hostile_input import HOSTILE_FILES


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    # The timeout is a hang guard, not a speed check: a crafted file must never stall the gate.
    return subprocess.run(
        [sys.executable, "-m", "preflight", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_file_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, name: str) -> None:
    data, line = HOSTILE_FILES[name]
    snapshot = tmp_path / name
    snapshot.write_bytes(data)
    report = tmp_path / "out" / "report.html"
    result = run("check", str(snapshot), "--from", "1.20", "--to", "1.22", "--output", str(report))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    expected = f"{snapshot}:{line}" if line is not None else str(snapshot)
    assert expected in lines[0]
    assert not report.exists()
    assert not list(tmp_path.glob("**/*.tmp"))


def test_hostile_file_among_good_ones_still_fails_the_whole_run(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    for file in demo_cluster_dir().iterdir():
        (snapshot / file.name).write_bytes(file.read_bytes())
    (snapshot / "zz-broken.yaml").write_bytes(HOSTILE_FILES["duplicate-keys.yaml"][0])
    result = run("check", str(snapshot), "--from", "1.20", "--to", "1.22", "--fail-on", "critical")
    assert result.returncode == 2
    assert "zz-broken.yaml:4" in result.stderr


def test_crashing_detector_exits_3_and_writes_no_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Boom(RuntimeError):
        pass

    def explode(context: object, params: object) -> list[object]:
        raise Boom("detector bug")

    for module in registry.detectors().values():
        monkeypatch.setattr(module, "detect", explode)
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        ["check", str(demo_cluster_dir()), "--from", "1.20", "--to", "1.22", "--fail-on", "critical",
         "--output", str(report)],
    )  # fmt: skip
    assert result.exit_code == 3
    assert "internal error" in result.output and "Boom" in result.output
    assert not report.exists()


def test_unwritable_output_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run("check", str(demo_cluster_dir()), "--from", "1.20", "--to", "1.22", "--output", f"{blocker}/r.json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
