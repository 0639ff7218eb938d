"""Hostile and broken snapshot files: a snapshot or an ``InputError`` naming the file (and line), nothing else.

Covers arbitrary text and bytes, arbitrary YAML and JSON values, alias bombs, deep
nesting, huge strings, duplicate keys, non-UTF-8 bytes, byte-order marks, tabs, unsafe
tags. Loader-level here; ``test_cli_hostile.py`` runs the same files through the command.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.errors import InputError
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState

# A small exponential alias chain: 9 levels of 9 references expand to 9**9 nodes.
ALIAS_BOMB = "a: &a ['x','x','x','x','x','x','x','x','x']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

HOSTILE_FILES: dict[str, tuple[bytes, int | None]] = {
    # name: (content, the line the error must name, or None when the file is acceptable)
    "alias-bomb.yaml": (ALIAS_BOMB.encode(), 7),  # the first node past the limit
    "deep-flow.yaml": (b"kind: Service\nmetadata: " + b"[" * 50_000 + b"\n", 2),
    "deep-block.yaml": ("".join("  " * i + "k:\n" for i in range(5_000)).encode(), 1000),
    "deep.json": (b"[" * 200_000 + b"]" * 200_000, 1),
    "deep-on-line-3.json": (b'{"kind": "Service",\n "x":\n ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 3),
    "long-integer.yaml": (b"kind: Service\nmetadata:\n  name: a\nspec:\n  port: " + b"9" * 5_000 + b"\n", 5),
    "long-integer.json": (b'{"kind": "Service",\n "spec": {"port": ' + b"9" * 5_000 + b"}}", 2),
    "lone-surrogate.json": (b'{"kind": "Service",\n "metadata": {"name": "a\\ud800"}}', 2),
    "lone-low-surrogate.json": (b'{"kind": "Service",\n\n "metadata": {"name": "\\udc00a"}}', 3),
    "duplicate-keys.json": (b'{"kind": "Service",\n "metadata": {"name": "a",\n  "name": "b"}}', 3),
    # PyYAML raises a bare ValueError for a tagged or date-shaped value it cannot build.
    "tagged-int.yaml": (b"kind: Service\nmetadata:\n  name: a\nspec:\n  port: !!int eighty\n", 5),
    "tagged-float.yaml": (b"kind: Service\nmetadata:\n  name: a\nspec:\n  weight: !!float heavy\n", 5),
    "impossible-date.yaml": (b"kind: Service\nmetadata:\n  name: a\n  created: 2024-13-45\n", 4),
    "nul.yaml": (b"kind: Service\nmetadata:\n  name: a\x00\n", 3),
    # libyaml ends lines at NEL, U+2028, U+2029 and a lone CR too; the line named is the one editors count.
    "line-separators.yaml": (
        'kind: Service\nmetadata:\n  annotations: {x: "a\u2028\u2029\u0085b"}\n  name: a\n  name: b\n'.encode(), 5
    ),
    "lone-cr.yaml": (b"kind: Service\rmetadata:\n  name: a\n  name: b\n", 3),
    "latin1.yaml": (b"kind: Service\nmetadata:\n  name: caf\xe9\n", 3),
    "utf16.yaml": ("kind: Service\nmetadata:\n  name: x\n".encode("utf-16"), 1),
    "tabs.yaml": (b"kind: Service\nmetadata:\n\tname: x\n", 3),
    "duplicate-keys.yaml": (b"kind: Service\nmetadata:\n  name: a\n  name: b\n", 4),
    "python-tag.yaml": (b"kind: Service\nmetadata:\n  name: !!python/object/apply:os.system ['true']\n", 3),
    "scalar.yaml": (b"just a string\n", 1),
    "list-document.yaml": (b"- kind: Service\n", 1),
    "items-not-list.yaml": (b"kind: List\nitems: {a: 1}\n", 1),
    "bad-json.json": (b'{\n  "kind": "Service",\n  "metadata": {"name": "x",}\n}\n', 3),
    "nan.json": (b'{"kind": "Service", "metadata": {"name": NaN}}', 1),
}
ACCEPTABLE_FILES: dict[str, bytes] = {
    "bom.yaml": "\ufeffkind: Service\nmetadata:\n  name: bom\n".encode(),
    "bom.json": '\ufeff{"kind": "Service", "metadata": {"name": "bom"}}'.encode(),
    "huge-string.yaml": b"kind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: " + b"x" * 20_000_000 + b"\n",
    "empty.yaml": b"",
    "comments-only.yaml": b"# nothing here\n---\n# nor here\n",
    "values-file.yaml": b"replicas: 3\nimage: {tag: 1.2}\n",  # a GitOps values file, not an object
}


def load(name: str, data: bytes) -> _LoadState:
    state = _LoadState()
    _load_bytes(name, data, LoadOptions(), state)
    return state


def assert_input_error_names(name: str, data: bytes, line: int | None) -> InputError:
    with pytest.raises(InputError) as caught:
        load(name, data)
    error = caught.value
    assert error.location is not None and error.location.file == name
    if line is not None:
        assert error.location.line == line, str(error)
    assert "\n" not in str(error)
    return error


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_file_is_one_line_input_error_naming_file_and_line(name: str) -> None:
    data, line = HOSTILE_FILES[name]
    assert_input_error_names(name, data, line)


def test_alias_bomb_names_the_expansion() -> None:
    error = assert_input_error_names("bomb.yaml", ALIAS_BOMB.encode(), 7)
    assert "alias" in error.message


def test_duplicate_key_names_the_key() -> None:
    error = assert_input_error_names("dup.yaml", HOSTILE_FILES["duplicate-keys.yaml"][0], 4)
    assert "'name'" in error.message


@pytest.mark.parametrize("name", sorted(ACCEPTABLE_FILES))
def test_acceptable_oddities_load(name: str) -> None:
    state = load(name, ACCEPTABLE_FILES[name])
    assert all(obj.source.file == name for obj in state.objects)


def test_escaped_backslash_before_u_and_a_proper_pair_are_ordinary_text() -> None:
    text = '{"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "\\\\ud800 \\ud83d\\ude00"}}'
    (obj,) = load("fine.json", text.encode()).objects
    assert obj.body["data"]["k"] == "\\ud800 \U0001f600"


def test_byte_order_mark_does_not_reach_the_first_key() -> None:
    for name in ("bom.yaml", "bom.json"):
        (obj,) = load(name, ACCEPTABLE_FILES[name]).objects
        assert obj.kind == "Service" and obj.name == "bom"


# Arbitrary input --------------------------------------------------------------------

_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)
_kube_keys = st.sampled_from(["kind", "apiVersion", "metadata", "spec", "items", "name", "namespace", "labels"])
_kube_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10), st.sampled_from(["List", "Service", ""])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(_kube_keys, st.text(max_size=5)), inner, max_size=5)
    ),
    max_leaves=25,
)


def _outcome_is_snapshot_or_input_error(name: str, data: bytes) -> None:
    try:
        load(name, data)
    except InputError as error:
        assert error.location is not None and error.location.file == name
        assert "\n" not in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(data: bytes) -> None:
    _outcome_is_snapshot_or_input_error("random.yaml", data)
    _outcome_is_snapshot_or_input_error("random.json", data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`?,\n\t \ufeff\\x0")), max_size=200))
def test_arbitrary_yaml_punctuation(text: str) -> None:
    _outcome_is_snapshot_or_input_error("punct.yaml", text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents=st.lists(_kube_like, min_size=1, max_size=4))
def test_arbitrary_kubernetes_like_yaml(documents: list[Any]) -> None:
    _outcome_is_snapshot_or_input_error("kube.yaml", yaml.safe_dump_all(documents).encode())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.one_of(_json_values, _kube_like.filter(lambda v: not _has_non_string_keys(v))))
def test_arbitrary_json(document: Any) -> None:
    _outcome_is_snapshot_or_input_error("any.json", json.dumps(document).encode())


def _has_non_string_keys(value: Any) -> bool:
    if isinstance(value, dict):
        return any(not isinstance(k, str) or _has_non_string_keys(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_non_string_keys(v) for v in value)
    return False
