"""Detector parameters are typed where the detector is defined, and checked when the knowledge base loads."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from preflight.cli import main
from preflight.detectors import registry
from preflight.detectors.parameters import Parameter, boolean, check, number, text, text_list, value_list, version

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLUSTER = str(FIXTURES / "cluster")

DECLARED = {
    "keys": text_list("keys", required=True),
    "scope": text("scope", choices=("mesh", "ambient", "none"), default="mesh"),
    "values": value_list("values"),
    "only": boolean("only"),
    "headroom": number("headroom", minimum=0.01, maximum=1),
    "below": version("below"),
}


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"keys": ["a"]}, None),
        (
            {"keys": ["a"], "scope": "ambient", "values": ["x", 1, True], "only": True, "headroom": 1, "below": "7.2"},
            None,
        ),
        ({}, "parameter 'keys' is required: expected a list of text"),
        ({"keys": []}, "parameter 'keys' must not be empty: expected a list of text"),
        # A single string would otherwise be read character by character: no hit, and no error either.
        ({"keys": "a.b"}, "parameter 'keys' expected a list of text, found 'a.b'"),
        ({"keys": ["a", 3]}, "parameter 'keys' expected a list of text, found ['a', 3]"),
        (
            {"keys": ["a"], "scope": "mesh-wide"},
            "parameter 'scope' expected one of mesh, ambient, none, found 'mesh-wide'",
        ),
        # The text "false" is true to Python: a boolean must be one.
        ({"keys": ["a"], "only": "false"}, "parameter 'only' expected true or false, found 'false'"),
        ({"keys": ["a"], "headroom": "abc"}, "parameter 'headroom' expected a number from 0.01 to 1, found 'abc'"),
        ({"keys": ["a"], "headroom": 5}, "parameter 'headroom' expected a number from 0.01 to 1, found 5"),
        ({"keys": ["a"], "headroom": True}, "parameter 'headroom' expected a number from 0.01 to 1, found true"),
        # An unquoted 1.10 is the number 1.1 to YAML.
        ({"keys": ["a"], "below": 1.1}, "parameter 'below' expected a quoted version such as \"1.2.0\", found 1.1"),
        (
            {"keys": ["a"], "below": "latest"},
            "parameter 'below' expected a quoted version such as \"1.2.0\", found 'latest'",
        ),
        (
            {"keys": ["a"], "values": [{"x": 1}]},
            "parameter 'values' expected a list of text, numbers or true/false, found [{'x': 1}]",
        ),
        (
            {"keys": ["a"], "note": "x"},
            "takes no parameter(s) note (it takes: keys, scope, values, only, headroom, below)",
        ),
    ],
)
def test_values_are_checked_against_their_declared_type(given: dict[str, Any], problem: str | None) -> None:
    assert check(DECLARED, given) == problem


@pytest.mark.parametrize("name", sorted(registry.detectors()))
def test_every_detector_declares_exactly_the_parameters_it_reads(name: str) -> None:
    module = registry.get(name)
    assert all(isinstance(p, Parameter) for p in module.PARAMETERS.values())
    source = inspect.getsource(sys.modules[module.__name__])
    read = set(re.findall(r"""params(?:\.get\(|\[)\s*["'](\w+)["']""", source))
    assert read == set(module.PARAMETERS), f"{name} reads {sorted(read)} but declares {sorted(module.PARAMETERS)}"


@pytest.mark.parametrize("name", sorted(registry.detectors()))
def test_parameters_are_documented_once_from_their_declarations(name: str) -> None:
    module = registry.get(name)
    assert "\nParameters" not in (module.__doc__ or ""), f"{name}'s docstring documents its parameters by hand"
    documentation = registry.documentation(name)
    for parameter_name, parameter in module.PARAMETERS.items():
        assert f"  {parameter_name}: {parameter.expected}" in documentation


OVERLAY = """minor: "1.22"
entries:
  - id: 1.22-local-detector-call
    introduced_in: "1.22.0"
    title: A local change with a detector
    summary: Something changes.
    impact: behave differently
    severity: low
    area: traffic
    detector:
      name: {detector}
      params: {params}
    remediation: Fix it.
    mitigation: None.
    upstream: {{docs: ["https://istio.io/latest/news/"]}}
"""

BAD_CALLS = [
    # `kb validate` accepted each of these; at `check` a detector raised on some (exit 3) and read others wrongly
    # (a string as a list of characters, the text "false" as true), or the call could never match.
    ("ambient_mesh_size", "{headroom: abc}", "parameter 'headroom' expected a number from 0.01 to 1, found 'abc'"),
    (
        "destination_rule_tls_origination",
        "{missing: certificate}",
        "parameter 'missing' expected one of trust_anchor, sni",
    ),
    (
        "workload_image_in_use",
        "{images: [grafana/grafana], below: 7.10}",
        "parameter 'below' expected a quoted version",
    ),
    ("annotation_in_use", "{annotations: sidecar.istio.io/inject}", "parameter 'annotations' expected a list of text"),
    ("gateway_proxies", "{only_when_tracing: 'false'}", "parameter 'only_when_tracing' expected true or false"),
    ("istiod_env_set", "{values: ['true']}", "parameter 'flags' is required"),
]


def _overlay(root: Path, detector: str, params: str) -> Path:
    root.mkdir()
    (root / "1.22.yaml").write_text(OVERLAY.format(detector=detector, params=params), encoding="utf-8")
    return root


@pytest.mark.parametrize(("detector", "params", "message"), BAD_CALLS)
@pytest.mark.parametrize("command", ["kb validate", "check"])
def test_a_bad_parameter_in_an_overlay_is_bad_input_at_validate_and_at_check(
    tmp_path: Path, detector: str, params: str, message: str, command: str
) -> None:
    overlay = _overlay(tmp_path / "kb", detector, params)
    args = (
        ["kb", "validate", str(overlay)]
        if command == "kb validate"
        else ["check", CLUSTER, "--allow-invalid-names", "--kb", str(overlay), "--to", "1.22.0"]
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert f"1.22.yaml:3: entry '1.22-local-detector-call': detector '{detector}' {message}" in result.output
    assert "internal error" not in result.output


def test_the_checked_call_still_runs_when_given_as_a_user_would(tmp_path: Path) -> None:
    good = _overlay(tmp_path / "good", "ambient_mesh_size", "{headroom: 0.5}")
    assert CliRunner().invoke(main, ["kb", "validate", str(good)]).exit_code == 0
    bad = _overlay(tmp_path / "bad", "ambient_mesh_size", "{headroom: abc}")
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "preflight",
            "check",
            CLUSTER,
            "--allow-invalid-names",
            "--kb",
            str(bad),
            "--to",
            "1.22",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 2
    assert process.stderr.count("\n") == 1 and "Traceback" not in process.stderr


def test_kb_detectors_prints_the_declared_parameters() -> None:
    result = CliRunner().invoke(main, ["kb", "detectors"])
    assert result.exit_code == 0
    assert "    headroom: a number from 0.01 to 1 (default 0.75): " in result.output
    assert "    missing: one of trust_anchor, sni (required): " in result.output
