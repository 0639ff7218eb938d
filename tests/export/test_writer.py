"""The snapshot writer on its own: the JSON List layout, restarts, encodings, and all-or-nothing publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from preflight.errors import InputError
from preflight.export.writer import SnapshotWriter, encoded_items, is_snapshot_directory
from preflight.snapshot.loader import load_snapshot

MANIFEST = {"apiVersion": "preflight/v1", "kind": "SnapshotManifest", "cluster": "lab", "complete": True}


def service(name: str, **extra: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop", **extra}}


def test_a_kind_is_a_json_list_with_one_item_per_line(tmp_path: Path) -> None:
    output = tmp_path / "snap"
    with SnapshotWriter(output, single_file=False) as writer:
        stream = writer.open_kind("services")
        for name in ("a", "b", "c"):
            stream.write(service(name))
        stream.close()
        writer.commit(MANIFEST, [stream.path.name])

    lines = (output / "services.json").read_text(encoding="utf-8").splitlines()
    assert lines == [
        '{"apiVersion": "v1", "kind": "List", "items": [',
        '{"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"shop"}},',
        '{"apiVersion":"v1","kind":"Service","metadata":{"name":"b","namespace":"shop"}},',
        '{"apiVersion":"v1","kind":"Service","metadata":{"name":"c","namespace":"shop"}}',
        "]}",
    ]
    assert json.loads((output / "manifest.json").read_text(encoding="utf-8")) == MANIFEST
    assert is_snapshot_directory(output)
    assert {o.name: o.source.line for o in load_snapshot([str(output)]).objects} == {"a": 2, "b": 3, "c": 4}


def test_restart_empties_the_kind_and_an_empty_list_is_still_json(tmp_path: Path) -> None:
    with SnapshotWriter(tmp_path / "snap", single_file=False) as writer:
        stream = writer.open_kind("pods")
        stream.write(service("first-attempt"))
        stream.restart()
        assert stream.count == 0
        stream.close()
        assert json.loads(stream.path.read_text()) == {"apiVersion": "v1", "kind": "List", "items": []}
        stream = writer.open_kind("services")
        stream.restart()
        stream.write(service("second-attempt"))
        stream.close()
        stream.close()  # closing twice changes nothing
        assert [json.loads(item)["metadata"]["name"] for item in encoded_items(stream.path)] == ["second-attempt"]
        assert json.loads(stream.path.read_text())["items"][0]["metadata"]["name"] == "second-attempt"


def test_key_order_unicode_and_lone_surrogates_survive(tmp_path: Path) -> None:
    body = {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"name": "zürich", "namespace": "shop", "annotations": {"z": "日本", "a": "x\u2028y"}},
    }
    broken = service("broken", annotations={"note": json.loads('"a\\ud800b"')})
    with SnapshotWriter(tmp_path / "snap", single_file=False) as writer:
        stream = writer.open_kind("services")
        stream.write(body)
        stream.write(broken)
        stream.close()
        raw = stream.path.read_bytes()
        assert "zürich".encode() in raw and "日本".encode() in raw  # UTF-8, not \u escapes
        assert b"\\ud800" in raw  # no UTF-8 form: escaped, still valid JSON
        assert raw.count(b"\n") == 4  # U+2028 is not a line break for the file
        items = json.loads(raw.decode("utf-8"))["items"]
        assert items[0] == body and list(items[0]) == ["kind", "apiVersion", "metadata"]
        assert list(items[0]["metadata"]["annotations"]) == ["z", "a"]
        assert items[1] == broken


@pytest.mark.parametrize("name", ["snap.json", "snap.yaml", "snap.YML"])
def test_a_single_file_holds_the_manifest_then_every_object(tmp_path: Path, name: str) -> None:
    output = tmp_path / name
    with SnapshotWriter(output, single_file=True) as writer:
        files = []
        for kind, names in (("services", ["a", "b"]), ("deployments.apps", ["c"])):
            stream = writer.open_kind(kind)
            for object_name in names:
                stream.write(service(object_name))
            stream.close()
            files.append(stream.path.name)
        writer.commit(MANIFEST, files)

    assert [p.name for p in tmp_path.iterdir()] == [name]
    text = output.read_text(encoding="utf-8")
    if name.endswith(".json"):
        document = json.loads(text)
        assert document["kind"] == "List"
        documents = document["items"]
        assert len(text.splitlines()) == 1 + 4 + 1
    else:
        documents = list(yaml.safe_load_all(text))
        assert text.startswith("---\napiVersion: preflight/v1\n")
    assert documents[0] == MANIFEST
    assert [d["metadata"]["name"] for d in documents[1:]] == ["a", "b", "c"]
    snapshot = load_snapshot([str(output)])
    assert snapshot.info.cluster_name == "lab"
    assert [o.name for o in snapshot.objects] == ["a", "b", "c"]


def test_nothing_is_published_when_the_export_fails(tmp_path: Path) -> None:
    output = tmp_path / "snap.json"
    with pytest.raises(RuntimeError), SnapshotWriter(output, single_file=True) as writer:
        writer.open_kind("services").write(service("a"))
        raise RuntimeError("cluster went away")
    assert list(tmp_path.iterdir()) == []


def test_a_previous_snapshot_is_recognised_in_either_layout(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "manifest.yaml").write_text(yaml.safe_dump(MANIFEST))
    current = tmp_path / "current"
    current.mkdir()
    (current / "manifest.json").write_text(json.dumps(MANIFEST))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"name": "my-web-app", "version": "1.0.0"}))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"apiVersion": "preflight/v1", "kind": "SnapshotMan')

    assert is_snapshot_directory(legacy) and is_snapshot_directory(current)
    assert not is_snapshot_directory(foreign) and not is_snapshot_directory(broken)


def test_yaml_refuses_an_object_with_a_lone_surrogate_and_publishes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "snap.yaml"
    refused = pytest.raises(InputError, match=r"Service shop/broken holds text that is not valid Unicode")
    with refused, SnapshotWriter(output, single_file=True) as writer:
        stream = writer.open_kind("services")
        stream.write(service("fine"))
        stream.write(service("broken", annotations={"note": json.loads('"a\\ud800b"')}))
        stream.close()
        writer.commit(MANIFEST, [stream.path.name])
    assert list(tmp_path.iterdir()) == []


def test_a_manifest_is_readable_json_even_with_text_that_is_not_valid_unicode(tmp_path: Path) -> None:
    manifest = {**MANIFEST, "context": "prod-€", "server": json.loads('"https://\\udc80.example"')}
    with SnapshotWriter(tmp_path / "snap", single_file=False) as writer:
        writer.commit(manifest, [])

    text = (tmp_path / "snap" / "manifest.json").read_text(encoding="utf-8")
    assert json.loads(text) == manifest
    assert text.startswith('{\n  "apiVersion": "preflight/v1",\n')  # indented: people read this one
    assert is_snapshot_directory(tmp_path / "snap")
