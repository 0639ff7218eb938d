"""The event builder gives what the full loader gives, or hands the text to it (generated and hand-picked YAML)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.errors import InputError
from preflight.safe_yaml import NeedsFullLoader, documents_from_events
from preflight.snapshot.loader import _LineRecordingLoader, _parse_yaml_text


def _full_loader(text: str) -> list[tuple[Any, int | None, list[int | None]]]:
    loader = _LineRecordingLoader(text)
    documents = []
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]
            data = loader.get_data()
            line, item_lines = loader.document_lines[-1]
            documents.append((data, line, item_lines))
    finally:
        loader.dispose()
    return documents


def _typed(value: Any) -> Any:
    """``value`` with every scalar's type spelled out, so ``True``, ``1`` and ``1.0`` stay apart."""
    if isinstance(value, dict):
        return ("map", [(_typed(key), _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


def _assert_same_as_full_loader(text: str) -> bool:
    """True when the event builder read ``text`` (and agreed), False when it handed it on."""
    try:
        fast = documents_from_events(text)
    except NeedsFullLoader:
        return False
    full = _full_loader(text)
    assert [(_typed(data), line, items) for data, line, items in fast] == [
        (_typed(data), line, items) for data, line, items in full
    ], text
    return True


# Plain scalars YAML 1.1 resolves to something other than a string, and look-alikes that stay strings.
_TRICKY = [
    "yes", "No", "on", "OFF", "y", "true", "False", "~", "null", "", "0777", "0x1F", "0b101", "1_000", "+12",
    "-0", "1e3", "1.5e-3", ".inf", "-.Inf", ".nan", "1:30", "190:20:30", "2024-01-02", "2024-01-02T03:04:05Z",
    "2024-01-02 03:04:05.5 +02:00", "3.", ".5", "0o17", "1.2.3", "12h", "08", "09.5", "'quoted'", "a: b",
    "- x", "#hash", "x #y", "%tag", "@at", "`tick`", "-", "?", "*", "&", "\u2028", "naïve", "日本", "x\ny",
    "  padded  ", "trailing:", "k8s.io/name", "=",
]  # fmt: skip
_SCALARS = st.one_of(
    st.sampled_from(_TRICKY),
    st.text(max_size=12),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
)
_KEYS = st.one_of(st.sampled_from(_TRICKY), st.text(max_size=8), st.integers(), st.booleans())
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_DATA, min_size=1, max_size=3),
    st.sampled_from([None, False, True]),
    st.sampled_from([None, "'", '"', "|", ">"]),
    st.booleans(),
)
def test_generated_documents_read_as_the_full_loader_reads_them(
    documents: list[Any], flow: bool | None, style: str | None, explicit_start: bool
) -> None:
    text = yaml.dump_all(
        documents, default_flow_style=flow, default_style=style, explicit_start=explicit_start, allow_unicode=True
    )
    _assert_same_as_full_loader(text)


def test_kubernetes_documents_and_list_items_keep_their_lines() -> None:
    documents = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n# c\n\nkind: Pod\nport: 0777\n"
    assert _assert_same_as_full_loader(documents)
    assert [line for _, line, _ in documents_from_events(documents)] == [1, 8]
    kube_list = "apiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: a}\n-   kind: Pod\nkind: List\n"
    assert _assert_same_as_full_loader(kube_list)
    assert documents_from_events(kube_list)[0][2] == [3, 5]
    assert documents_from_events("- a\n- b: 1\n\n- c\n")[0][2] == [1, 2, 4]
    assert documents_from_events("a:\n  items:\n  - x\n")[0][2] == []  # only the top level's items
    assert _assert_same_as_full_loader("---\n---\n...\n") and _assert_same_as_full_loader("")


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchor and alias
        "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",  # merge key
        "a:\n  <<: {x: 1}\n",  # merge key without an alias
        "a: 1\na: 2\n",  # a repeated key
        "yes: 1\ntrue: 2\n",  # two spellings of one key
        "? [a, b]\n: c\n",  # a complex key
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
        "a: !custom 1\n",
        "a: =\n",
        "a: 2024-13-45\n",  # looks like a date, is not one
        "[" * 150 + "]" * 150 + "\n",  # nesting the full loader decides about
    ],
)
def test_what_only_the_full_loader_handles_is_handed_to_it(text: str) -> None:
    assert not _assert_same_as_full_loader(text)


@pytest.mark.parametrize(
    "text",
    [
        "x: 1\n---\na: 1\na: 2\n",  # a repeated key after a good document
        "a: 1\n---\nb: 2\nc: [\n",  # unfinished flow sequence
        "a: 1\n---\nb: [\n---\na: 1\na: 2\n",  # a syntax error before a repeated key
        "a: 1\nb: 2\na: 3\nc: [\n",  # a repeated key, then a syntax error in the same document
        "a: b: c\n",
        "\tkind: Pod\n",
        "a: *missing\n",
    ],
)
def test_errors_are_those_of_the_full_loader_with_file_and_line(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as fast:
        _parse_yaml_text("f.yaml", text, line_offset=10)

    def hand_on(text: str) -> None:
        raise NeedsFullLoader

    monkeypatch.setattr("preflight.snapshot.loader.documents_from_events", hand_on)
    with pytest.raises(InputError) as full:
        _parse_yaml_text("f.yaml", text, line_offset=10)
    assert str(fast.value) == str(full.value)
    assert str(fast.value).startswith("f.yaml:1")


def test_lines_are_offset_for_a_batch_of_list_items() -> None:
    assert _parse_yaml_text("f.yaml", "- a\n- b\n", line_offset=10) == [(["a", "b"], 11, [11, 12])]


@pytest.mark.parametrize("raw", [value for value in _TRICKY if value and value.strip() == value and "\n" not in value])
def test_plain_scalars_resolve_as_yaml_1_1_does(raw: str) -> None:
    for text in (f"key: {raw}\n", f"- {raw}\n", f"{{k: [{raw}]}}\n"):
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            continue  # not a plain scalar there
        _assert_same_as_full_loader(text)


def test_short_strings_are_shared() -> None:
    (first, _, _), (second, _, _) = documents_from_events("kind: Service\n---\nkind: Service\n")
    assert next(iter(first)) is next(iter(second))
    assert first["kind"] is second["kind"]
