"""The CI examples in docs/ci are valid YAML and their preflight commands run against the bundled example."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from preflight.resources import demo_cluster_dir

DOCS = Path(__file__).parent.parent.parent / "docs" / "ci"
WAIVERS = """waivers:
  - change: "1.21-externalname-alias"
    resource: "payments/*"
    reason: rules moved to the partner host in the same change
    ticket: OPS-42
    expires: 2999-12-31
"""


def preflight_commands(document: object) -> list[str]:
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("run", "script") and isinstance(value, str | list):
                lines = value if isinstance(value, list) else value.splitlines()
                texts = [line.strip() for line in lines if isinstance(line, str)]
                found += [text for text in texts if text.startswith("preflight ")]
            else:
                found += preflight_commands(value)
    elif isinstance(document, list):
        for item in document:
            found += preflight_commands(item)
    return found


def run_example(name: str, tmp_path: Path) -> tuple[list[str], list[int]]:
    document = yaml.safe_load((DOCS / name).read_text())
    commands = preflight_commands(document)
    assert commands, f"{name} runs no preflight command"
    (tmp_path / "preflight-waivers.yaml").write_text(WAIVERS)
    env = {**os.environ, "SNAPSHOT": str(demo_cluster_dir()), "TARGET": "1.24"}
    codes = []
    for command in commands:
        argv = [os.path.expandvars(arg.replace("$SNAPSHOT", env["SNAPSHOT"]).replace("$TARGET", env["TARGET"]))
                for arg in shlex.split(command)]
        result = subprocess.run([sys.executable, "-m", "preflight", *argv[1:]], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode in (0, 1), result.stderr  # 1 is the gate failing, which the example handles
        codes.append(result.returncode)
    return commands, codes


def test_github_actions_example(tmp_path: Path) -> None:
    run_example("github-actions.yml", tmp_path)
    for output in ("preflight.html", "preflight.sarif", "preflight.md", "preflight.json"):
        assert (tmp_path / output).stat().st_size > 0
    assert len((tmp_path / "preflight.md").read_text()) < 65536


def test_gitlab_example(tmp_path: Path) -> None:
    run_example("gitlab-ci.yml", tmp_path)
    junit = (tmp_path / "preflight.junit.xml").read_text()
    assert junit.startswith("<?xml") and "<testsuites" in junit
    document = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())
    assert document["istio-upgrade-preflight"]["artifacts"]["reports"]["junit"] == "preflight.junit.xml"
