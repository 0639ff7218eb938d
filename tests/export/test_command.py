"""``preflight snapshot`` against a RECORDED fake kubectl (tests/export/fake_kubectl.py).

No cluster is involved: every kubectl answer comes from a hand-written recording in
kubectl's output format. The tests check what the export asks for (discovery, paging,
never Secrets), what it writes (redacted, noise-free, loadable), and how it fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from preflight.cli import main
from preflight.istio.control_plane import read_control_plane
from preflight.snapshot.loader import load_snapshot

from .conftest import RECORDINGS, FakeKubectl

SECRET_VALUES = (
    "hunter2",
    "abc123plain",
    "second-plain-secret",
    "s3cretPass",
    "Sup3rSecret",
    "eyJhbGci",
    "MIIC/DCC",
    "LS0tLS1CRUdJTi",
    "plain-but-named-like-a-token",
    "AAECAwQ=",
)


def run(*arguments: str) -> Any:
    return CliRunner().invoke(main, ["snapshot", *arguments])


def export(tmp_path: Path, *extra: str) -> tuple[Any, Path]:
    output = tmp_path / "snap"
    result = run("--output", str(output), "--context", "prod", "--chunk-size", "2", *extra)
    return result, output


def manifest_of(output: Path) -> dict[str, Any]:
    document = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def items_of(path: Path) -> list[dict[str, Any]]:
    """The objects of one exported kind file, checking its layout: a JSON List, one item per line."""
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert document["apiVersion"] == "v1" and document["kind"] == "List"
    lines = text.splitlines()
    assert lines[0] == '{"apiVersion": "v1", "kind": "List", "items": [' and lines[-1] == "]}"
    assert [json.loads(line.removesuffix(",")) for line in lines[1:-1]] == document["items"]
    items: list[dict[str, Any]] = document["items"]
    return items


def counts(manifest: dict[str, Any]) -> dict[str, int]:
    return {entry["resource"]: entry["count"] for entry in manifest["kinds"]}


def write_recording(tmp_path: Path, responses: dict[str, Any], base: str = "cluster.yaml") -> Path:
    """The base recording with some answers replaced (a variant of the same recorded cluster)."""
    recording = yaml.safe_load((RECORDINGS / base).read_text())
    recording["responses"].update(responses)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(recording))
    return path


def test_export_writes_one_file_per_kind_and_a_manifest(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    result, output = export(tmp_path)

    assert result.exit_code == 0, result.output
    manifest = manifest_of(output)
    assert manifest["apiVersion"] == "preflight/v1" and manifest["kind"] == "SnapshotManifest"
    assert manifest["cluster"] == "prod-eu"
    assert manifest["context"] == "prod"
    assert manifest["kubernetesVersion"] == "v1.29.4"
    assert manifest["tool"]["name"] == "istio-preflight"
    assert manifest["exportedAt"].endswith("Z")
    assert counts(manifest) == {
        "namespaces": 3,
        "customresourcedefinitions.apiextensions.k8s.io": 1,
        "mutatingwebhookconfigurations.admissionregistration.k8s.io": 1,
        "gatewayclasses.gateway.networking.k8s.io": 1,
        "services": 3,
        "endpointslices.discovery.k8s.io": 1,
        "deployments.apps": 3,
        "statefulsets.apps": 0,
        "daemonsets.apps": 0,
        "replicasets.apps": 1,
        "jobs.batch": 0,
        "cronjobs.batch": 0,
        "pods": 5,
        "serviceaccounts": 1,
        "wasmplugins.extensions.istio.io": 0,
        "httproutes.gateway.networking.k8s.io": 1,
        "referencegrants.gateway.networking.k8s.io": 0,
        "istiooperators.install.istio.io": 1,
        "destinationrules.networking.istio.io": 0,
        "virtualservices.networking.istio.io": 1,
        "envoyfilters.networking.istio.io": 1,
        "proxyconfigs.networking.istio.io": 0,
        "peerauthentications.security.istio.io": 1,
        "configmaps": 3,
    }
    files = sorted(p.name for p in output.iterdir())
    assert "pods.json" in files and "manifest.json" in files
    assert "statefulsets.apps.json" not in files  # nothing to write, no empty file
    assert not [name for name in files if not name.endswith(".json")]
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_discovery_takes_each_resource_at_the_first_version_serving_it(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    _, output = export(tmp_path)
    versions = {entry["kind"]: entry["apiVersion"] for entry in manifest_of(output)["kinds"]}

    assert versions["VirtualService"] == "networking.istio.io/v1"  # preferred, not v1alpha3
    assert versions["EnvoyFilter"] == "networking.istio.io/v1alpha3"  # served only there
    assert versions["ReferenceGrant"] == "gateway.networking.k8s.io/v1beta1"
    assert sorted(manifest_of(output)["notServed"]) == ["gateway.networking.x-k8s.io", "telemetry.istio.io"]


def test_secrets_subresources_and_unwanted_kinds_are_never_requested(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    export(tmp_path)
    paths = [call["args"] for call in fake_kubectl.calls()]

    assert not [p for p in paths if "secrets" in p or "/log" in p or "nodes" in p or "controllerrevisions" in p]
    assert all(call["flags"].get("--context") == "prod" for call in fake_kubectl.calls())
    # Legacy Endpoints are not read where EndpointSlices are served.
    assert not [p for p in paths if p.startswith("get --raw /api/v1/endpoints")]


def test_lists_are_read_page_by_page_following_continue_tokens(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    _, output = export(tmp_path)
    pod_calls = [c["args"] for c in fake_kubectl.calls() if c["args"].startswith("get --raw /api/v1/pods")]

    assert pod_calls == [
        "get --raw /api/v1/pods?limit=2",
        "get --raw /api/v1/pods?limit=2&continue=eyJydiI6OTAwfQ%2F%3D%3D",
        "get --raw /api/v1/pods?limit=2&continue=pods-3",
    ]
    pods = items_of(output / "pods.json")
    assert [p["metadata"]["name"] for p in pods] == [
        "web-6d4cf56db6-aaaaa",
        "web-6d4cf56db6-bbbbb",
        "web-6d4cf56db6-ccccc",
        "istiod-5f7d9c-xxxxx",
        "debug",
    ]
    assert all(p["apiVersion"] == "v1" and p["kind"] == "Pod" for p in pods)


def test_forbidden_lists_are_named_with_what_the_report_loses(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    result, output = export(tmp_path)
    manifest = manifest_of(output)

    assert result.exit_code == 0
    assert manifest["complete"] is False
    forbidden = {entry["resource"]: entry for entry in manifest["forbidden"]}
    assert set(forbidden) == {
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
        "authorizationpolicies.security.istio.io",
    }
    policies = forbidden["authorizationpolicies.security.istio.io"]
    assert "cannot list resource" in policies["message"]
    assert "findings about them cannot be reported" in policies["impact"]
    assert "--namespace" in policies["impact"]  # a namespaced kind: a narrower export may work
    assert "--namespace" not in forbidden["validatingwebhookconfigurations.admissionregistration.k8s.io"]["impact"]
    assert "not allowed to list authorizationpolicies.security.istio.io" in result.stderr
    assert "snapshot is incomplete (manifest.json says what is missing)" in result.stderr


def test_exported_objects_are_scrubbed(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    _, output = export(tmp_path)
    text = "\n".join(p.read_text() for p in output.iterdir())

    for secret in SECRET_VALUES:
        assert secret not in text, secret
    assert "managedFields" not in text
    assert "last-applied-configuration" not in text
    assert "validationMessages" not in text and "observedGeneration" not in text
    deployments = {d["metadata"]["name"]: d for d in items_of(output / "deployments.apps.json")}
    web = deployments["web"]["spec"]["template"]["spec"]["containers"][0]
    assert [e["name"] for e in web["env"]] == ["DB_PASSWORD", "LOG_LEVEL", "DB_USER"]  # names kept
    assert web["env"][2]["valueFrom"] == {"secretKeyRef": {"name": "db", "key": "user"}}
    assert web["args"] == [
        "--port=8080",
        "--api-key=<redacted>",
        "--token",
        "<redacted>",
        "--tls-key-file=/etc/tls/key.pem",
    ]
    assert deployments["web"]["metadata"]["annotations"]["example.com/webhook-url"] == (
        "https://deploy:<redacted>@hooks.example.com/notify"  # the user name is kept, not the password
    )
    istiod_env = deployments["istiod"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "PILOT_ENABLE_AMBIENT", "value": "false"} in istiod_env  # an Istio flag stays readable
    canary_image = deployments["istiod-canary"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert canary_image.endswith("@sha256:" + "0123456789abcdef" * 4)  # a digest is not a credential
    assert "status" not in deployments["istiod"]
    pod = items_of(output / "pods.json")[0]
    assert pod["status"]["containerStatuses"] == [
        {
            "name": "istio-proxy",
            "image": "docker.io/istio/proxyv2:1.22.3",
            "imageID": "docker.io/istio/proxyv2@sha256:" + "fedcba9876543210" * 4,
            "ready": True,
        }
    ]
    assert "conditions" not in pod["status"]


def test_crds_keep_names_and_served_versions_only(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    _, output = export(tmp_path)
    [crd] = items_of(output / "customresourcedefinitions.apiextensions.k8s.io.json")

    assert crd["spec"] == {
        "group": "networking.istio.io",
        "scope": "Namespaced",
        "names": {"kind": "VirtualService", "plural": "virtualservices"},
        "versions": [
            {"name": "v1", "served": True, "storage": True},
            {"name": "v1alpha3", "served": True, "storage": False},
        ],
    }
    assert "status" not in crd and "annotations" not in crd["metadata"]


def test_mesh_config_maps_come_from_every_istio_namespace_and_only_those(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    _, output = export(tmp_path)
    calls = [c["args"] for c in fake_kubectl.calls() if "configmaps" in c["args"]]

    # istio-canary is known only from the canary injector webhook's service.
    assert calls == [
        "get --raw /api/v1/namespaces/istio-canary/configmaps?limit=2",
        "get --raw /api/v1/namespaces/istio-system/configmaps?limit=2",
    ]
    assert manifest_of(output)["istioNamespaces"] == ["istio-canary", "istio-system"]


def test_only_endpoint_slices_of_selectorless_services_are_kept(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    _, output = export(tmp_path)
    slices = items_of(output / "endpointslices.discovery.k8s.io.json")

    assert [s["metadata"]["name"] for s in slices] == ["external-db-manual"]


def test_the_export_loads_as_a_snapshot(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    _, output = export(tmp_path)
    snapshot = load_snapshot([str(output)])

    assert snapshot.info.cluster_name == "prod-eu"
    assert snapshot.info.kubernetes_version == "v1.29.4"
    assert snapshot.info.dropped_secrets == 0
    assert len(snapshot.of_kind("Pod")) == 5
    control_plane = read_control_plane(snapshot)
    assert [r.name for r in control_plane.revisions] == ["default", "canary"]
    default = control_plane.revision("default")
    assert default is not None
    assert default.mesh_value("accessLogFile") == "/dev/stdout"  # mesh config survives redaction
    assert default.mesh_value("defaultConfig.holdApplicationUntilProxyStarts") is True
    assert default.compatibility_version == "1.21"  # from the exported IstioOperator


def test_single_file_output_holds_manifest_and_every_object(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    output = tmp_path / "prod.yaml"
    result = run("-o", str(output), "--context", "prod", "--chunk-size", "2")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(("bin", "kubectl"))) == ["prod.yaml"]
    documents = list(yaml.safe_load_all(output.read_text()))
    assert documents[0]["kind"] == "SnapshotManifest"
    assert len(documents) == 1 + 28
    assert len(load_snapshot([str(output)])) == 28


def test_single_json_file_is_one_list_with_the_manifest_first(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    output = tmp_path / "prod.json"
    result = run("-o", str(output), "--context", "prod", "--chunk-size", "2")

    assert result.exit_code == 0, result.output
    assert "its SnapshotManifest says what is missing" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(("bin", "kubectl"))) == ["prod.json"]
    items = items_of(output)
    assert items[0]["kind"] == "SnapshotManifest" and items[0]["cluster"] == "prod-eu"
    assert len(items) == 1 + 28
    snapshot = load_snapshot([str(output)])
    assert len(snapshot) == 28
    assert snapshot.info.cluster_name == "prod-eu" and snapshot.info.kubernetes_version == "v1.29.4"
    assert snapshot.info.manifest["complete"] is False
    lines = output.read_text(encoding="utf-8").splitlines()
    for obj in snapshot.objects:  # every object is located at its own line
        assert obj.source.line is not None
        assert f'"name":{json.dumps(obj.name)}' in lines[obj.source.line - 1]


def test_objects_of_an_exported_directory_are_located_at_their_own_lines(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    _, output = export(tmp_path)
    snapshot = load_snapshot([str(output)])

    assert len(snapshot) == 28
    for obj in snapshot.objects:
        line = Path(obj.source.file).read_text(encoding="utf-8").splitlines()[(obj.source.line or 0) - 1]
        assert json.loads(line.removesuffix(","))["metadata"]["name"] == obj.name


def test_overwrite_replaces_a_snapshot_exported_as_yaml_by_an_earlier_version(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    output = tmp_path / "snap"
    output.mkdir()
    (output / "manifest.yaml").write_text("---\napiVersion: preflight/v1\nkind: SnapshotManifest\ncluster: old\n")
    (output / "pods.yaml").write_text("---\napiVersion: v1\nkind: Pod\nmetadata: {name: old, namespace: x}\n")

    replaced, _ = export(tmp_path, "--overwrite")

    assert replaced.exit_code == 0, replaced.output
    assert not (output / "manifest.yaml").exists() and not (output / "pods.yaml").exists()
    assert (output / "pods.json").exists()
    assert manifest_of(output)["cluster"] == "prod-eu"


def test_overwrite_refuses_a_directory_whose_manifest_json_is_not_ours(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    output = tmp_path / "webapp"
    output.mkdir()
    (output / "manifest.json").write_text('{"name": "My App", "start_url": "/"}')

    refused = run("-o", str(output), "--context", "prod", "--overwrite")

    assert refused.exit_code == 2
    assert "it has no manifest.json or manifest.yaml" in refused.stderr
    assert (output / "manifest.json").read_text() == '{"name": "My App", "start_url": "/"}'
    assert fake_kubectl.calls() == []


def test_an_existing_output_is_kept_unless_overwrite_replaces_a_snapshot(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    output = tmp_path / "snap"
    output.mkdir()
    (output / "notes.txt").write_text("mine")

    refused = run("-o", str(output), "--context", "prod")
    assert refused.exit_code == 2
    assert "directory is not empty" in refused.stderr
    not_a_snapshot = run("-o", str(output), "--context", "prod", "--overwrite")
    assert not_a_snapshot.exit_code == 2
    assert (output / "notes.txt").read_text() == "mine"
    assert fake_kubectl.calls() == []  # refused before talking to the cluster

    (output / "notes.txt").unlink()
    assert export(tmp_path)[0].exit_code == 0
    (output / "stale.yaml").write_text("kind: Service\n")
    replaced, _ = export(tmp_path, "--overwrite")
    assert replaced.exit_code == 0
    assert not (output / "stale.yaml").exists()
    assert (output / "pods.json").exists()


def test_an_expired_continue_token_restarts_the_kind_without_duplicates(
    fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    second_page = yaml.safe_load((RECORDINGS / "cluster.yaml").read_text())["responses"][
        "get --raw /api/v1/pods?limit=2&continue=eyJydiI6OTAwfQ%2F%3D%3D"
    ]
    expired = {
        "stderr": "Error from server (Expired): The provided continue parameter is too old to display a "
        "consistent list result. You can start a new list without the continue parameter.",
        "exit": 1,
    }
    second_page_key = "get --raw /api/v1/pods?limit=2&continue=eyJydiI6OTAwfQ%2F%3D%3D"
    fake_kubectl.use(write_recording(tmp_path, {second_page_key: [expired, second_page]}))
    result, output = export(tmp_path)

    assert result.exit_code == 0, result.output
    assert counts(manifest_of(output))["pods"] == 5
    pods = [p["metadata"]["name"] for p in items_of(output / "pods.json")]
    assert len(pods) == len(set(pods)) == 5


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"stderr": "error: You must be logged in to the server (Unauthorized)", "exit": 1},
            "does not accept these credentials",
        ),
        (
            {
                "stderr": "The connection to the server prod.example.com:6443 was refused - "
                "did you specify the right host or port?",
                "exit": 1,
            },
            "The connection to the server prod.example.com:6443 was refused",
        ),
    ],
)
def test_an_unusable_cluster_stops_the_export_with_nothing_written(
    fake_kubectl: FakeKubectl, tmp_path: Path, answer: dict[str, Any], expected: str
) -> None:
    fake_kubectl.use(write_recording(tmp_path, {"get --raw /api/v1/pods?limit=2": answer}))
    result, output = export(tmp_path)

    assert result.exit_code == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not output.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_an_unknown_context_is_a_one_line_error(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    result = run("-o", str(tmp_path / "snap"), "--context", "staging")

    assert result.exit_code == 2
    assert "kubectl --context staging" in result.stderr
    assert 'context "staging" does not exist' in result.stderr


def test_missing_kubectl_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("-o", str(tmp_path / "snap"))

    assert result.exit_code == 2
    assert "'kubectl' not found on PATH" in result.stderr


NAMESPACED_ANSWERS: dict[str, Any] = {
    "get --raw /api/v1/namespaces/shop": {
        "json": {
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}},
        }
    },
    "get --raw /api/v1/namespaces/istio-system": {
        "json": {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "istio-system"}}
    },
    "get --raw /api/v1/namespaces/istio-canary": {
        "stderr": 'Error from server (NotFound): namespaces "istio-canary" not found',
        "exit": 1,
    },
    "get --raw /api/v1/namespaces/nope": {
        "stderr": 'Error from server (NotFound): namespaces "nope" not found',
        "exit": 1,
    },
    "get --raw /api/v1/namespaces/shop/pods?limit=2": {
        "json": {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {},
            "items": [{"metadata": {"name": "web-1", "namespace": "shop"}, "spec": {"containers": []}}],
        }
    },
    "get --raw /apis/security.istio.io/v1/namespaces/shop/authorizationpolicies?limit=2": {
        "stderr": 'Error from server (Forbidden): authorizationpolicies.security.istio.io is forbidden: User "dev" '
        'cannot list resource "authorizationpolicies" in API group "security.istio.io" in the namespace "shop"',
        "exit": 1,
    },
    # Every other namespaced list of this recorded account is empty.
    "get --raw /api*/namespaces/*/*?limit=2": {
        "json": {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []}
    },
}


def test_namespace_option_lists_those_namespaces_and_istios_own(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    fake_kubectl.use(write_recording(tmp_path, NAMESPACED_ANSWERS))
    result, output = export(tmp_path, "--namespace", "shop")

    assert result.exit_code == 0, result.output
    manifest = manifest_of(output)
    assert manifest["namespaces"] == ["shop"]
    assert counts(manifest)["namespaces"] == 2  # shop and istio-system; istio-canary does not exist
    assert counts(manifest)["pods"] == 1
    paths = [c["args"] for c in fake_kubectl.calls()]
    assert "get --raw /api/v1/pods?limit=2" not in paths  # never cluster-wide
    assert "get --raw /api/v1/namespaces/istio-system/pods?limit=2" in paths
    assert "get --raw /api/v1/namespaces/shop/configmaps?limit=2" not in paths  # mesh config only
    [forbidden] = manifest["forbidden"][1:]  # [0] is the cluster-wide ValidatingWebhookConfiguration list
    assert forbidden["namespace"] == "shop"
    assert "--namespace" not in forbidden["impact"]
    assert "not allowed to list authorizationpolicies.security.istio.io in namespace shop" in result.stderr


def test_a_namespace_the_cluster_lacks_is_an_error(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    fake_kubectl.use(write_recording(tmp_path, NAMESPACED_ANSWERS))
    result, output = export(tmp_path, "--namespace", "nope")

    assert result.exit_code == 2
    assert "--namespace nope: the cluster has no such namespace" in result.stderr
    assert not output.exists()
