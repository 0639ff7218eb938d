"""Shared helpers of the hardening tests: the demo cluster as raw documents, and a full check."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import yaml
from markdown_it import MarkdownIt

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.formats.interface import FORMATS, renderer
from preflight.kb.interface import KnowledgeBase
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.resources import demo_cluster_dir
from preflight.snapshot.interface import SnapshotInfo
from preflight.snapshot.loader import LoadOptions, _load_bytes, _LoadState, load_documents
from preflight.snapshot.model import Snapshot
from preflight.versions import parse_version

Path_ = tuple[str | int, ...]
FULL_PATH = ("1.10", "1.31")  # every KB entry applies on this path


@cache
def knowledge_base() -> KnowledgeBase:
    return load_knowledge_base()


def demo_objects() -> list[dict[str, Any]]:
    """Every object of the bundled demo cluster, List wrappers unpacked, freshly parsed each call."""
    objects: list[dict[str, Any]] = []
    for file in sorted(demo_cluster_dir().iterdir()):
        for document, _, _ in load_documents(file.name, file.read_bytes()):
            if not isinstance(document, dict):
                continue
            if document.get("kind") == "List":
                objects.extend(item for item in document.get("items") or [] if isinstance(item, dict))
            elif "kind" in document:
                objects.append(document)
    return objects


def field_paths(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path to a value below ``node`` (mapping keys and list indices)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield (*prefix, key)
            yield from field_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from field_paths(value, (*prefix, index))


def replace_at(node: Any, path: Path_, value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def snapshot_of(objects: list[dict[str, Any]], name: str = "mutated.yaml") -> Snapshot:
    """Load objects exactly as a file holding them would be loaded (through the C loader)."""
    text = yaml.safe_dump_all(objects, sort_keys=False)
    state = _LoadState()
    _load_bytes(name, text.encode(), LoadOptions(), state)
    return Snapshot(state.objects, SnapshotInfo(sources=(name,), kubernetes_version=state.kubernetes_version))


def full_check(snapshot: Snapshot, source: str = FULL_PATH[0], target: str = FULL_PATH[1]) -> Report:
    options = CheckOptions(target=parse_version(target), source=parse_version(source), timestamp=False)
    return run_check(snapshot, knowledge_base(), options)


def render_all(report: Report) -> dict[str, str]:
    return {name: renderer(name)(report) for name in FORMATS}


def assert_markdown_inert(markdown: str) -> None:
    """Rendered by a CommonMark parser: no raw HTML, no link or image, every table row as wide as its header."""
    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(markdown)
    html = parser.render(markdown)
    for token in tokens:
        for child in [token, *(token.children or [])]:
            assert child.type not in ("html_inline", "html_block", "link_open", "image"), (child.type, child.content)
    assert "<script" not in html and "href=" not in html and "<img" not in html
    cells_per_row: list[int] = []
    header_cells = 0
    for token in tokens:
        if token.type == "tr_open":
            cells_per_row.append(0)
        elif token.type in ("th_open", "td_open"):
            cells_per_row[-1] += 1
        elif token.type == "thead_close":
            header_cells = cells_per_row[-1]
        elif token.type == "table_close":
            assert set(cells_per_row) == {header_cells}, cells_per_row
            cells_per_row = []
