import json
from pathlib import Path

import pytest

from preflight.errors import InputError
from preflight.redaction import REDACTED
from preflight.snapshot.loader import load_snapshot

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: api
  namespace: payments
spec:
  selector: {app: api}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        env:
        - {name: DB_PASSWORD, value: hunter2-canary}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_multi_document_yaml_is_split_into_objects(tmp_path: Path) -> None:
    path = write(tmp_path, "all.yaml", SERVICE + "---\n" + DEPLOYMENT)
    snapshot = load_snapshot([str(path)])
    assert [str(o.ref) for o in snapshot.objects] == ["Deployment payments/api", "Service payments/api"]


def test_kind_list_items_are_objects_with_their_own_lines(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a, namespace: x}\n"
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: b, namespace: x}\n"
    )
    snapshot = load_snapshot([str(write(tmp_path, "list.yaml", text))])
    lines = {o.name: o.source.line for o in snapshot.objects}
    assert lines == {"a": 4, "b": 7}


def test_typed_list_wrappers_from_kubectl_are_unwrapped(tmp_path: Path) -> None:
    document = {
        "apiVersion": "v1",
        "kind": "ServiceList",
        "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "x"}}],
    }
    snapshot = load_snapshot([str(write(tmp_path, "services.json", json.dumps(document)))])
    assert [o.name for o in snapshot.of_kind("Service")] == ["a"]


def test_json_export_loads(tmp_path: Path) -> None:
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "payments", "labels": {"istio-injection": "enabled"}},
            }
        ],
    }
    snapshot = load_snapshot([str(write(tmp_path, "ns.json", json.dumps(document)))])
    assert snapshot.namespace_labels["payments"] == {"istio-injection": "enabled"}


def test_directories_are_read_recursively_and_other_files_ignored(tmp_path: Path) -> None:
    write(tmp_path, "a/service.yaml", SERVICE)
    write(tmp_path, "a/b/deploy.yml", DEPLOYMENT)
    write(tmp_path, "a/README.md", "not yaml: [")
    snapshot = load_snapshot([str(tmp_path / "a")])
    assert len(snapshot) == 2


def test_objects_without_namespace_get_the_default_one_but_cluster_kinds_do_not(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n"
    )
    snapshot = load_snapshot([str(write(tmp_path, "x.yaml", text))])
    assert snapshot.get("Service", "default", "a") is not None
    assert snapshot.get("Namespace", "", "n") is not None


def test_unknown_kinds_are_kept(tmp_path: Path) -> None:
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: x}\nspec: {size: 3}\n"
    snapshot = load_snapshot([str(write(tmp_path, "w.yaml", text))])
    assert snapshot.of_kind("Widget")[0].spec == {"size": 3}


def test_secrets_never_enter_the_model(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: x}\ndata: {token: c2VjcmV0}\n---\n" + SERVICE
    snapshot = load_snapshot([str(write(tmp_path, "s.yaml", text))])
    assert snapshot.of_kind("Secret") == []
    assert snapshot.info.dropped_secrets == 1


def test_container_env_values_are_redacted_at_load(tmp_path: Path) -> None:
    snapshot = load_snapshot([str(write(tmp_path, "d.yaml", DEPLOYMENT))])
    container = snapshot.of_kind("Deployment")[0].spec["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "DB_PASSWORD", "value": REDACTED}]


def test_istiod_flags_survive_redaction(tmp_path: Path) -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system, labels: {app: istiod}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:1.20.3
        env:
        - {name: ENABLE_EXTERNAL_NAME_ALIAS, value: "false"}
        - {name: CA_PRIVATE_KEY, value: "abc"}
"""
    snapshot = load_snapshot([str(write(tmp_path, "istiod.yaml", text))])
    env = snapshot.of_kind("Deployment")[0].spec["template"]["spec"]["containers"][0]["env"]
    assert env[0]["value"] == "false"
    assert env[1]["value"] == REDACTED


def test_kubectl_version_output_sets_the_kubernetes_version(tmp_path: Path) -> None:
    path = write(tmp_path, "version.json", json.dumps({"serverVersion": {"gitVersion": "v1.29.4"}}))
    assert load_snapshot([str(path)]).info.kubernetes_version == "v1.29.4"


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", SERVICE + "  broken: [\n")
    with pytest.raises(InputError) as error:
        load_snapshot([str(path)])
    assert str(error.value).startswith(f"{path}:")
    assert "invalid YAML" in str(error.value)


def test_invalid_json_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{\n  "kind": "List",\n  "items": [,]\n}\n')
    with pytest.raises(InputError, match=r"bad\.json:3: invalid JSON"):
        load_snapshot([str(path)])


def test_a_string_where_an_object_belongs_is_a_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", SERVICE + "---\njust a string\n")
    with pytest.raises(InputError, match=r"s\.yaml:9 \(document 1\): expected a Kubernetes object"):
        load_snapshot([str(path)])


def test_wrong_type_for_spec_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: [1, 2]\n")
    with pytest.raises(InputError, match="'spec' of Service a must be a mapping"):
        load_snapshot([str(path)])


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    previous = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="alias bomb"):
        load_snapshot([str(path)])


def test_non_utf8_input_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(SERVICE.encode() + b"# caf\xe9\n")
    with pytest.raises(InputError, match=r"latin1\.yaml:8: not UTF-8"):
        load_snapshot([str(path)])


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SERVICE.encode())
    assert len(load_snapshot([str(path)])) == 1


def test_missing_path_and_empty_directory_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_snapshot([str(tmp_path / "nope.yaml")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no \.yaml"):
        load_snapshot([str(tmp_path / "empty")])


def test_documents_that_are_not_kubernetes_objects_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "values.yaml", "replicaCount: 3\n---\n" + SERVICE)
    assert len(load_snapshot([str(path)])) == 1


@pytest.mark.parametrize(
    "flag",
    ["VERIFY_CERTIFICATE_AT_CLIENT", "ENABLE_DEBUG_ENDPOINT_AUTH", "AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY"],
)
def test_istio_flags_whose_names_mention_certificates_or_auth_keep_their_values(tmp_path: Path, flag: str) -> None:
    text = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        env:
        - {{name: {flag}, value: "false"}}
"""
    snapshot = load_snapshot([str(write(tmp_path, "istiod.yaml", text))])
    env = snapshot.of_kind("Deployment")[0].spec["template"]["spec"]["containers"][0]["env"]
    assert env[0]["value"] == "false"


@pytest.mark.parametrize("name", ["DB_PASSWORD", "API_TOKEN", "SIGNING_KEY", "client-secret"])
def test_credential_named_flags_on_istiod_are_redacted(tmp_path: Path, name: str) -> None:
    text = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        env:
        - {{name: {name}, value: "hunter2"}}
"""
    snapshot = load_snapshot([str(write(tmp_path, "istiod.yaml", text))])
    env = snapshot.of_kind("Deployment")[0].spec["template"]["spec"]["containers"][0]["env"]
    assert env[0]["value"] == REDACTED


def test_items_of_a_kubectl_json_list_carry_their_own_lines(tmp_path: Path) -> None:
    document = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "x"}},
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "b", "namespace": "x", "annotations": {"k": "}"}}},
        ],
    }
    path = write(tmp_path, "list.json", json.dumps(document, indent=4))
    lines = {o.name: o.source.line or 0 for o in load_snapshot([str(path)]).objects}
    text = path.read_text().splitlines()
    assert text[lines["a"] - 1].strip() == "{" and '"a"' in "".join(text[lines["a"] - 1 : lines["a"] + 6])
    assert lines["b"] > lines["a"] > 0


def test_a_manifest_and_a_version_document_inside_a_list_are_read_not_taken_for_objects(tmp_path: Path) -> None:
    manifest = {
        "apiVersion": "preflight/v1",
        "kind": "SnapshotManifest",
        "cluster": "prod-eu",
        "kubernetesVersion": "v1.28.9",
        "complete": True,
    }
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "payments"}}
    for items, version in (
        ([manifest, service], "v1.28.9"),
        # `kubectl version -o json` names the server the export talked to; it wins over the manifest.
        ([manifest, {"serverVersion": {"gitVersion": "v1.29.4"}}, service], "v1.29.4"),
    ):
        path = write(tmp_path, "snapshot.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        snapshot = load_snapshot([str(path)])

        assert [o.kind for o in snapshot.objects] == ["Service"]
        assert snapshot.info.manifest["cluster"] == "prod-eu"
        assert snapshot.info.cluster_name == "prod-eu"
        assert snapshot.info.kubernetes_version == version
        assert snapshot.of_kind("Service")[0].source.line == 1


def _kubectl_yaml_list(count: int) -> str:
    items = "".join(
        f"- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s{i}\n    namespace: x\n"
        f"    labels: {{app: s{i}}}\n  spec:\n    ports:\n    - port: {8000 + i}\n"
        for i in range(count)
    )
    return f"apiVersion: v1\nitems:\n{items}kind: List\nmetadata:\n  resourceVersion: \"\"\n"


def test_large_yaml_lists_read_in_batches_give_the_same_objects_and_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import preflight.snapshot.loader as loader

    text = _kubectl_yaml_list(7)
    whole = loader.load_documents("list.yaml", text.encode())
    monkeypatch.setattr(loader, "_BATCHED_LIST_MIN_CHARS", 0)
    monkeypatch.setattr(loader, "_ITEMS_PER_BATCH", 3)
    batched = loader.load_documents("list.yaml", text.encode())
    assert batched == whole
    assert batched[0][2] == [3 + 9 * i for i in range(7)]


def test_errors_in_a_batched_yaml_list_name_their_own_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import preflight.snapshot.loader as loader

    monkeypatch.setattr(loader, "_BATCHED_LIST_MIN_CHARS", 0)
    monkeypatch.setattr(loader, "_ITEMS_PER_BATCH", 2)
    lines = _kubectl_yaml_list(5).splitlines(keepends=True)
    lines[41] = "    name: s4\n    name: again\n"  # item 5's name, then the same key again on line 43
    path = write(tmp_path, "list.yaml", "".join(lines))
    with pytest.raises(InputError, match=r"list\.yaml:43: duplicate key 'name'"):
        load_snapshot([str(path)])


def test_yaml_keys_and_short_values_are_shared_between_objects(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
        f"- apiVersion: v1\n  kind: Service\n  metadata: {{name: s{i}, namespace: shop}}\n" for i in range(2)
    )
    first, second = load_snapshot([str(write(tmp_path, "list.yaml", text))]).objects
    first_key = next(k for k in first.body if k == "apiVersion")
    second_key = next(k for k in second.body if k == "apiVersion")
    assert first_key is second_key
    assert first.namespace is second.namespace
