"""One redaction rule set over every string that reaches an output (issue 16, D and 6).

A canary of each credential kind is planted where load-time redaction does not look: owner
label values, a waiver's reason and ticket, a KB overlay's text, an annotation read by a
detector, kubectl's stderr. None may reach any format, nor the terminal; the text around
each one stays readable. The rule set must also leave everything that is not a credential
alone: every built-in KB text, Istio flag names, digests, prose.
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from preflight.cli import main
from preflight.kb.loader import load_knowledge_base
from preflight.redaction import REDACTED, redact_credentials_in_text
from preflight.resources import demo_cluster_dir
from tests.hardening.credentials import CANARIES, LABEL_CANARIES, leaked

FIXTURES = Path(__file__).parent / "fixtures"
EXTENSIONS = {"text": "txt", "json": "json", "markdown": "md", "html": "html", "sarif": "sarif", "junit": "junit.xml"}


@pytest.mark.parametrize("kind", sorted(CANARIES))
def test_each_credential_kind_is_redacted_and_its_context_kept(kind: str) -> None:
    text = f"before {CANARIES[kind]} after"
    redacted = redact_credentials_in_text(text)
    assert not leaked(redacted), (kind, redacted)
    assert REDACTED in redacted
    assert redacted.startswith("before ") and redacted.endswith(" after")


@pytest.mark.parametrize(
    "text",
    [
        "Bearer authentication is configured per gateway",
        "cannot read the token: [Errno 2] No such file or directory: '/nonexistent/token'",
        "TOKEN_AUDIENCES=istio-ca",
        "ENABLE_DEBUG_ENDPOINT_AUTH=true",
        "docker.io/istio/proxyv2@sha256:" + "0123456789abcdef" * 4,
        "secretName: ingress-cert",
        "credentialName: httpbin-credential",
        "Basic authentication is not supported",
        "https://prometheus.example.com:9090/api/v1/query",
        "spiffe://cluster.local/ns/payments/sa/api",
    ],
)
def test_what_is_not_a_credential_is_left_alone(text: str) -> None:
    assert redact_credentials_in_text(text) == text


def test_no_builtin_knowledge_base_text_is_taken_for_a_credential() -> None:
    """Reports quote KB text verbatim; a false positive there would garble every report."""
    for entry in load_knowledge_base().entries:
        for value in (entry.title, entry.summary, entry.impact, entry.remediation, entry.mitigation.text,
                      entry.severity_reason or "", *entry.caveats):  # fmt: skip
            assert redact_credentials_in_text(value) == value, (entry.id, value)


def _hostile_inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    everything = "\n".join(f"{kind}: {value}" for kind, value in CANARIES.items())
    objects = []
    for index, kind in enumerate(LABEL_CANARIES):
        name = f"vault-client-{index}"
        labels = {"app": name, "team": CANARIES[kind]}
        objects += [
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": name, "namespace": "payments", "labels": labels,
                          "annotations": {"example.com/credential": everything}},
             "spec": {"selector": {"matchLabels": {"app": name}}, "template": {
                 "metadata": {"labels": labels, "annotations": {"example.com/credential": everything}},
                 "spec": {"containers": [{"name": "app", "image": "example.com/app:1"},
                                         {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.20.3"}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "payments",
                                                                  "labels": labels},
             "spec": {"selector": {"app": name}, "ports": [{"port": 80, "name": "http"}]}},
        ]  # fmt: skip
    snapshot = tmp_path / "credentials.yaml"
    snapshot.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    kb = tmp_path / "kb"
    kb.mkdir()
    overlay = (FIXTURES / "credentials-kb" / "1.22.yaml").read_text()
    (kb / "1.22.yaml").write_text(overlay.replace('"CANARIES_HERE"', json.dumps(everything)))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(yaml.safe_dump({"waivers": [
        {"change": "1.22-delta-xds-default", "resource": "Deployment/payments/vault-client-*",
         "reason": everything, "ticket": CANARIES["URL query token"], "expires": "2099-01-01"},
        {"change": "1.22-credential-overlay", "resource": "payments/vault-client-0",
         "reason": everything, "ticket": CANARIES["bearer token"], "expires": "2000-01-01"},
    ]}))  # fmt: skip
    return snapshot, kb, waivers


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp_path = tmp_path_factory.mktemp("redaction")
    snapshot, kb, waivers = _hostile_inputs(tmp_path)
    targets = {name: tmp_path / f"report.{extension}" for name, extension in EXTENSIONS.items()}
    arguments = ["check", str(demo_cluster_dir()), str(snapshot), "--from", "1.20", "--to", "1.22", "--kb", str(kb),
                 "--waivers", str(waivers), "--no-timestamp", "--fail-on", "critical"]  # fmt: skip
    for target in targets.values():
        arguments += ["--output", str(target)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code in (0, 1), result.output
    rendered = {name: target.read_text() for name, target in targets.items()}
    rendered["terminal"] = result.output
    return rendered


def test_the_planted_objects_entry_and_waivers_are_reported(outputs: dict[str, str]) -> None:
    """Not vacuous: the overlay entry found the annotated workloads, the waiver and owner label were used."""
    report = json.loads(outputs["json"])
    assert any(f["change"] == "1.22-credential-overlay" for f in report["findings"])
    assert "vault-client-0" in outputs["html"] and "waived" in outputs["junit"]
    assert "&lt;redacted&gt;" in outputs["html"] and REDACTED in outputs["json"]


@pytest.mark.parametrize("format_name", sorted(EXTENSIONS))
def test_no_canary_reaches_any_format(outputs: dict[str, str], format_name: str) -> None:
    assert leaked(outputs[format_name]) == [], format_name


def test_redacted_reports_stay_well_formed(outputs: dict[str, str]) -> None:
    json.loads(outputs["json"])
    json.loads(outputs["sarif"])
    ElementTree.fromstring(outputs["junit"])


def test_kubectl_stderr_is_redacted_before_it_is_shown(tmp_path: Path) -> None:
    kubectl = tmp_path / "kubectl"
    secret_lines = "; ".join(CANARIES[kind] for kind in ("JSON web token", "password assignment", "bearer token"))
    kubectl.write_text(f"#!/bin/sh\necho 'error: exec plugin failed: {secret_lines}' >&2\nexit 1\n")
    kubectl.chmod(0o755)
    environment = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    result = __import__("subprocess").run(
        [sys.executable, "-m", "preflight", "snapshot", "--output", str(tmp_path / "out")],
        capture_output=True, text=True, env=environment, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "exec plugin failed" in result.stderr and REDACTED in result.stderr
    assert leaked(result.stderr) == []
