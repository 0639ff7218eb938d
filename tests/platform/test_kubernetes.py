from __future__ import annotations

import pytest

from preflight.errors import UsageError
from preflight.kb.interface import Severity
from preflight.platform.facts import bundled_facts
from preflight.platform.interface import Verdict
from preflight.platform.kubernetes import check_kubernetes, parse_kubernetes_version
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml

VERSION_DOCUMENT = """
clientVersion: {{gitVersion: v1.31.0}}
serverVersion: {{gitVersion: {version}, major: "1", minor: "{minor}"}}
"""


def _snapshot(version: str | None):  # type: ignore[no-untyped-def]
    if version is None:
        return snapshot_from_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    minor = version.split(".")[1]
    return snapshot_from_yaml(VERSION_DOCUMENT.format(version=version, minor=minor))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("v1.29.3", (1, 29)), ("1.28", (1, 28)), ("v1.28.9-eks-4c4a1b2", (1, 28)), ("v1.30.1+k3s1", (1, 30))],
)
def test_provider_flavoured_versions_parse(text: str, expected: tuple[int, int]) -> None:
    version = parse_kubernetes_version(text)
    assert version is not None and (version.major, version.minor) == expected


def test_below_the_target_minimum_is_critical() -> None:
    readiness, findings, _ = check_kubernetes(
        _snapshot("v1.27.9-gke.100"), parse_version("1.24"), bundled_facts(), None
    )
    assert readiness.verdict is Verdict.FAIL
    assert (readiness.version, readiness.minimum, readiness.source) == ("1.27.9", "1.28", "snapshot")
    assert [(f.change, f.severity) for f in findings] == [("platform-kubernetes-version", Severity.CRITICAL)]
    assert "1.28" in findings[0].message and findings[0].details["fix"]


def test_the_minimum_minor_itself_is_enough() -> None:
    readiness, findings, _ = check_kubernetes(_snapshot("v1.28.0"), parse_version("1.24.3"), bundled_facts(), None)
    assert readiness.verdict is Verdict.OK
    assert findings == []


def test_override_wins_over_the_snapshot() -> None:
    readiness, findings, _ = check_kubernetes(_snapshot("v1.33.0"), parse_version("1.30"), bundled_facts(), "1.31")
    assert readiness.source == "--kubernetes-version"
    assert readiness.verdict is Verdict.FAIL
    assert findings[0].details["minimum"] == "1.32"


def test_malformed_override_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--kubernetes-version 'latest'"):
        check_kubernetes(_snapshot(None), parse_version("1.24"), bundled_facts(), "latest")


def test_unknown_version_is_reported_not_assumed() -> None:
    readiness, findings, _ = check_kubernetes(_snapshot(None), parse_version("1.24"), bundled_facts(), None)
    assert readiness.verdict is Verdict.UNKNOWN
    assert [f.change for f in findings] == ["platform-kubernetes-version-unknown"]
