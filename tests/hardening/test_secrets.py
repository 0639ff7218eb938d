"""No secret material in any output: canary values planted everywhere, looked for in every format.

Secrets (``data`` and ``stringData``, alone or inside a List), container env values,
last-applied configuration, credential-looking annotations (keys, certificates, JWTs,
URL passwords, cloud and GitHub tokens), ConfigMap keys and binary data, EnvoyFilter
inline keys and credential flags on command lines.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from preflight.resources import demo_cluster_dir
from preflight.snapshot.loader import load_snapshot
from tests.hardening.support import full_check, render_all

FIXTURE = Path(__file__).parent / "fixtures" / "canaries.yaml"
CANARY = re.compile(r"XYZZY", re.IGNORECASE)  # every planted secret contains it


def _canary_texts() -> list[str]:
    """The canary word, and the base64 forms the fixture plants (Secret data, binaryData, JWT claims)."""
    encoded = [base64.b64encode(b"XYZZY-DATA-PASSWORD"), base64.b64encode(b"XYZZY-BINARY")]
    return ["XYZZY", *(e.decode() for e in encoded), "eyJzdWIiOiJYWVpaWS1KV1QifQ"]


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    snapshot = load_snapshot([str(demo_cluster_dir()), str(FIXTURE)])
    assert snapshot.info.dropped_secrets == 3  # the demo's Secret and both of the fixture's
    assert snapshot.get("Deployment", "payments", "leaky") is not None
    return render_all(full_check(snapshot))


def test_the_fixture_reaches_the_report(rendered: dict[str, str]) -> None:
    """Not vacuous: the planted objects are reported on, with their annotations quoted (redacted)."""
    assert "leaky" in rendered["json"]
    assert "sidecar.istio.io/enableCoreDump=" in rendered["json"]
    assert "<redacted>" in rendered["json"]


@pytest.mark.parametrize("format_name", ["text", "json", "markdown", "html", "sarif", "junit"])
def test_no_canary_in_any_format(rendered: dict[str, str], format_name: str) -> None:
    text = rendered[format_name]
    for canary in _canary_texts():
        assert canary not in text, f"{canary!r} leaked into {format_name}"
    assert not CANARY.search(text)
