"""Secrets are dropped by each object's own kind, wherever they appear: in an export, in any List, nested or not.

The export used to let an item's own ``kind: Secret`` through when it came back in another
kind's list (a misbehaving proxy, an aggregated API), writing its ``data`` verbatim.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState
from tests.export.conftest import RECORDINGS, FakeKubectl
from tests.export.test_command import export, manifest_of, write_recording

CANARY = "c2VjcmV0LWNhbmFyeS12YWx1ZQ=="  # base64 of a value that must never be written anywhere
PAGE_KEY = "get --raw /api/v1/pods?limit=2&continue=pods-3"


def secret(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "shop"},
        "type": "Opaque",
        "data": {"password": CANARY},
        "stringData": {"token": CANARY},
        **extra,
    }


def recording_with_items(tmp_path: Path, *items: dict[str, Any]) -> Path:
    page = yaml.safe_load((RECORDINGS / "cluster.yaml").read_text())["responses"][PAGE_KEY]
    page["json"]["items"].extend(items)
    return write_recording(tmp_path, {PAGE_KEY: page})


def every_exported_byte(output: Path) -> str:
    return "".join(path.read_text(encoding="utf-8") for path in sorted(output.rglob("*")) if path.is_file())


@pytest.mark.parametrize(
    "item",
    [
        secret("own-kind", kind="Secret", apiVersion="v1"),
        secret("lower-case-kind", kind="secret", apiVersion="v1"),
        {"kind": "List", "apiVersion": "v1", "items": [secret("nested", kind="Secret", apiVersion="v1")]},
        {"kind": "SecretList", "apiVersion": "v1", "items": [secret("kindless-in-secret-list")]},
    ],
    ids=["own-kind", "lower-case-kind", "nested-list", "secret-list-without-item-kinds"],
)
def test_a_secret_in_another_kinds_list_is_never_written(
    item: dict[str, Any], fake_kubectl: FakeKubectl, tmp_path: Path
) -> None:
    fake_kubectl.use(recording_with_items(tmp_path, item))
    result, output = export(tmp_path)

    assert result.exit_code == 0, result.output
    written = every_exported_byte(output)
    assert CANARY not in written
    assert manifest_of(output)["droppedSecrets"] == 1
    assert CANARY not in result.output


def test_the_pods_around_a_dropped_secret_are_kept(fake_kubectl: FakeKubectl, tmp_path: Path) -> None:
    fake_kubectl.use(recording_with_items(tmp_path, secret("stray", kind="Secret", apiVersion="v1")))
    result, output = export(tmp_path)

    assert result.exit_code == 0, result.output
    names = [item["metadata"]["name"] for item in json.loads((output / "pods.json").read_text())["items"]]
    assert names == [
        "web-6d4cf56db6-aaaaa",
        "web-6d4cf56db6-bbbbb",
        "web-6d4cf56db6-ccccc",
        "istiod-5f7d9c-xxxxx",
        "debug",
    ]


def load(text: str) -> _LoadState:
    state = _LoadState()
    _load_bytes("input.yaml", text.encode(), LoadOptions(), state)
    return state


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {p: " + CANARY + "}\n",
        "apiVersion: v1\nkind: secret\nmetadata: {name: s}\ndata: {p: " + CANARY + "}\n",
        "apiVersion: v1\nkind: SecretList\nitems:\n- metadata: {name: s}\n  data: {p: " + CANARY + "}\n",
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n"
        "  - {apiVersion: v1, kind: Secret, metadata: {name: s}, data: {p: " + CANARY + "}}\n",
        "apiVersion: v1\nkind: ServiceList\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}, "
        "data: {p: " + CANARY + "}}\n",
    ],
    ids=["secret", "lower-case-kind", "secret-list-without-item-kinds", "list-in-a-list", "secret-in-service-list"],
)
def test_the_loader_drops_secrets_by_their_own_kind(text: str) -> None:
    state = load(text)
    assert state.dropped_secrets == 1
    assert not state.objects
    assert CANARY not in repr([obj.body for obj in state.objects])


def test_objects_beside_a_nested_secret_are_loaded_at_their_lines() -> None:
    state = load(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: Secret, metadata: {name: s}, data: {p: " + CANARY + "}}\n"
        "- {apiVersion: v1, kind: Service, metadata: {name: web, namespace: shop}}\n"
    )
    assert [(obj.kind, obj.name, obj.source.line) for obj in state.objects] == [("Service", "web", 5)]
    assert state.dropped_secrets == 1
