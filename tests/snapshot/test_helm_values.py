"""``--values``: Helm values files of the Istio charts as install inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.errors import InputError
from preflight.istio.control_plane import read_control_plane
from preflight.snapshot.loader import LoadOptions, load_helm_values, load_snapshot

ISTIOD_VALUES = """\
revision: ""
compatibilityVersion: "1.22"
global:
  tag: 1.22.3
pilot:
  env:
    PILOT_ENABLE_AMBIENT: true
    ENABLE_DEFERRED_CLUSTER_CREATION: "false"
    EXTERNAL_API_TOKEN: "plain-value"
meshConfig:
  accessLogFile: /dev/stdout
  extensionProviders:
  - name: otel
    opentelemetry:
      service: https://collector:Sup3rSecret@otel.example.com
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_values_file_becomes_an_install_input_the_control_plane_reads(tmp_path: Path) -> None:
    values = write(tmp_path, "istiod/values.yaml", ISTIOD_VALUES)
    snapshot = load_snapshot([write(tmp_path, "apps.yaml", "")], LoadOptions(values_files=(values,)))

    [install_input] = snapshot.of_kind("HelmValues")
    assert install_input.name == values
    assert install_input.namespace == "istio-system"
    assert values in snapshot.info.sources
    revision = read_control_plane(snapshot).revision("default")
    assert revision is not None
    assert revision.compatibility_version == "1.22"
    assert revision.env["PILOT_ENABLE_AMBIENT"] == "true"  # YAML true read as Helm renders it
    assert revision.env["ENABLE_DEFERRED_CLUSTER_CREATION"] == "false"
    assert revision.env["EXTERNAL_API_TOKEN"] == "<redacted>"  # named like a credential
    assert revision.mesh_value("accessLogFile") == "/dev/stdout"
    assert "Sup3rSecret" not in str(install_input.body)
    assert str(revision.version) == "1.22.3"


def test_values_files_of_different_charts_stay_apart(tmp_path: Path) -> None:
    objects = load_helm_values(
        [
            write(tmp_path, "istiod/values.yaml", "pilot: {env: {A: b}}\n"),
            write(tmp_path, "gateway/values.yaml", "global: {istioNamespace: istio-gw}\n"),
            write(tmp_path, "empty.yaml", "# nothing set\n"),
        ]
    )

    assert [o.name.rsplit("/", 2)[-2:] for o in objects] == [
        ["istiod", "values.yaml"],
        ["gateway", "values.yaml"],
        [str(tmp_path).rsplit("/", 1)[-1], "empty.yaml"],
    ]
    assert objects[1].namespace == "istio-gw"
    assert objects[2].body["values"] == {}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("pilot:\n  env: [unclosed\n", "invalid YAML", 3),
        ("- a\n- b\n", "Helm values must be a mapping, found a list", 1),
        ("pilot: {}\n---\nmeshConfig: {}\n", "this is a second one", 3),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "not Helm values", 1),
    ],
)
def test_bad_values_files_are_one_line_errors_naming_file_and_line(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = write(tmp_path, "values.yaml", text)
    with pytest.raises(InputError) as raised:
        load_helm_values([path])

    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{path}:{line}")
    assert "\n" not in str(raised.value)


def test_a_missing_values_file_or_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_helm_values([str(tmp_path / "absent.yaml")])
    with pytest.raises(InputError, match="not a directory"):
        load_helm_values([str(tmp_path)])
