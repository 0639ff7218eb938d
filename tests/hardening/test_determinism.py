"""Same input, byte-identical reports: across processes with different hash seeds, in every format.

Set iteration order changes with ``PYTHONHASHSEED``; a report that depends on it would
differ between two CI runs of the same commit. ``--no-timestamp`` removes the only
intended difference; with the timestamp, only the generation time may differ.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from preflight.resources import demo_cluster_dir

FIXTURES = Path(__file__).parent / "fixtures"
OUTPUTS = ("report.txt", "report.json", "report.md", "report.html", "report.sarif", "report.junit.xml")


def check_in_fresh_process(directory: Path, hash_seed: str, *extra: str) -> dict[str, bytes]:
    directory.mkdir()
    arguments = [str(demo_cluster_dir()), str(FIXTURES / "markup.yaml"), "--allow-invalid-names", "--from", "1.10",
                 "--to", "1.31"]  # fmt: skip
    for name in OUTPUTS:
        arguments += ["--output", str(directory / name)]
    result = subprocess.run(
        [sys.executable, "-m", "preflight", "check", *arguments, *extra],
        capture_output=True,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return {name: (directory / name).read_bytes() for name in OUTPUTS}


def test_reports_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    first = check_in_fresh_process(tmp_path / "a", "1", "--no-timestamp")
    second = check_in_fresh_process(tmp_path / "b", "4242", "--no-timestamp")
    for name in OUTPUTS:
        assert first[name] == second[name], f"{name} differs between runs"


def test_only_the_generation_time_differs_with_timestamps(tmp_path: Path) -> None:
    first = check_in_fresh_process(tmp_path / "a", "7")
    second = check_in_fresh_process(tmp_path / "b", "8")
    stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    for name in OUTPUTS:
        assert stamp.sub(b"<time>", first[name]) == stamp.sub(b"<time>", second[name]), name
