"""Reading exported cluster state: kubectl YAML/JSON, GitOps trees, helm template output.

Accepts files, directories (recursively: ``.yaml``, ``.yml``, ``.json``) and ``-`` for
stdin; multi-document YAML; ``kind: List`` and ``*List`` wrappers. Secrets never enter
the model. Every rejection is an ``InputError`` naming the file and line.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import yaml

from preflight import progress, safe_json
from preflight.bounded_read import NUL_IN_TEXT, UTF16_MARKS, read_bounded
from preflight.errors import InputError, Location
from preflight.safe_yaml import BoundedLoader, NeedsFullLoader, documents_from_events
from preflight.snapshot.build_files import (
    chart_directories,
    chart_note,
    in_chart,
    is_kustomization_file,
    is_kustomize_document,
    kustomization_note,
)
from preflight.snapshot.interface import (
    CLUSTER_SCOPED_KINDS,
    K8sObject,
    ObjectRef,
    SnapshotInfo,
    SourceRef,
)
from preflight.snapshot.model import Snapshot
from preflight.snapshot.names import InvalidName, check_kind, check_object_names
from preflight.snapshot.redact import (
    is_list,
    is_secret,
    pod_specs_of,
    redact_env_value,
    redact_free_text,
    redact_pod_spec,
    redact_strings,
    strip_noise,
    trim_status,
)

SNAPSHOT_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_DOCUMENTS_PER_FILE = 2_000_000
MANIFEST_API_VERSION = "preflight/v1"
MANIFEST_KIND = "SnapshotManifest"


@dataclass
class LoadOptions:
    default_namespace: str = "default"
    cluster_name: str | None = None
    values_files: tuple[str, ...] = ()  # Helm values of the istiod/base/gateway charts (--values)
    allow_invalid_names: bool = False  # load names and labels Kubernetes would refuse (--allow-invalid-names)


@dataclass
class _LoadState:
    objects: list[K8sObject] = field(default_factory=list)
    dropped_secrets: int = 0
    kubernetes_version: str | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    build_files: list[str] = field(default_factory=list)  # notes on Kustomize/Helm inputs left unread
    notes: list[str] = field(default_factory=list)  # inputs skipped, for the report
    not_objects: int = 0  # documents with neither kind nor apiVersion (a values file in a GitOps tree)


def load_snapshot(paths: Iterable[str], options: LoadOptions | None = None) -> Snapshot:
    """Load every input into one ``Snapshot``; raises ``InputError`` on the first bad input."""
    options = options or LoadOptions()
    paths = list(paths)
    state = _LoadState()
    with progress.task("loading snapshot:", count=lambda: len(state.objects), unit="objects"):
        for path in paths:
            for name, data in _read_inputs(path, state):
                state.sources.append(name)
                _load_bytes(name, data, options, state)
    if state.build_files and not state.objects and not options.values_files:
        # Build instructions alone are no snapshot: say what to render rather than "no objects".
        raise InputError(state.build_files[0] if len(state.build_files) == 1 else "; ".join(state.build_files))
    for values in load_helm_values(options.values_files):
        state.sources.append(values.source.file)
        state.objects.append(values)
    info = SnapshotInfo(
        sources=tuple(state.sources),
        kubernetes_version=state.kubernetes_version,
        cluster_name=options.cluster_name or _manifest_text(state.manifest, "cluster"),
        manifest=state.manifest,
        dropped_secrets=state.dropped_secrets,
        notes=tuple([*state.build_files, *_load_notes(state)]),
        inputs=tuple(paths),
    )
    return Snapshot(state.objects, info)


def _load_notes(state: _LoadState) -> list[str]:
    notes = list(state.notes)
    if state.not_objects:
        notes.append(
            f"Skipped {state.not_objects} document(s) with neither kind nor apiVersion "
            "(not Kubernetes objects, such as values files)."
        )
    return notes


def load_documents(name: str, data: bytes) -> list[tuple[Any, int | None, list[int | None]]]:
    """Parse one file: each document with its first line and, for List wrappers, its items' lines."""
    text = _decode(name, data)
    if name.endswith(".json") or (not name.endswith((".yaml", ".yml")) and text.lstrip()[:1] in ("{", "[")):
        return _parse_json(name, text)
    return _parse_yaml(name, text)


# Reading ------------------------------------------------------------------------------


def _read_inputs(path: str, state: _LoadState) -> Iterator[tuple[str, bytes]]:
    if path == "-":
        if sys.stdin is None or sys.stdin.closed:
            raise InputError("standard input is closed: nothing to read", Location("<stdin>"))
        try:
            stream = sys.stdin.buffer
        except (AttributeError, ValueError):
            raise InputError("standard input is not readable", Location("<stdin>")) from None
        yield "<stdin>", _read_bounded(stream, "<stdin>")
        return
    root = Path(path)
    try:
        mode = os.stat(root).st_mode
    except OSError as error:
        raise InputError(_unreadable(root, error), Location(path)) from None
    if stat.S_ISDIR(mode):
        files = list(_snapshot_files(root, state))
        if not files:
            raise InputError("directory has no .yaml, .yml or .json files", Location(path))
        charts = chart_directories(root)
        state.build_files.extend(chart_note(chart) for chart in charts)
        for file in files:
            if in_chart(file, charts):
                continue  # Go templates, not manifests
            if is_kustomization_file(file):
                state.build_files.append(_kustomization(file, root))
                continue
            yield str(file), _read_file(file)
        return
    if root.name in ("Chart.yaml", "values.yaml") and (root.parent / "templates").is_dir():
        raise InputError(chart_note(root.parent))
    if is_kustomization_file(root):
        state.build_files.append(_kustomization(root, root.parent))
        return
    yield str(root), _read_file(root)  # named explicitly: a FIFO or a process substitution is read too


def _unreadable(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symlink loop"
    if error.errno == errno.ENOENT and path.is_symlink():
        return "broken symlink: its target does not exist"
    if error.errno == errno.ENOENT:
        return "no such file or directory"
    return f"cannot read: {error.strerror or error}"


def _snapshot_files(root: Path, state: _LoadState) -> Iterator[Path]:
    """The snapshot files below ``root``, in a stable order.

    Hidden entries (``.git``, ``.github``, editor files) are not part of a snapshot. A symlink is
    followed when its target stays inside ``root``: a snapshot mounted from a ConfigMap is all
    symlinks into its hidden ``..data`` folder. Links leaving ``root``, broken links, loops and
    anything that is not a regular file (a FIFO would block the read) are skipped with a note.
    """
    real_root = root.resolve()
    visited: set[tuple[int, int]] = set()

    def skip(entry: Path, why: str) -> None:
        state.notes.append(f"Skipped {entry} in the snapshot directory: {why}.")

    def walk(directory: Path) -> Iterator[Path]:
        try:
            status = directory.stat()
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError as error:
            raise InputError(_unreadable(directory, error), Location(str(directory))) from None
        if (status.st_dev, status.st_ino) in visited:
            skip(directory, "symlink loop")
            return
        visited.add((status.st_dev, status.st_ino))
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                try:
                    target = entry.resolve(strict=True)
                except (OSError, RuntimeError) as error:
                    loop = isinstance(error, RuntimeError) or getattr(error, "errno", None) == errno.ELOOP
                    skip(entry, "symlink loop" if loop else "broken symlink")
                    continue
                if target != real_root and real_root not in target.parents:
                    skip(entry, f"symlink to {target}, outside the directory")
                    continue
            try:
                mode = entry.stat().st_mode
            except OSError as error:
                skip(entry, _unreadable(entry, error))
                continue
            if stat.S_ISDIR(mode):
                yield from walk(entry)
            elif entry.suffix.lower() not in SNAPSHOT_SUFFIXES:
                continue
            elif stat.S_ISREG(mode):
                yield entry
            else:
                skip(entry, "not a regular file (a FIFO or device is read only when named explicitly)")

    return walk(root)


def _kustomization(file: Path, root: Path) -> str:
    documents = load_documents(str(file), _read_file(file))
    return kustomization_note(file, documents[0][0] if documents else None, root)


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return _read_bounded(stream, str(path))
    except OSError as error:
        raise InputError(_unreadable(path, error), Location(str(path))) from None


def _read_bounded(stream: IO[bytes], name: str) -> bytes:
    return read_bounded(stream, name, MAX_FILE_BYTES)


def _decode(name: str, data: bytes) -> str:
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"input is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", Location(name))
    nul = data.find(b"\x00")
    if nul >= 0 and not data.startswith(UTF16_MARKS):  # UTF-16 is refused as not UTF-8, below
        raise InputError(NUL_IN_TEXT, Location(name, data.count(b"\n", 0, nul) + 1))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", Location(name, line)) from None


# Parsing ------------------------------------------------------------------------------


class _LineRecordingLoader(BoundedLoader):
    """The bounded C loader, noting each document's line and its List items' lines as it composes them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.document_lines: list[tuple[int | None, list[int | None]]] = []
        self._editor_lines = _editor_lines(stream)

    def line_of(self, mark: yaml.Mark) -> int:
        """The 1-based line of ``mark`` as editors and ``sed -n`` count it (only "\\n" ends a line).

        libyaml also ends lines at CR, NEL, U+2028 and U+2029, so its own count drifts after one.
        """
        return (self._editor_lines[mark.line] if self._editor_lines else mark.line) + 1

    def construct_document(self, node: yaml.Node) -> Any:
        item_lines: list[int | None] = []
        if isinstance(node, yaml.SequenceNode):  # a batch of List items (see _parse_yaml_list)
            item_lines = [self.line_of(item.start_mark) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == "items" and isinstance(value, yaml.SequenceNode):
                    item_lines = [self.line_of(item.start_mark) for item in value.value]
        self.document_lines.append((self.line_of(node.start_mark), item_lines))
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # PyYAML keeps the last of two equal keys silently; kubectl refuses them, and a hidden
        # second value is exactly what a reviewer of a hand-written manifest would miss.
        keys = [(key.tag, key.value) for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        if len(keys) != len(set(keys)):
            seen: set[tuple[str, Any]] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if (key.tag, key.value) in seen:
                        raise _DuplicateKey(str(key.value), self.line_of(key.start_mark))
                    seen.add((key.tag, key.value))
        return super().construct_mapping(node, deep=deep)


def _shared_string(loader: _LineRecordingLoader, node: yaml.ScalarNode) -> str:
    # The JSON decoder shares equal keys; PyYAML builds a new string for every scalar, so a
    # large YAML snapshot held several copies of every key ("apiVersion", "metadata", ...).
    value = str(loader.construct_scalar(node))
    return sys.intern(value) if len(value) <= _SHARED_STRING_MAX else value


_SHARED_STRING_MAX = 64
_LineRecordingLoader.add_constructor("tag:yaml.org,2002:str", _shared_string)


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def _editor_lines(text: str) -> list[int] | None:
    """For each line libyaml counts, the 0-based line an editor counts; ``None`` when they agree."""
    if not any(c in text for c in "\x85\u2028\u2029") and text.count("\r") == text.count("\r\n"):
        return None
    lines = [0]
    editor_line = 0
    for match in _LINE_BREAK.finditer(text):
        if "\n" in match.group():
            editor_line += 1
        lines.append(editor_line)
    return lines


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key = key
        self.line = line


def _parse_yaml(name: str, text: str) -> list[tuple[Any, int | None, list[int | None]]]:
    # Batches cannot share anchors, so a file that defines any (`&`) is read whole.
    if len(text) > _BATCHED_LIST_MIN_CHARS and "&" not in text:
        layout = _list_layout(text)
        if layout is not None:
            return _parse_yaml_list(name, text, *layout)
    return _parse_yaml_text(name, text)


# A `kubectl get -o yaml` List is one document; PyYAML composes a document's whole node
# graph before building any object, which for a large cluster costs several times the
# objects' own memory. Such a List is therefore read a batch of items at a time: the same
# objects, the same lines, a bounded node graph.
_BATCHED_LIST_MIN_CHARS = 4 * 1024 * 1024
_ITEMS_PER_BATCH = 500
_ITEMS_KEY = re.compile(r"^items:[ \t]*\n", re.MULTILINE)
_ITEM_START = re.compile(r"^-(?:[ \t]|$)", re.MULTILINE)
_TOP_LEVEL_LINE = re.compile(r"^[^\s#-]", re.MULTILINE)
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)


def _list_layout(text: str) -> tuple[int, int, list[int]] | None:
    """Where the ``items:`` sequence of a single-document List starts and ends, and where each item starts.

    ``None`` unless the file is one document whose ``items`` is a block sequence written at
    column 0, as kubectl writes it; anything else is read whole.
    """
    body_start = 4 if text.startswith("---\n") else 0
    if _DOCUMENT_MARKER.search(text, body_start):
        return None
    key = _ITEMS_KEY.search(text, body_start)
    if key is None:
        return None
    end_match = _TOP_LEVEL_LINE.search(text, key.end())
    end = end_match.start() if end_match else len(text)
    starts = [m.start() for m in _ITEM_START.finditer(text, key.end(), end)]
    if not starts or (starts[0] != key.end() and text[key.end() : starts[0]].strip()):
        return None
    return key.start(), end, starts


def _parse_yaml_list(
    name: str, text: str, items_key: int, items_end: int, starts: list[int]
) -> list[tuple[Any, int | None, list[int | None]]]:
    header = text[:items_key] + "items: []\n" + text[items_end:]
    documents = _parse_yaml_text(name, header)
    if len(documents) != 1 or not isinstance(documents[0][0], dict):
        return _parse_yaml_text(name, text)
    document, document_line, _ = documents[0]
    items: list[Any] = []
    item_lines: list[int | None] = []
    line, counted_to = 1, 0
    for first in range(0, len(starts), _ITEMS_PER_BATCH):
        begin = starts[first]
        stop = starts[first + _ITEMS_PER_BATCH] if first + _ITEMS_PER_BATCH < len(starts) else items_end
        line += text.count("\n", counted_to, begin)
        counted_to = begin
        batch = _parse_yaml_text(name, text[begin:stop], line_offset=line - 1)
        if len(batch) != 1 or not isinstance(batch[0][0], list):
            return _parse_yaml_text(name, text)
        items.extend(batch[0][0])
        item_lines.extend(batch[0][2])
    document["items"] = items
    return [(document, document_line, item_lines)]


def _parse_yaml_text(
    name: str, text: str, line_offset: int = 0
) -> list[tuple[Any, int | None, list[int | None]]]:
    """Parse YAML text whose first line is line ``line_offset + 1`` of the file."""

    def at(line: int | None) -> int | None:
        return None if line is None else line + line_offset

    loader: _LineRecordingLoader | None = None
    documents: list[tuple[Any, int | None, list[int | None]]] = []
    try:
        try:
            documents = documents_from_events(text)
        except NeedsFullLoader:
            documents = []
        else:
            if len(documents) > MAX_DOCUMENTS_PER_FILE:
                raise InputError(f"more than {MAX_DOCUMENTS_PER_FILE} documents", Location(name))
            if not line_offset:
                return documents
            return [(data, at(line), [at(item) for item in item_lines]) for data, line, item_lines in documents]
        loader = _LineRecordingLoader(text)
        while loader.check_data():  # type: ignore[no-untyped-call]
            data = loader.get_data()
            line, item_lines = loader.document_lines[-1] if loader.document_lines else (None, [])
            documents.append((data, at(line), [at(item) for item in item_lines] if line_offset else item_lines))
            if len(documents) > MAX_DOCUMENTS_PER_FILE:
                raise InputError(f"more than {MAX_DOCUMENTS_PER_FILE} documents", Location(name))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # Counted from the index: the alias and integer guards hand back marks already counted so.
        line = text.count("\n", 0, mark.index) + 1 if mark is not None else None
        problem = (error.problem or error.context or "invalid YAML").strip()
        raise InputError(f"invalid YAML: {problem}", Location(name, at(line))) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {str(error).splitlines()[0]}", Location(name)) from None
    except _DuplicateKey as duplicate:
        raise InputError(f"duplicate key '{duplicate.key[:80]}'", Location(name, at(duplicate.line))) from None
    except RecursionError:
        raise InputError("YAML is nested too deeply", Location(name)) from None
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def _parse_json(name: str, text: str) -> list[tuple[Any, int | None, list[int | None]]]:
    data = safe_json.parse(name, text)
    items = data.get("items") if isinstance(data, dict) else None
    return [(data, 1, _json_item_lines(text, len(items)) if isinstance(items, list) else [])]


def _json_item_lines(text: str, count: int) -> list[int | None]:
    """The line of every item of a top-level JSON List (``kubectl get -o json``), for locations in reports.

    The JSON parser records no positions, so the items are walked once more with the C
    decoder's ``raw_decode``, each decoded item dropped at once; any surprise gives up
    (locations then fall back to the file) rather than guessing.
    """
    decoder = json.JSONDecoder()
    lines: list[int | None] = []
    try:
        index = _past_space(text, 0)
        if text[index] != "{":
            return []
        index += 1
        while True:
            key, index = decoder.raw_decode(text, _past_space(text, index))
            index = _past_space(text, _past_space(text, index) + 1)  # past the ':'
            if key == "items" and text[index] == "[":
                index += 1
                line, counted_to = 1, 0
                for _ in range(count):
                    start = _past_space(text, index)
                    line += text.count("\n", counted_to, start)
                    counted_to = start
                    lines.append(line)
                    _, index = decoder.raw_decode(text, start)
                    index = _past_space(text, index) + 1  # past the ','
                return lines
            _, index = decoder.raw_decode(text, index)
            index = _past_space(text, index) + 1  # past the ','
    except (ValueError, IndexError, RecursionError):
        return []


def _past_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


# Building objects ---------------------------------------------------------------------


def _load_bytes(name: str, data: bytes, options: LoadOptions, state: _LoadState) -> None:
    for index, (document, line, item_lines) in enumerate(load_documents(name, data)):
        if document is None:
            continue  # an empty document between '---' separators
        location = Location(name, line, index)
        if not isinstance(document, Mapping):
            raise InputError(f"expected a Kubernetes object (a mapping), found {_type_name(document)}", location)
        if _take_snapshot_facts(document, state):
            continue
        if is_kustomize_document(document):
            state.build_files.append(kustomization_note(Path(name), document, Path(name).parent))
            continue
        if is_list(document):
            _add_list_items(document, item_lines, location, options, state)
            continue
        _add_object(document, location, options, state)


def _add_list_items(
    document: Mapping[str, Any],
    item_lines: list[int | None],
    location: Location,
    options: LoadOptions,
    state: _LoadState,
) -> None:
    kind = str(document.get("kind"))
    items = document.get("items")
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError(f"'items' of a {kind} must be a list, found {_type_name(items)}", location)
    for position, item in enumerate(items):
        item_location = replace(location, line=item_lines[position] if position < len(item_lines) else location.line)
        if not isinstance(item, Mapping):
            _add_object(item, item_location, options, state)
        elif _take_snapshot_facts(item, state):
            continue  # a single-file `preflight snapshot -o x.json` lists its manifest first
        elif is_secret(item, kind):
            state.dropped_secrets += 1  # a SecretList's items may name no kind of their own
        elif is_list(item):
            _add_list_items(item, [], item_location, options, state)
        else:
            _add_object(item, item_location, options, state)


def _take_snapshot_facts(document: Mapping[str, Any], state: _LoadState) -> bool:
    """Note a ``kubectl version`` document or an export manifest; whether ``document`` was one."""
    if _is_version_document(document):
        state.kubernetes_version = _server_version(document)
        return True
    if document.get("apiVersion") == MANIFEST_API_VERSION and document.get("kind") == MANIFEST_KIND:
        state.manifest = dict(document)
        version = _manifest_text(state.manifest, "kubernetesVersion")
        state.kubernetes_version = state.kubernetes_version or version
        return True
    return False


def _add_object(document: Any, location: Location, options: LoadOptions, state: _LoadState) -> None:
    if not isinstance(document, dict):
        raise InputError(f"expected a Kubernetes object (a mapping), found {_type_name(document)}", location)
    kind = document.get("kind")
    if kind is None and "apiVersion" not in document:
        state.not_objects += 1  # not a Kubernetes object at all: nothing to read, but the report says so
        return
    if not isinstance(kind, str) or not kind:
        raise InputError(f"'kind' must be a non-empty string, found {_type_name(kind)}", location)
    try:
        check_kind(kind)
    except InvalidName as invalid:
        raise InputError(str(invalid), location) from None
    if is_secret(document):
        state.dropped_secrets += 1
        return
    metadata = document.get("metadata")
    if metadata is None:
        metadata = document["metadata"] = {}
    if not isinstance(metadata, dict):
        raise InputError(f"'metadata' of {kind} must be a mapping, found {_type_name(metadata)}", location)
    name = metadata.get("name")
    if name is None and "generateName" in metadata:
        name = metadata.get("generateName")
    if not isinstance(name, str) or not name:
        raise InputError(f"{kind} has no metadata.name", location)
    namespace = metadata.get("namespace")
    if kind in CLUSTER_SCOPED_KINDS:
        namespace = ""
    elif namespace is None or namespace == "":
        namespace = options.default_namespace
        metadata["namespace"] = namespace
    elif not isinstance(namespace, str):
        raise InputError(f"metadata.namespace of {kind} {name} must be a string", location)
    if not options.allow_invalid_names and kind != HELM_VALUES_KIND:  # ours, named after its file
        try:
            check_object_names(kind, name, namespace, metadata, generated="name" not in metadata)
        except InvalidName as invalid:
            raise InputError(f"{invalid}; --allow-invalid-names loads it anyway", location) from None
    for key in ("labels", "annotations"):
        value = metadata.get(key)
        if value is not None and not isinstance(value, dict):
            raise InputError(f"metadata.{key} of {kind} {name} must be a mapping, found {_type_name(value)}", location)
    spec = document.get("spec")
    if spec is not None and not isinstance(spec, dict):
        raise InputError(f"'spec' of {kind} {name} must be a mapping, found {_type_name(spec)}", location)
    strip_noise(document)
    trim_status(document)  # status is most of a Pod's size and almost none of what is read
    for pod_spec in pod_specs_of(document):
        redact_pod_spec(pod_spec)
    redact_free_text(document)
    api_version = document.get("apiVersion")
    ref = ObjectRef(kind, namespace, name, str(api_version) if api_version is not None else "")
    state.objects.append(K8sObject(ref, document, SourceRef(location.file, location.line, location.document or 0)))


def _is_version_document(document: Mapping[str, Any]) -> bool:
    return "kind" not in document and isinstance(document.get("serverVersion"), Mapping)


def _server_version(document: Mapping[str, Any]) -> str | None:
    server = document.get("serverVersion")
    if isinstance(server, Mapping):
        version = server.get("gitVersion")
        if isinstance(version, str):
            return version
    return None


def _manifest_text(manifest: Mapping[str, Any], key: str) -> str | None:
    value = manifest.get(key)
    return value if isinstance(value, str) else None


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


# Install inputs (--values) ------------------------------------------------------------

HELM_VALUES_API_VERSION = MANIFEST_API_VERSION
HELM_VALUES_KIND = "HelmValues"  # what preflight.istio.control_plane reads as install input
HELM_VALUES_NAMESPACE = "istio-system"


def load_helm_values(paths: Iterable[str]) -> list[K8sObject]:
    """Each Helm values file (istiod/base/gateway charts) as a ``HelmValues`` object.

    The object is named after the path as given, so ``istiod/values.yaml`` and
    ``gateway/values.yaml`` stay apart. ``pilot.env`` values are redacted as container
    env is (they become istiod's env), and credential-looking values anywhere are replaced.
    """
    objects: list[K8sObject] = []
    for path in paths:
        file = Path(path)
        if file.is_dir():
            raise InputError("--values takes a Helm values file, not a directory", Location(path))
        if not file.exists():
            raise InputError("no such file", Location(path))
        values, line = _values_document(path, _read_file(file))
        _redact_values(values)
        global_values = values.get("global")
        namespace = HELM_VALUES_NAMESPACE
        if isinstance(global_values, dict) and isinstance(global_values.get("istioNamespace"), str):
            namespace = global_values["istioNamespace"] or HELM_VALUES_NAMESPACE
        body = {
            "apiVersion": HELM_VALUES_API_VERSION,
            "kind": HELM_VALUES_KIND,
            "metadata": {"name": path, "namespace": namespace},
            "values": values,
        }
        ref = ObjectRef(HELM_VALUES_KIND, namespace, path, HELM_VALUES_API_VERSION)
        objects.append(K8sObject(ref, body, SourceRef(path, line, 0)))
    return objects


def _values_document(name: str, data: bytes) -> tuple[dict[str, Any], int | None]:
    found: tuple[dict[str, Any], int | None] | None = None
    for index, (document, line, _) in enumerate(load_documents(name, data)):
        if document is None:
            continue
        location = Location(name, line, index if index else None)
        if found is not None:
            raise InputError("a Helm values file holds one YAML document; this is a second one", location)
        if not isinstance(document, dict):
            raise InputError(f"Helm values must be a mapping, found {_type_name(document)}", location)
        if isinstance(document.get("kind"), str) and "apiVersion" in document:
            raise InputError(
                f"this is a Kubernetes object ({document['kind']}), not Helm values: pass it as a snapshot input",
                location,
            )
        found = (document, line)
    return found if found is not None else ({}, None)


def _redact_values(values: dict[str, Any]) -> None:
    pilot = values.get("pilot")
    env = pilot.get("env") if isinstance(pilot, dict) else None
    if isinstance(env, dict):
        for key, value in env.items():
            # Helm renders env values as strings; YAML's `true` must stay a readable flag.
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, int | float):
                value = str(value)
            env[key] = redact_env_value("discovery", str(key), value)
    redact_strings(values)
