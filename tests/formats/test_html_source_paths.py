"""HTML "Found:" lines name files as the user passed them, never where the bundled demo is installed (issue 11)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from preflight.cli import main
from preflight.resources import demo_cluster_dir
from preflight.snapshot.interface import SnapshotInfo

FOUND_FILE = re.compile(r"Found: .*? \(([^()]*\.(?:yaml|json)(?::\d+)?)\)")


def found_files(html: str) -> list[str]:
    return FOUND_FILE.findall(html)


def test_the_demo_report_shows_paths_from_the_demo_folder_on(tmp_path: Path) -> None:
    output = tmp_path / "demo.html"
    result = CliRunner().invoke(main, ["demo", "--output", str(output)])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    files = found_files(html)
    assert files and all(f.startswith("cluster/") for f in files), files
    assert str(demo_cluster_dir()) not in html
    assert "site-packages" not in html


def test_a_relative_input_is_shown_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(demo_cluster_dir(), tmp_path / "snap")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "snap", "--to", "1.22", "--output", "r.html"])
    assert result.exit_code == 1, result.output
    files = found_files((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert files and all(f.startswith(f"snap{os.sep}") for f in files), files


def test_shown_path_starts_at_the_name_of_an_absolute_input() -> None:
    info = SnapshotInfo(inputs=("/srv/exports/prod", "/srv/one.yaml", "relative/dir"))
    assert info.shown_path("/srv/exports/prod/ns/a.yaml") == "prod/ns/a.yaml"
    assert info.shown_path("/srv/one.yaml") == "one.yaml"
    assert info.shown_path("relative/dir/x.yaml") == "relative/dir/x.yaml"
    assert info.shown_path("/elsewhere/x.yaml") == "/elsewhere/x.yaml"  # not under any input: as recorded
