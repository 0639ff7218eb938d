"""The JSON and SARIF reports are redacted by value (``safety.JsonGuard``): credentials planted in
the keys and values of every section come out redacted, and the memo never changes an answer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from preflight.engine.interface import Report
from preflight.formats import json_format, sarif_format
from preflight.formats.interface import piecewise_renderer, renderer
from preflight.formats.safety import JsonGuard, safe_text
from preflight.redaction import REDACTED, names_credential, redact_credentials_in_text
from tests.formats.test_json_stream import demo_report
from tests.hardening.credentials import CANARIES, MARKER, leaked

# Found only across key and value in the encoded text ("db_password": "..."), never in either alone.
ASSIGNED = {"db_password": "QCANARY90assigned", "clientSecret": "QCANARY91 and prose after it", "apiKey": 424242}
C1_AND_DELETE = "bell\x85next\x9bline\x7fdeleted"


@cache
def report() -> Report:
    return demo_report()


def planted(value: Any) -> Any:
    """``value`` with a credential beside every string, in every dict's keys and values, in every list."""
    if isinstance(value, dict):
        result: dict[Any, Any] = {key: planted(item) for key, item in value.items()}
        for kind, canary in CANARIES.items():
            result[f"{kind}: {canary}"] = canary
        result.update(ASSIGNED)
        result["controls"] = C1_AND_DELETE
        return result
    if isinstance(value, list):
        return [planted(item) for item in value] + list(CANARIES.values())
    if isinstance(value, str):
        return f"{value} {CANARIES['password assignment']}"
    return value


def planted_section(value: Any) -> Any:
    if isinstance(value, json_format._Lazy):  # a streamed list stays streamed
        return json_format._Lazy(planted(item) for item in value)
    if value is None or isinstance(value, (bool, int, float)):
        return planted({})  # a section the run did not compute: a dict of credentials in its place
    return planted(value)


def assert_redacted(text: str) -> None:
    document = json.loads(text)  # still JSON
    assert leaked(text) == []
    assert not any(canary in text for canary in CANARIES.values())
    assert "\\u0085" in text and "\\u009b" in text and "\\u007f" in text
    assert not any(character in text for character in "\x85\x9b\x7f")
    assert REDACTED in text
    assert MARKER not in json.dumps(document)


@pytest.fixture
def json_planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    plain = json_format._document

    def document(report: Report, streamed: bool) -> dict[str, Any]:
        return {key: planted_section(value) for key, value in plain(report, streamed).items()}

    monkeypatch.setattr(json_format, "_document", document)
    yield


@pytest.fixture
def sarif_planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    plain = sarif_format.to_document
    monkeypatch.setattr(sarif_format, "to_document", lambda report: planted(plain(report)))
    yield


def test_the_planted_json_report_has_every_section_and_all_the_canaries(json_planted: None) -> None:
    """Not vacuous: unredacted, every section carries every canary."""
    raw = b"".join(json_format.chunks(report())).decode()
    document = json.loads(raw)
    assert set(document) == set(json_format._document(report(), streamed=False))
    for section, value in document.items():
        if section in ("schema", "generated_at", "from", "to", "verdict", "fail_on", "version_note"):
            assert CANARIES["password assignment"] in str(value)
            continue
        encoded = json.dumps(value, ensure_ascii=False)
        assert all(json.dumps(canary, ensure_ascii=False)[1:-1] in encoded for canary in CANARIES.values()), section
    assert document["edges"] and document["findings"] and document["services"]


@pytest.mark.parametrize("render", ["whole", "pieces"])
def test_credentials_in_every_section_of_the_json_report_are_redacted(json_planted: None, render: str) -> None:
    text = renderer("json")(report()) if render == "whole" else "".join(piecewise_renderer("json")(report()))
    assert_redacted(text)
    document = json.loads(text)
    for section in document.values():
        if isinstance(section, dict):
            assert section["db_password"] == REDACTED
            assert section["clientSecret"] == f"{REDACTED} and prose after it"
            assert section["apiKey"] == REDACTED


def test_credentials_in_every_part_of_the_sarif_log_are_redacted(sarif_planted: None) -> None:
    raw = orjson.dumps(sarif_format.to_document(report())).decode()
    assert all(json.dumps(canary)[1:-1] in raw for canary in CANARIES.values())  # planted
    assert_redacted(renderer("sarif")(report()))


def test_the_guard_leaves_the_report_values_as_they_were() -> None:
    shared = {"why": ["password=QCANARY92shared"]}
    value = {"before": shared, "after": shared, "other": [shared]}
    redacted = JsonGuard().value(value)
    assert shared == {"why": ["password=QCANARY92shared"]}
    assert redacted["before"] == redacted["after"] == redacted["other"][0] == {"why": [f"password={REDACTED}"]}


def test_a_value_the_guard_cannot_see_into_is_refused() -> None:
    import datetime

    with pytest.raises(TypeError):
        JsonGuard().value({"when": datetime.date(2026, 1, 1)})


def _plain_redaction(value: Any) -> Any:
    if isinstance(value, str):
        return redact_credentials_in_text(value)
    if isinstance(value, dict):
        return {_plain_redaction(key): _plain_redaction(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_redaction(item) for item in value]
    return value


_PIECES = st.sampled_from([*CANARIES.values(), "reason ", "ns/name", "\n", " ", "=", ":", "x" * 70, "Bearer "])
_STRINGS = st.lists(_PIECES, max_size=4).map("".join) | st.text(max_size=20)
_KEYS = _STRINGS.filter(lambda key: not names_credential(key))  # credential names: below
_VALUES: st.SearchStrategy[Any] = st.recursive(
    _STRINGS | st.integers() | st.none() | st.booleans(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@given(st.lists(_VALUES, min_size=1, max_size=3))
def test_the_memo_gives_what_redacting_each_string_gives(values: list[Any]) -> None:
    """One guard over several values (its memo filled by the earlier ones) answers as the plain rules."""
    guard = JsonGuard()
    for value in values:
        assert guard.value(value) == _plain_redaction(value)


@given(_STRINGS, _STRINGS)
def test_a_credential_named_key_redacts_what_the_text_pass_redacts(prefix: str, value: str) -> None:
    """By value, ``"<name>password": value`` loses what the finished-text pass took from it."""
    key = f"{prefix}password"
    by_text = json.loads(safe_text("json", orjson.dumps({key: value}).decode()))
    by_value = JsonGuard().value({key: value})
    assert set(leaked(orjson.dumps(by_value).decode())) <= set(leaked(orjson.dumps(by_text).decode()))
    if list(by_text.values()) != [value]:  # the text pass redacted something: so does the guard
        assert list(by_value.values()) != [value]
    # Nothing escaped, and no secret in the key whose match could run on past its end: the text
    # pass and the guard see the same characters, and redact the same. (Otherwise the guard
    # may redact more: it looks at the value even where the text pass's match of the key ended.)
    if orjson.dumps(value)[1:-1] == value.encode() and redact_credentials_in_text(key) == key:
        assert by_value == by_text


@given(st.text())
def test_raw_controls_become_escapes_as_the_text_pass_writes_them(text: str) -> None:
    encoded = orjson.dumps(text).decode()
    by_text = re.sub("[\x7f-\x9f]", lambda match: f"\\u{ord(match.group(0)):04x}", encoded)  # safe_text's step
    assert JsonGuard.encoded(encoded.encode()).decode() == by_text
    assert json.loads(by_text) == text


def test_the_guard_leaves_no_cycle_for_the_paused_collector() -> None:
    """The CLI pauses the collector: a cycle left by a walk would keep every copy it made."""
    import gc

    gc.collect()
    gc.disable()
    try:
        JsonGuard().value({"edges": [{"before": {"why": ["a"]}, "after": ("b", 1, None)}]})
        assert gc.collect() == 0
    finally:
        gc.enable()
