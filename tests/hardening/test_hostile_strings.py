"""Control bytes and Markdown metacharacters in any string field: every format still parses strictly.

Hypothesis replaces one to six string values anywhere in the demo cluster's objects with text
built from C0/C1 controls, ANSI/OSC sequences, NEL and line separators, and the characters that
carry meaning in Markdown, HTML and tables (`` ` | [ ] ( ) < > * _ \\ `` and newlines). Names
go through (``allow_invalid_names``), so hostile names reach every report. Then, in every format:
JSON and SARIF parse with ``json.loads``; JUnit parses as XML; no control character other than tab
and newline appears; the Markdown holds no live markup and no extra table cells; the HTML never
carries the probe tag raw.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preflight.errors import InputError
from preflight.snapshot.interface import SnapshotInfo
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState
from preflight.snapshot.model import Snapshot
from tests.hardening.support import assert_markdown_inert, demo_objects, field_paths, full_check, render_all, replace_at

SEED_OBJECTS = demo_objects()
# The loader checks kind and apiVersion itself (a mutation there is an input error, tested elsewhere).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
PROBE_TAG = "<xss-probe>"
FRAGMENTS = st.sampled_from([
    "`", "``", "|", "[", "]", "(", ")", "<", ">", "*", "_", "\\", "\n", "\r\n", "#", "!", "&amp;",
    "[t](javascript:alert(1))", "![i](x)", PROBE_TAG, "</td>", "]]>", "<!--",
    "\x00", "\x07", "\x08", "\x1b[31m", "\x1b]8;;https://evil.example\x07", "\x7f", "\x85", "\x9b", "\u2028", "\u2029",
    "a", "web", "1.22", "default",
])
HOSTILE_TEXT = st.lists(FRAGMENTS, min_size=1, max_size=8).map("".join)


def _value_at(node: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


STRING_PATHS = [
    (index, path)
    for index, obj in enumerate(SEED_OBJECTS)
    for path in field_paths(obj)
    if path not in (("kind",), ("apiVersion",)) and isinstance(_value_at(obj, path), str)
]


def _snapshot(objects: list[dict[str, Any]]) -> Snapshot:
    # JSON, as kubectl writes it: YAML cannot carry every control byte, JSON escapes them all.
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    state = _LoadState()
    _load_bytes("hostile.json", text.encode(), LoadOptions(allow_invalid_names=True), state)
    return Snapshot(state.objects, SnapshotInfo(sources=("hostile.json",), kubernetes_version=state.kubernetes_version))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=st.lists(st.tuples(st.sampled_from(STRING_PATHS), HOSTILE_TEXT), min_size=1, max_size=6))
def test_hostile_strings_keep_every_format_strictly_parseable(
    mutations: list[tuple[tuple[int, tuple[str | int, ...]], str]],
) -> None:
    objects = demo_objects()
    for (index, path), text in mutations:
        replace_at(objects[index], path, text)
    try:
        snapshot = _snapshot(objects)
    except InputError as error:
        assert error.location is not None and error.location.file == "hostile.json"
        return
    rendered = render_all(full_check(snapshot))
    json.loads(rendered["json"])
    json.loads(rendered["sarif"])
    ElementTree.fromstring(rendered["junit"])
    for name, text in rendered.items():
        match = CONTROL.search(text)
        assert match is None, (name, text[max(0, match.start() - 60) : match.end() + 20])
    assert_markdown_inert(rendered["markdown"])
    assert PROBE_TAG not in rendered["html"]


def test_the_hostile_strings_reach_the_reports() -> None:
    """Not vacuous: a hostile Deployment name with findings is loaded and reaches the reports (escaped)."""
    objects = demo_objects()
    cart = next(i for i, obj in enumerate(objects) if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "cart")
    replace_at(objects[cart], ("metadata", "name"), f"cart{PROBE_TAG}|`\x1b[31m")
    rendered = render_all(full_check(_snapshot(objects)))
    assert all("xss-probe" in rendered[name] for name in ("json", "html", "sarif", "junit"))
