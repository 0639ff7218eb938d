"""Writing a snapshot so that it appears whole or not at all.

Everything goes to a hidden work directory beside the output; only a finished export is
moved into place (a directory by rename, a single file by replacing it), so an
interrupted or failed export never leaves a half snapshot a gate could later trust.

Each kind is a JSON ``kind: List`` written item by item, one compact object per line:
memory holds one page at a time, every item has its own line for report locations, and
the loader reads it with the C JSON decoder (`bench/bench_export.py`: 20,000 services load
in about 5 s, against about 23 s as YAML through PyYAML's C loader). A ``.yaml``/``.yml``
single file keeps the readable multi-document YAML form instead.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import yaml

from preflight import safe_yaml
from preflight.errors import InputError, UsageError
from preflight.snapshot.interface import mapping_at
from preflight.snapshot.loader import MANIFEST_API_VERSION, MANIFEST_KIND

MANIFEST_FILE = "manifest.json"
# Snapshots exported before the JSON layout carry this one; --overwrite still recognises them.
LEGACY_MANIFEST_FILE = "manifest.yaml"
KIND_FILE_SUFFIX = ".json"
YAML_SUFFIXES = (".yaml", ".yml")

# The List wrapper is split around its items so they can be streamed; each item line is
# preceded by its separator, so the footer alone closes the document whatever the count.
_LIST_HEADER = b'{"apiVersion": "v1", "kind": "List", "items": ['
_LIST_FOOTER = b"\n]}\n"
_YAML_OPTIONS: dict[str, Any] = {
    "Dumper": yaml.CSafeDumper,
    "explicit_start": True,
    "sort_keys": False,
    "default_flow_style": False,
    "allow_unicode": True,
}


def check_output(output: Path, single_file: bool, overwrite: bool) -> None:
    """Refuse, before any cluster call, an output that would clobber something that is not ours."""
    if not output.parent.is_dir():
        raise UsageError(f"--output {output}: directory {output.parent} does not exist")
    if not output.exists():
        return
    if not output.is_dir() and not output.is_file():
        # Publishing is a rename: over a device node or a FIFO it would replace it with a regular file.
        raise UsageError(f"--output {output}: not a regular file or directory (a snapshot is written by renaming)")
    if single_file:
        if output.is_dir():
            raise UsageError(f"--output {output}: is a directory, not a file")
        if not overwrite:
            raise UsageError(f"--output {output}: file exists (use --overwrite to replace it)")
        return
    if not output.is_dir():
        raise UsageError(f"--output {output}: exists and is not a directory")
    if not any(output.iterdir()):
        return
    if not overwrite:
        raise UsageError(f"--output {output}: directory is not empty (use --overwrite to replace a snapshot)")
    if not is_snapshot_directory(output):
        raise UsageError(
            f"--output {output}: --overwrite only replaces a directory written by 'preflight snapshot' "
            f"(it has no {MANIFEST_FILE} or {LEGACY_MANIFEST_FILE})"
        )


def is_snapshot_directory(path: Path) -> bool:
    """Whether ``path`` holds a manifest this tool wrote, in the JSON layout or the earlier YAML one."""
    return _is_manifest(path / MANIFEST_FILE) or _is_manifest(path / LEGACY_MANIFEST_FILE)


def _is_manifest(path: Path) -> bool:
    if not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else safe_yaml.load(text)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError):
        return False
    return (
        isinstance(document, Mapping)
        and document.get("apiVersion") == MANIFEST_API_VERSION
        and document.get("kind") == MANIFEST_KIND
    )


class SnapshotWriter:
    """One JSON List per kind in a work directory; ``commit`` publishes, leaving the block aborts."""

    def __init__(self, output: Path, single_file: bool) -> None:
        self.output = output
        self.single_file = single_file
        self.work_dir = Path(tempfile.mkdtemp(prefix=f".{output.name}.partial-", dir=output.parent))
        self._committed = False

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._committed:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def open_kind(self, resource_name: str) -> KindStream:
        """The stream of one resource (``deployments.apps``), as ``<resource_name>.json``."""
        return KindStream(self.work_dir / f"{resource_name}{KIND_FILE_SUFFIX}")

    def commit(self, manifest: Mapping[str, Any], kind_files: list[str]) -> None:
        if self.single_file:
            self._commit_file(manifest, kind_files)
        else:
            (self.work_dir / MANIFEST_FILE).write_bytes(_json_bytes(manifest, indent=2) + b"\n")
            self._commit_directory()
        self._committed = True

    def _commit_directory(self) -> None:
        previous: Path | None = None
        if self.output.exists():
            if any(self.output.iterdir()):
                previous = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.old-", dir=self.output.parent))
                os.rename(self.output, previous / "snapshot")
            else:
                self.output.rmdir()
        os.rename(self.work_dir, self.output)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def _commit_file(self, manifest: Mapping[str, Any], kind_files: list[str]) -> None:
        kind_paths = [self.work_dir / name for name in kind_files]
        if self.output.suffix.lower() in YAML_SUFFIXES:
            combined = self.work_dir / "snapshot.yaml"
            with combined.open("w", encoding="utf-8") as target:
                _dump_yaml(dict(manifest), target)
                for path in kind_paths:
                    for item in encoded_items(path):
                        _dump_yaml(json.loads(item), target)
        else:
            combined = self.work_dir / "snapshot.json"
            with combined.open("wb") as target:
                combined_list = _JsonList(target)
                combined_list.append(encode_item(manifest))
                for path in kind_paths:
                    for item in encoded_items(path):
                        combined_list.append(item)
                combined_list.end()
        os.replace(combined, self.output)
        shutil.rmtree(self.work_dir, ignore_errors=True)


class KindStream:
    """Objects of one kind appended to a JSON List as they arrive; ``restart`` empties it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] = path.open("wb")
        self._list = _JsonList(self._file)

    @property
    def count(self) -> int:
        return self._list.count

    def write(self, body: Mapping[str, Any]) -> None:
        self._list.append(encode_item(body))

    def restart(self) -> None:
        self._file.seek(0)
        self._file.truncate()
        self._list = _JsonList(self._file)

    def close(self) -> None:
        if not self._file.closed:
            self._list.end()
            self._file.close()


class _JsonList:
    """A ``kind: List`` document written to ``file`` one already-encoded item per line."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.count = 0
        file.write(_LIST_HEADER)

    def append(self, encoded_item: bytes) -> None:
        self.file.write(b",\n" if self.count else b"\n")
        self.file.write(encoded_item)
        self.count += 1

    def end(self) -> None:
        self.file.write(_LIST_FOOTER)


def _dump_yaml(body: Mapping[str, Any], target: IO[str]) -> None:
    try:
        yaml.dump(body, target, **_YAML_OPTIONS)
    except UnicodeEncodeError:
        # libyaml cannot emit a lone surrogate at all; JSON can, escaped.
        metadata = mapping_at(body, "metadata")
        name = "/".join(str(metadata[key]) for key in ("namespace", "name") if metadata.get(key))
        raise InputError(
            f"{body.get('kind')} {name} holds text that is not valid Unicode and cannot be written as YAML; "
            "export to a directory or a .json file instead"
        ) from None


def encode_item(body: Mapping[str, Any]) -> bytes:
    """One object as compact UTF-8 JSON on one line, keys in the order they came."""
    return _json_bytes(body, separators=(",", ":"))


def _json_bytes(value: Mapping[str, Any], **layout: Any) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False, **layout).encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (a "\ud800" escape in the API server's JSON) has no UTF-8 form;
        # escaped as JSON does by default, it reads back to the same string.
        return json.dumps(value, **layout).encode("ascii")


def encoded_items(path: Path) -> Iterator[bytes]:
    """The items of a List written by ``KindStream``, each still encoded, one line at a time."""
    with path.open("rb") as file:
        file.readline()  # the List header
        for line in file:
            item = line.rstrip(b"\n")
            if item == b"]}":
                return
            yield item[:-1] if item.endswith(b",") else item
