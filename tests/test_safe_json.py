"""``preflight.safe_json``: the one JSON reader, its refusals and the sharing of repeated values."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preflight import safe_json
from preflight.errors import InputError


def test_equal_short_values_are_one_string() -> None:
    # Built at run time, so the compiler's own constant sharing cannot make the test pass.
    namespace = "".join(["payments", "-", "prod"])
    text = json.dumps({"items": [{"metadata": {"namespace": namespace, "name": f"api-{i}"}} for i in range(3)]})
    items = safe_json.parse("snapshot.json", text)["items"]
    first, second, third = (item["metadata"]["namespace"] for item in items)
    assert first == namespace
    assert first is second is third


def test_long_values_are_not_kept_shared() -> None:
    long_value = "x" * 65
    items = safe_json.parse("snapshot.json", json.dumps([{"a": long_value}, {"a": long_value}]))
    assert items[0]["a"] == items[1]["a"] == long_value
    assert items[0]["a"] is not items[1]["a"]


def test_duplicate_key_is_still_refused_with_its_line() -> None:
    with pytest.raises(InputError) as refused:
        safe_json.parse("snapshot.json", '{\n  "a": "x",\n  "a": "y"\n}')
    assert "duplicate key 'a'" in str(refused.value)
    assert refused.value.location is not None and refused.value.location.line == 3


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(_JSON_VALUES)
def test_sharing_changes_no_value(value: object) -> None:
    assert safe_json.parse("value.json", json.dumps(value)) == value
