"""Exit codes and wiring of the commands, run as a user runs them (a subprocess) where it matters."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from preflight.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
CLUSTER = str(FIXTURES / "cluster")
# The fixture's names carry markup, which Kubernetes refuses: it is checked as a hand-edited file.
HAND_EDITED = "--allow-invalid-names"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *args], capture_output=True, text=True, input=stdin, timeout=120
    )


def test_gate_fails_with_exit_1_on_a_high_finding() -> None:
    result = run("check", CLUSTER, HAND_EDITED, "--to", "1.22.0")
    assert result.returncode == 1, result.stderr
    assert "BLOCKED" in result.stdout


def test_gate_passes_with_exit_0_below_the_threshold() -> None:
    result = run("check", CLUSTER, HAND_EDITED, "--to", "1.22.0", "--fail-on", "critical")
    assert result.returncode == 0, result.stderr


def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Service\nmetadata: [\n")
    result = run("check", str(bad), "--to", "1.22.0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(bad) in result.stderr


@pytest.mark.parametrize("versions", [["--to", "banana"], ["--from", "1.22.0", "--to", "1.21.0"], ["--to", "1.99"]])
def test_version_problems_exit_2(versions: list[str]) -> None:
    result = run("check", CLUSTER, HAND_EDITED, *versions)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2() -> None:
    assert run("check", CLUSTER, HAND_EDITED).returncode == 2  # --to missing
    assert run("check", "--to", "1.22").returncode == 2  # no snapshot


def test_internal_error_exits_3_never_0(monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.pipeline

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(preflight.pipeline, "check_snapshot", explode)
    result = CliRunner().invoke(main, ["check", CLUSTER, HAND_EDITED, "--to", "1.22.0"])
    assert result.exit_code == 3
    assert "internal error" in result.output


def test_stdin_is_read_with_a_dash() -> None:
    text = (FIXTURES / "cluster" / "export.yaml").read_text()
    result = run("check", "-", HAND_EDITED, "--to", "1.22.0", "--format", "json", stdin=text)
    assert result.returncode == 1
    assert json.loads(result.stdout)["schema"] == "preflight/v1"


def test_several_outputs_take_their_format_from_the_extension(tmp_path: Path) -> None:
    outputs = [
        tmp_path / "r.html",
        tmp_path / "r.sarif",
        tmp_path / "r.json",
        tmp_path / "r.junit.xml",
        tmp_path / "r.md",
    ]
    args = [arg for path in outputs for arg in ("--output", str(path))]
    result = run("check", CLUSTER, HAND_EDITED, "--to", "1.22.0", *args)
    assert result.returncode == 1, result.stderr
    assert outputs[0].read_text().startswith("<!DOCTYPE html>")
    assert json.loads(outputs[1].read_text())["version"] == "2.1.0"
    assert json.loads(outputs[2].read_text())["schema"] == "preflight/v1"
    assert outputs[3].read_text().startswith("<?xml")
    assert outputs[4].read_text().startswith("## Istio upgrade")


def test_nothing_is_written_when_input_is_bad(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    out = tmp_path / "report.html"
    result = run("check", str(bad), "--to", "1.22.0", "--output", str(out))
    assert result.returncode == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_unknown_output_extension_is_a_usage_error(tmp_path: Path) -> None:
    result = run("check", CLUSTER, HAND_EDITED, "--to", "1.22.0", "--output", str(tmp_path / "report.pdf"))
    assert result.returncode == 2
    assert "extension" in result.stderr


def test_demo_writes_an_html_report(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = run("demo", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "payments/legacy-billing" in out.read_text()


def test_kb_commands() -> None:
    assert run("kb", "validate").returncode == 0
    listing = run("kb", "list")
    assert listing.returncode == 0 and "1.21-externalname-alias" in listing.stdout
    shown = run("kb", "show", "1.21-externalname-alias")
    assert shown.returncode == 0 and "ENABLE_EXTERNAL_NAME_ALIAS" in shown.stdout
    assert run("kb", "show", "1.21-no-such-entry").returncode == 2


def test_invalid_kb_overlay_exits_2(tmp_path: Path) -> None:
    (tmp_path / "1.21.yaml").write_text('minor: "1.21"\nentries:\n- id: 1.21-x\n  title: t\n')
    result = run("kb", "validate", str(tmp_path))
    assert result.returncode == 2
    assert "1.21.yaml:3" in result.stderr


def test_help_documents_exit_codes() -> None:
    result = run("--help")
    assert "Exit codes" in result.stdout and "internal error" in result.stdout


def test_reports_are_readable_like_any_file_the_user_writes(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run("check", CLUSTER, HAND_EDITED, "--to", "1.22.0", "--output", str(out))
    assert out.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def _current_umask() -> int:
    import os

    current = os.umask(0)
    os.umask(current)
    return current


def test_patch_to_patch_upgrade_reports_the_backported_change(tmp_path: Path) -> None:
    from tests.engine.test_release_lines import SNAPSHOT, WILDCARDS

    (tmp_path / "mesh.yaml").write_text(SNAPSHOT)
    crossing = run("check", str(tmp_path), "--from", "1.20.1", "--to", "1.20.5", "--format", "json")
    assert crossing.returncode == 1, crossing.stderr  # the change is high
    document = json.loads(crossing.stdout)
    assert WILDCARDS in {f["change"] for f in document["findings"]}
    assert [line["label"] for line in document["releases_crossed"]] == ["1.20.2 to 1.20.5"]
    already = run("check", str(tmp_path), "--from", "1.20.5", "--to", "1.21.0", "--format", "json")
    assert WILDCARDS not in {f["change"] for f in json.loads(already.stdout)["findings"]}
    text = run("check", str(tmp_path), "--from", "1.22.1", "--to", "1.22.6", "--report-date", "2024-08-01")
    assert text.returncode == 0, text.stderr + text.stdout
    assert "(releases crossed: 1.22.2 to 1.22.6)" in text.stdout.splitlines()[0]
    assert "1.23-json-access-log-key-order" in text.stdout  # backported to 1.22.3


def test_kb_show_lists_every_release_line_of_a_backported_change() -> None:
    shown = run("kb", "show", "1.21-wildcard-virtual-service-precedence")
    assert shown.returncode == 0
    assert "introduced in 1.18.7, 1.19.6, 1.20.2, 1.21.0 (backported; main line 1.21.0)" in shown.stdout
FIELD_REPORT_MESH = """\
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec: {containers: [{name: discovery, image: docker.io/istio/pilot:1.18.3}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: payments}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: payments}
spec: {selector: {app: api}, ports: [{name: http, port: 8080}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-allow, namespace: payments}
spec:
  selector: {matchLabels: {app: api}}
  rules: [{from: [{source: {namespaces: [shop]}}]}]
"""


def test_field_reports_fail_the_gate_only_with_fail_on_field_reports(tmp_path: Path) -> None:
    snapshot = tmp_path / "mesh.yaml"
    snapshot.write_text(FIELD_REPORT_MESH)
    common = ["check", str(snapshot), "--to", "1.19.0", "--kubernetes-version", "1.27", "--report-date",
              "2023-10-01", "--format", "json"]
    informs = run(*common)
    assert informs.returncode == 0, informs.stdout
    statuses = {f["change"]: f["status"] for f in json.loads(informs.stdout)["findings"]}
    assert statuses["1.19-authz-implicit-deny-field-report"] == "field-report"
    counted = run(*common, "--fail-on-field-reports")
    assert counted.returncode == 1
    assert json.loads(counted.stdout)["verdict"] == "blocked"
