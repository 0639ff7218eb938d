"""YAML for every input the tool reads: PyYAML's C loader with a bound on alias expansion.

An alias (``*name``) makes the parser hand back the anchored node again, so a few hundred
bytes of nested aliases ("billion laughs") stand for billions of nodes. Parsing stays cheap
because the graph is shared, but anything that then walks the data (redaction, detectors,
rendering) expands it. Each document's node graph is therefore measured as it would expand,
before anything is built from it, and refused beyond ``MAX_EXPANDED_NODES``.

The measurement is exact and costs a walk of the document; it is skipped only where no
alias can exist: YAML writes an alias with the ``*`` indicator and refers to an anchor
written with ``&``, and neither has another spelling, so a document whose text holds no
``*`` (or a file with no ``&``) has nothing to expand, whatever else it contains.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

# kubectl never writes anchors; a Kubernetes object even a thousand times larger than a
# big Deployment stays far below this.
MAX_EXPANDED_NODES = 2_000_000


class AliasBombError(yaml.MarkedYAMLError):
    """A document whose aliases expand past the bound, marked where the expansion crossed it.

    A ``MarkedYAMLError``, so every reader reports it as it reports other invalid YAML: file and line.
    """

    def __init__(self, mark: yaml.Mark, limit: int) -> None:
        super().__init__(problem=f"aliases expand to more than {limit} nodes (alias bomb?)", problem_mark=mark)


def refuse_alias_bomb(root: yaml.Node, text: str, limit: int = MAX_EXPANDED_NODES, has_anchor: bool = True) -> None:
    """Raise ``AliasBombError`` when ``root`` (composed from ``text``) expands past ``limit`` nodes.

    ``has_anchor=False`` says the caller knows ``text`` holds no ``&`` (a test done once per file,
    not once per document: a large multi-document file holds thousands).
    """
    if not has_anchor or text.find("*", root.start_mark.index, root.end_mark.index) < 0:
        return
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done or not children:
            total = 1 + sum(sizes.get(id(child), 1) for child in children)
            if total > limit:
                raise AliasBombError(_newline_mark(text, node.start_mark), limit)
            sizes[id(node)] = total
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _newline_mark(text: str, mark: yaml.Mark) -> yaml.Mark:
    # libyaml also breaks lines at U+2028/U+2029 and NEL; editors and `sed -n` count only "\n".
    line = text.count("\n", 0, mark.index)
    column = mark.index - (text.rfind("\n", 0, mark.index) + 1)
    return yaml.Mark(mark.name, mark.index, line, column, None, 0)


class BoundedLoader(yaml.CSafeLoader):
    """The C safe loader, refusing a document whose aliases expand past the bound."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.source_text = stream
        self.has_anchor = "&" in stream

    def construct_document(self, node: yaml.Node) -> Any:
        refuse_alias_bomb(node, self.source_text, has_anchor=self.has_anchor)
        return super().construct_document(node)


def _refusing_bad_values(
    construct: Callable[[BoundedLoader, yaml.ScalarNode], Any], what: str
) -> Callable[[BoundedLoader, yaml.ScalarNode], Any]:
    """``construct``, raising a marked YAML error for a value it cannot build (PyYAML raises a bare ValueError)."""

    def construct_or_refuse(loader: BoundedLoader, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            # Python refuses int() of very long digit strings (CVE-2020-10735); no Kubernetes field is near one.
            digits = str(node.value).lstrip("+-").replace("_", "")
            problem = "integer with too many digits" if digits.isdigit() else f"not a valid {what}: {node.value[:40]!r}"
            raise yaml.constructor.ConstructorError(
                None, None, problem, _newline_mark(loader.source_text, node.start_mark)
            ) from None

    return construct_or_refuse


for _tag, _construct, _what in (
    ("int", yaml.constructor.SafeConstructor.construct_yaml_int, "integer"),
    ("float", yaml.constructor.SafeConstructor.construct_yaml_float, "number"),
    ("timestamp", yaml.constructor.SafeConstructor.construct_yaml_timestamp, "date or time"),
):
    BoundedLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refusing_bad_values(_construct, _what))


def load(text: str) -> Any:
    """The single document of ``text`` (``None`` when empty), as ``yaml.safe_load`` gives it."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def compose(text: str) -> yaml.Node | None:
    """The node graph of the single document of ``text``, for readers that need line numbers."""
    loader = BoundedLoader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    if node is not None:
        refuse_alias_bomb(node, text, has_anchor="&" in text)
    return node


# Event-stream reading --------------------------------------------------------------------
#
# PyYAML's C loader composes each document into a graph of Python node objects and then
# builds the data from the graph with Python constructors; both steps cost more than the C
# parsing itself. Building dicts and lists straight from the C parser's events skips the
# graph, and a plain scalar's resolved value is looked up by its text once per file. The
# result is what ``yaml.load_all(..., CSafeLoader)`` returns for the documents it handles;
# anything beyond plain Kubernetes data (an anchor or alias, a merge key, an explicit tag on
# a collection, a complex or repeated key, deep nesting, a scalar whose construction fails)
# raises ``NeedsFullLoader``, and the caller reads the text with the full loader instead,
# which keeps every refusal (duplicate keys, alias bombs) and every error exactly as before.

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAGS = frozenset({None, "!", "tag:yaml.org,2002:map"})
_SEQ_TAGS = frozenset({None, "!", "tag:yaml.org,2002:seq"})
_SCALAR_TAGS = frozenset("tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "timestamp"))
_CACHED_SCALAR_MAX = 64  # longer values are rarely repeated, and a cache would keep them alive
_MAX_FAST_DEPTH = 100  # deeper documents go to the full loader, which decides what "too deep" is


class NeedsFullLoader(Exception):
    """The text holds YAML the event builder leaves to the full loader."""


DocumentWithLines = tuple[Any, int | None, list[int | None]]


def documents_from_events(text: str) -> list[DocumentWithLines]:
    """Every document of ``text``, with its first line and the lines of its List items (1-based).

    The item lines are those of a top-level sequence's items, or of the sequence under a
    top-level ``items`` key. Short strings are interned (``sys.intern``) as the JSON decoder
    shares its keys. Raises ``yaml.MarkedYAMLError`` for invalid YAML and ``NeedsFullLoader``
    for what only the full loader handles.
    """
    if _libyaml_counts_lines_differently(text):
        raise NeedsFullLoader  # its marks would drift from an editor's lines; the full loader maps them back
    parser = yaml.CSafeLoader(text)
    try:
        return _build(parser)
    finally:
        parser.dispose()


def _libyaml_counts_lines_differently(text: str) -> bool:
    """True when ``text`` holds a line break libyaml counts and editors do not (NEL, U+2028/U+2029, lone CR)."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        return True
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _build(parser: yaml.CSafeLoader) -> list[DocumentWithLines]:
    get_event = parser.get_event
    resolve: Callable[..., str] = parser.resolve
    intern = sys.intern
    plain_values: dict[str, Any] = {}  # a plain scalar's text -> its value, once per file
    no_key = _NO_KEY
    documents: list[DocumentWithLines] = []
    # The enclosing collections, each as (container, is_mapping, its key awaiting a value);
    # the bottom entry's container is None: the document itself.
    stack: list[tuple[Any, bool, Any]] = []
    container: Any = None
    is_mapping = False
    key: Any = no_key
    root: Any = None
    root_line: int | None = None
    item_lines: list[int | None] = []
    lines_of: list[Any] | None = None  # the sequence whose items' lines are noted
    items_value_next = False  # the root mapping's key just read is "items"
    while True:
        event: Any = get_event()
        kind = type(event)
        opened: dict[Any, Any] | list[Any] | None = None
        if kind is ScalarEvent:
            if event.anchor is not None:
                raise NeedsFullLoader
            raw = event.value
            tag = event.tag
            if tag is not None and tag != "!":
                value = _construct_scalar(parser, tag, event)
            elif not event.implicit[0]:  # quoted or block: a string
                value = intern(raw) if len(raw) <= _CACHED_SCALAR_MAX else raw
            elif len(raw) > _CACHED_SCALAR_MAX:
                value = _construct_scalar(parser, resolve(yaml.ScalarNode, raw, event.implicit), event)
            else:
                try:
                    value = plain_values[raw]
                except KeyError:
                    value = _construct_scalar(parser, resolve(yaml.ScalarNode, raw, event.implicit), event)
                    plain_values[raw] = value
        elif kind is MappingStartEvent:
            if event.anchor is not None or event.tag not in _MAP_TAGS:
                raise NeedsFullLoader
            opened = {}
        elif kind is SequenceStartEvent:
            if event.anchor is not None or event.tag not in _SEQ_TAGS:
                raise NeedsFullLoader
            opened = []
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            container, is_mapping, key = stack.pop()
            continue  # the closed collection already sits in its parent
        elif kind is DocumentEndEvent:
            documents.append((root, root_line, item_lines))
            root, root_line, item_lines, lines_of = None, None, [], None
            continue
        elif kind is StreamEndEvent:
            return documents
        elif kind is AliasEvent:
            raise NeedsFullLoader
        else:  # the stream's and each document's start
            continue

        node = value if opened is None else opened
        if container is None:
            root, root_line = node, event.start_mark.line + 1
            if isinstance(opened, list):
                lines_of = opened
        elif is_mapping:
            if key is no_key:
                if opened is not None:
                    raise NeedsFullLoader  # a complex key
                key = node
                items_value_next = len(stack) == 1 and raw == "items"
                continue
            if key in container:
                raise NeedsFullLoader  # a repeated key: the full loader refuses or resolves it
            container[key] = node
            key = no_key
            if items_value_next and isinstance(opened, list):
                lines_of = opened
            items_value_next = False
        else:
            if container is lines_of:
                item_lines.append(event.start_mark.line + 1)
            container.append(node)
        if opened is not None:
            if len(stack) >= _MAX_FAST_DEPTH:
                raise NeedsFullLoader
            stack.append((container, is_mapping, key))
            container, is_mapping, key = opened, kind is MappingStartEvent, no_key


_NO_KEY: Any = object()


def _construct_scalar(parser: yaml.CSafeLoader, tag: str, event: Any) -> Any:
    if tag not in _SCALAR_TAGS:
        raise NeedsFullLoader  # a merge key, `=`, binary, an application tag: the full loader's rules
    value = event.value
    if tag == _STR_TAG:
        return sys.intern(value) if len(value) <= _CACHED_SCALAR_MAX else value
    node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
    try:
        return parser.yaml_constructors[tag](parser, node)
    except Exception:
        raise NeedsFullLoader from None
