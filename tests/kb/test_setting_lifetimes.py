"""The setting lifetimes: read from a git repository tag by tag, and true to the shared reference."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from preflight.cli import main
from preflight.kb.istio_source import IstioRepo, flatten
from preflight.kb.settings import (
    LIBRARY_FLAGS,
    NamedSettings,
    build_lifetimes,
    bundled_lifetimes,
    dump_lifetimes,
    env_flag_of,
    lifetimes_file,
    load_lifetimes,
)
from preflight.versions import parse_version
from tests.kb.istio_repo_builder import FakeIstio, features

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "istio"
MIRROR = Path("/work/.mirror/istio+istio/repo")
API_MIRROR = Path("/work/.mirror/istio+api/repo")

CNI_ROOT = """package cmd

func init() {
	registerBooleanParameter(constants.GroupRead, false, "group read")
}
"""
CNI_CONSTANTS = 'package constants\n\nconst (\n\tGroupRead = "cni-group-read"\n)\n'
NAMED_THROUGH_A_CONSTANT = """package features

const GatewayName = "PILOT_GATEWAY_ALPHA"

var Gateway = env.Register(GatewayName, false, "through a constant").Get()
"""
PROXY_PROTO = """syntax = "proto3";
message ProxyConfig {
  // Tracing { zipkin } in a comment must not count
  int32 concurrency = 1;
  map<string, string> proxy_metadata = 2;
}
"""
MESH_PROTO = """syntax = "proto3";
message MeshConfig {
  ProxyConfig default_config = 1;
  message OutboundTrafficPolicy {
    enum Mode { REGISTRY_ONLY = 0; }
    Mode mode = 1;
  }
  OutboundTrafficPolicy outbound_traffic_policy = 2;
}
"""


def build_fake_istio(root: Path) -> tuple[IstioRepo, IstioRepo]:
    api = FakeIstio(root / "api")
    api.release("v1.20.0", {"mesh/v1alpha1/config.proto": MESH_PROTO, "mesh/v1alpha1/proxy.proto": PROXY_PROTO})
    api.release("v1.21.0", {"mesh/v1alpha1/proxy.proto": PROXY_PROTO.replace("int32 concurrency = 1;\n", "")})
    api_commit = subprocess.run(
        ["git", "-C", str(root / "api"), "rev-parse", "v1.21.0"], capture_output=True, text=True, check=True
    ).stdout.strip()
    istio = FakeIstio(root / "istio")
    go_mod = "module istio.io/istio\n\nrequire (\n\tistio.io/api {}\n)\n"
    istio.release(
        "1.20.0",
        {
            "go.mod": go_mod.format("v1.20.0"),
            "pilot/pkg/features/pilot.go": features(("FLAG_A", "true"), ("FLAG_B", '"x"')),
            "pilot/pkg/features/gateway.go": NAMED_THROUGH_A_CONSTANT,
            "pilot/pkg/features/pilot_test.go": features(("TEST_ONLY", "true")),
            "cni/pkg/cmd/root.go": CNI_ROOT,
            "cni/pkg/constants/constants.go": CNI_CONSTANTS,
        },
    )
    istio.release("1.20.1", {})
    istio.release("1.21.0-beta.0", {})
    istio.release(
        "1.21.0",
        {
            "go.mod": go_mod.format(f"v1.21.0-alpha.0.0.20240101000000-{api_commit[:12]}"),
            "pilot/pkg/features/pilot.go": features(("FLAG_A", "false")),
            "manifests/helm-profiles/compatibility-version-1.20.yaml": 'pilot:\n  env:\n    FLAG_A: "true"\n'
            'meshConfig:\n  defaultConfig:\n    proxyMetadata:\n      FLAG_A": "true"\n',
            "manifests/charts/istio-cni/values.yaml": "_internal_defaults_do_not_set:\n  ambient:\n"
            "    dnsCapture: true\n",
        },
    )
    istio.release(
        "1.21.1",
        {
            "manifests/helm-profiles/compatibility-version-1.20.yaml": 'pilot:\n  env:\n    FLAG_A: "true"\n'
            'meshConfig:\n  defaultConfig:\n    proxyMetadata:\n      FLAG_A: "true"\n',
        },
    )
    istio.release(
        "1.22.0-rc.0", {"pilot/pkg/features/pilot.go": features(("OTHER", "1")), "pilot/pkg/features/gateway.go": None}
    )
    return IstioRepo(root / "istio"), IstioRepo(root / "api")


NAMED = NamedSettings(
    env={"FLAG_A", "FLAG_B", "PILOT_GATEWAY_ALPHA", "CNI_GROUP_READ", "TEST_ONLY"},
    mesh_config={"defaultConfig.concurrency", "outboundTrafficPolicy.mode", "defaultConfig.nope"},
    install_values={"ambient.dnsCapture", "cni.ambient.dnsCapture"},
)


@pytest.fixture(scope="module")
def fake_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    istio, api = build_fake_istio(tmp_path_factory.mktemp("repos"))
    return build_lifetimes(istio, NAMED, api)


def test_every_release_tag_is_read_and_a_minor_without_a_release_by_its_newest_preview(
    fake_data: dict[str, Any],
) -> None:
    assert fake_data["tags"] == ["1.20.0", "1.20.1", "1.21.0", "1.21.1", "1.22.0-rc.0"]


def test_env_flags_are_read_from_go_sources_whichever_way_they_are_registered(fake_data: dict[str, Any]) -> None:
    env = fake_data["env"]
    assert env["FLAG_A"]["exists"] == [["1.20.0", "1.21.1"]]
    assert env["FLAG_A"]["defaults"] == [["1.20.0", "true"], ["1.21.0", "false"]]
    assert env["FLAG_B"]["exists"] == [["1.20.0", "1.20.1"]]
    assert env["PILOT_GATEWAY_ALPHA"]["exists"] == [["1.20.0", "1.21.1"]]
    assert env["CNI_GROUP_READ"]["exists"] == [["1.20.0", "1.22.0-rc.0"]]
    assert env["TEST_ONLY"]["exists"] == []  # registered only by a test file


def test_mesh_config_keys_are_read_from_the_api_version_go_mod_pins(fake_data: dict[str, Any]) -> None:
    mesh = fake_data["mesh_config"]
    assert mesh["defaultConfig.concurrency"]["exists"] == [["1.20.0", "1.20.1"]]  # dropped by api v1.21.0
    assert mesh["outboundTrafficPolicy.mode"]["exists"] == [["1.20.0", "1.22.0-rc.0"]]
    assert mesh["defaultConfig.nope"]["exists"] == []
    # proxyMetadata keys live as long as the flag, and profile keys are tracked too.
    assert mesh["defaultConfig.proxyMetadata.FLAG_A"]["exists"] == [["1.20.0", "1.21.1"]]


def test_chart_values_and_profiles_are_read_at_each_tag(fake_data: dict[str, Any]) -> None:
    assert fake_data["install_values"]["ambient.dnsCapture"]["exists"] == [["1.21.0", "1.22.0-rc.0"]]
    assert fake_data["install_values"]["cni.ambient.dnsCapture"]["exists"] == [["1.21.0", "1.22.0-rc.0"]]
    profile = fake_data["profiles"]["1.20"]
    assert profile["exists"] == [["1.21.0", "1.22.0-rc.0"]]
    assert profile["settings"]["pilot.env.FLAG_A"] == [["1.21.0", "1.22.0-rc.0", "true"]]
    assert profile["settings"]['meshConfig.defaultConfig.proxyMetadata.FLAG_A"'] == [["1.21.0", "1.21.0", "true"]]
    assert profile["settings"]["meshConfig.defaultConfig.proxyMetadata.FLAG_A"] == [["1.21.1", "1.22.0-rc.0", "true"]]


def test_written_data_answers_by_version(fake_data: dict[str, Any], tmp_path: Path) -> None:
    file = tmp_path / "lifetimes.yaml"
    file.write_text(dump_lifetimes(fake_data, "test"), encoding="utf-8")
    facts = load_lifetimes(file)
    assert facts.exists("env", "FLAG_A", parse_version("1.21.7")) is True  # a patch past the last tag read
    assert facts.exists("env", "FLAG_A", parse_version("1.22")) is False
    assert facts.exists("env", "FLAG_A", parse_version("1.23.0")) is None  # a minor the data does not cover
    assert facts.last_with("env", "FLAG_A", parse_version("1.22.0")) == "1.21"
    assert facts.last_with("env", "FLAG_B", parse_version("1.21.0")) == "1.20"
    assert facts.profile_settings("1.20", parse_version("1.21.0")) == {
        "pilot.env.FLAG_A": "true",
        'meshConfig.defaultConfig.proxyMetadata.FLAG_A"': "true",
    }
    assert facts.profile_settings("1.20", parse_version("1.20.1")) is None


def test_the_command_writes_the_data(tmp_path: Path) -> None:
    istio, api = build_fake_istio(tmp_path / "repos")
    output = tmp_path / "out.yaml"
    result = CliRunner().invoke(
        main, ["kb", "lifetimes", "--istio-repo", str(istio.path), "--api-repo", str(api.path), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert data["tags"][-1] == "1.22.0-rc.0"
    assert data["profiles"]["1.20"]["exists"] == [["1.21.0", "1.22.0-rc.0"]]


def test_a_directory_that_is_no_repository_is_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["kb", "lifetimes", "--istio-repo", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a git repository" in result.output


def test_kb_validate_rejects_a_mitigation_naming_a_setting_istio_does_not_have(tmp_path: Path) -> None:
    overlay = tmp_path / "kb"
    overlay.mkdir()
    (overlay / "1.24.yaml").write_text(
        """minor: "1.24"
entries:
  - id: 1.24-local-change
    introduced_in: "1.24.0"
    title: A local change
    summary: Something changes.
    impact: behave differently
    severity: low
    area: traffic
    advisory: Not visible in a snapshot.
    remediation: Fix it.
    mitigation:
      text: Set ENABLE_EXTERNAL_NAME_ALIASES=false on istiod.
      env: {ENABLE_EXTERNAL_NAME_ALIASES: "false"}
    upstream: {settings: [ENABLE_EXTERNAL_NAME_ALIASES]}
""",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["kb", "validate", str(overlay)])
    assert result.exit_code == 2
    assert "1.24.yaml:3" in result.output
    assert "'ENABLE_EXTERNAL_NAME_ALIASES' is unknown to the setting lifetimes" in result.output
    # A flag that exists, but not yet where the change arrives, is refused too.
    text = (overlay / "1.24.yaml").read_text(encoding="utf-8")
    text = text.replace("ENABLE_EXTERNAL_NAME_ALIASES", "ENABLE_AUTO_SNI")
    (overlay / "1.24.yaml").write_text(text.replace("1.24", "1.26"), encoding="utf-8")
    (overlay / "1.24.yaml").rename(overlay / "1.26.yaml")
    result = CliRunner().invoke(main, ["kb", "validate", str(overlay)])
    assert result.exit_code == 2
    assert "'ENABLE_AUTO_SNI' does not exist at 1.26.0" in result.output


def _reference_profiles() -> list[tuple[str, Path]]:
    folder = REFERENCE / "compatibility-profiles"
    return sorted(
        (d.name.removeprefix("at-"), d) for d in folder.glob("at-*") if d.is_dir() and d.name != "at-master"
    )


@pytest.mark.skipif(not (REFERENCE / "compatibility-profiles").is_dir(), reason="no shared reference")
@pytest.mark.parametrize(("tag", "folder"), _reference_profiles())
def test_the_profiles_in_the_data_are_those_of_the_shared_reference(tag: str, folder: Path) -> None:
    facts = bundled_lifetimes()
    version = parse_version(tag)
    assert facts.tag_for(version) == tag
    shipped = sorted(f.name.removeprefix("compatibility-version-").removesuffix(".yaml") for f in folder.glob("*.yaml"))
    assert sorted(facts.shipped_profiles(version)) == shipped
    for profile in shipped:
        reference = yaml.safe_load((folder / f"compatibility-version-{profile}.yaml").read_text(encoding="utf-8"))
        assert facts.profile_settings(profile, version) == dict(flatten(reference or {})), (tag, profile)


@pytest.mark.skipif(not MIRROR.is_dir(), reason="no istio/istio mirror on this machine")
def test_the_committed_data_is_what_the_source_says_on_one_release_line(tmp_path: Path) -> None:
    """Regenerating one line (1.22.x, where profiles changed in patches) gives the committed facts."""
    committed = yaml.safe_load(lifetimes_file().read_text(encoding="utf-8"))
    named = NamedSettings(set(committed["env"]), set(committed["mesh_config"]), set(committed["install_values"]))
    api = IstioRepo(API_MIRROR) if API_MIRROR.is_dir() else None
    fresh = build_lifetimes(IstioRepo(MIRROR), named, api, since="1.22", until="1.22")
    facts = bundled_lifetimes()
    file = tmp_path / "fresh.yaml"
    file.write_text(dump_lifetimes(fresh, "test"), encoding="utf-8")
    fresh_file_facts = load_lifetimes(file)
    for tag in fresh["tags"]:
        version = parse_version(tag)
        for kind in ("env", "install_values") + (("mesh_config",) if api else ()):
            for name in committed[kind]:
                if env_flag_of(kind, name) in LIBRARY_FLAGS:
                    continue  # read from the libraries' own repositories, which this test does not pass
                assert facts.exists(kind, name, version) == fresh_file_facts.exists(kind, name, version), (
                    tag,
                    kind,
                    name,
                )
        for profile in committed["profiles"]:
            assert facts.profile_settings(profile, version) == fresh_file_facts.profile_settings(profile, version)

