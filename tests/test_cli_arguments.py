"""Arguments as users type them (issue 11): output names that contradict --format, version arguments
parsed by the one version parser in every command, pre-releases refused, and ids suggested."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from preflight.cli import main
from preflight.formats.interface import FORMATS
from preflight.resources import demo_cluster_dir

DEMO = str(demo_cluster_dir())
# A file name whose extension announces another format than each format.
OTHER_NAME = {"text": "y.json", "json": "y.html", "markdown": "y.txt", "html": "y.json", "sarif": "y.xml",
              "junit": "y.md"}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("format_name", FORMATS)
def test_a_format_the_output_name_contradicts_is_refused_before_anything_is_written(
    format_name: str, tmp_path: Path
) -> None:
    output = tmp_path / OTHER_NAME[format_name]
    result = invoke("check", DEMO, "--to", "1.22", "--format", format_name, "--output", str(output))
    assert result.exit_code == 2, result.output
    assert f"--format {format_name} does not match --output" in result.output
    assert not output.exists()


def test_the_format_of_an_output_without_a_known_extension_is_the_one_asked_for(tmp_path: Path) -> None:
    output = tmp_path / "report"
    result = invoke("check", DEMO, "--to", "1.22", "--format", "json", "--output", str(output), "--no-timestamp")
    assert result.exit_code == 1, result.output
    assert output.read_text(encoding="utf-8").startswith("{")


def test_sarif_may_be_written_to_a_json_file_name(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = invoke("check", DEMO, "--to", "1.22", "--format", "sarif", "--output", str(output))
    assert result.exit_code == 1, result.output
    assert '"$schema"' in output.read_text(encoding="utf-8")


def test_plan_refuses_a_format_its_output_name_contradicts(tmp_path: Path) -> None:
    assert invoke("plan", DEMO, "--to", "1.22", "--format", "json", "--output", str(tmp_path / "p.txt")).exit_code == 2
    assert invoke("plan", DEMO, "--to", "1.22", "--output", str(tmp_path / "p.html")).exit_code == 2
    result = invoke("plan", DEMO, "--to", "1.22", "--output", str(tmp_path / "p.json"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p.json").read_text(encoding="utf-8").startswith("{")


def test_demo_refuses_an_output_that_is_not_html(tmp_path: Path) -> None:
    result = invoke("demo", "--output", str(tmp_path / "demo.json"))
    assert result.exit_code == 2
    assert not (tmp_path / "demo.json").exists()


def test_kb_list_reads_the_version_as_check_does() -> None:
    plain = invoke("kb", "list", "--version", "1.21")
    assert plain.exit_code == 0
    assert invoke("kb", "list", "--version", "v1.21").output == plain.output
    assert invoke("kb", "list", "--version", "1.21.3").output == plain.output
    entries = [line for line in plain.output.splitlines() if line.startswith("1.21-")]
    assert entries, plain.output


@pytest.mark.parametrize("version", ["1.99", "2.1", "banana", "1.22-rc.1"])
def test_kb_list_refuses_a_version_it_cannot_list(version: str) -> None:
    result = invoke("kb", "list", "--version", version)
    assert result.exit_code == 2, result.output
    assert "entries" not in result.output  # no (empty) table, only the error


@pytest.mark.parametrize("command", ["check", "plan"])
@pytest.mark.parametrize("option", ["--to", "--from"])
@pytest.mark.parametrize("version", ["1.22-rc.1", "1.22.0-beta.1", "1.22.0-alpha.0"])
def test_pre_releases_are_refused_with_the_release_to_check_instead(command: str, option: str, version: str) -> None:
    versions = {"--to": "1.22", "--from": "1.18", option: version}
    result = invoke(command, DEMO, "--to", versions["--to"], "--from", versions["--from"])
    assert result.exit_code == 2, result.output
    assert f"{option} {version} is a pre-release" in result.output
    assert "check against 1.22.0" in result.output


def test_demo_refuses_a_pre_release_target(tmp_path: Path) -> None:
    result = invoke("demo", "--to", "1.22.0-rc.0", "--output", str(tmp_path / "d.html"))
    assert result.exit_code == 2
    assert "pre-release" in result.output


def test_kb_show_suggests_the_closest_ids() -> None:
    result = invoke("kb", "show", "1.21-verify")
    assert result.exit_code == 2
    assert "did you mean 1.21-verify-certificate-at-client" in result.output


def test_kb_show_without_anything_close_says_where_to_look() -> None:
    result = invoke("kb", "show", "zzzz")
    assert result.exit_code == 2
    assert "did you mean" not in result.output
    assert "preflight kb list" in result.output
