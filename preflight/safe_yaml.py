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

from typing import Any

import yaml

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


def _construct_int(loader: BoundedLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        # Python refuses int() of very long digit strings (CVE-2020-10735); no Kubernetes field is near one.
        raise yaml.constructor.ConstructorError(
            None, None, "integer with too many digits", _newline_mark(loader.source_text, node.start_mark)
        ) from None


BoundedLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


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
