"""Writing a snapshot so that it appears whole or not at all.

Everything goes to a hidden work directory beside the output; only a finished export is
moved into place (a directory by rename, a single file by replacing it), so an
interrupted or failed export never leaves a half snapshot a gate could later trust.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import yaml

from preflight.errors import UsageError
from preflight.snapshot.loader import MANIFEST_API_VERSION, MANIFEST_KIND

MANIFEST_FILE = "manifest.yaml"


def check_output(output: Path, single_file: bool, overwrite: bool) -> None:
    """Refuse, before any cluster call, an output that would clobber something that is not ours."""
    if not output.parent.is_dir():
        raise UsageError(f"--output {output}: directory {output.parent} does not exist")
    if not output.exists():
        return
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
            f"(it has no {MANIFEST_FILE})"
        )


def is_snapshot_directory(path: Path) -> bool:
    manifest = path / MANIFEST_FILE
    if not manifest.is_file():
        return False
    try:
        document = yaml.load(manifest.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return (
        isinstance(document, Mapping)
        and document.get("apiVersion") == MANIFEST_API_VERSION
        and document.get("kind") == MANIFEST_KIND
    )


class SnapshotWriter:
    """One YAML stream per kind in a work directory; ``commit`` publishes, leaving the block aborts."""

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

    def open_kind(self, file_name: str) -> KindStream:
        return KindStream(self.work_dir / file_name)

    def commit(self, manifest: Mapping[str, Any], kind_files: list[str]) -> None:
        _write_yaml(self.work_dir / MANIFEST_FILE, [manifest])
        if self.single_file:
            self._commit_file(kind_files)
        else:
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

    def _commit_file(self, kind_files: list[str]) -> None:
        combined = self.work_dir / "snapshot.yaml"
        with combined.open("wb") as target:
            for name in [MANIFEST_FILE, *kind_files]:
                with (self.work_dir / name).open("rb") as source:
                    shutil.copyfileobj(source, target)
        os.replace(combined, self.output)
        shutil.rmtree(self.work_dir, ignore_errors=True)


class KindStream:
    """Objects of one kind appended as YAML documents as they arrive; ``restart`` empties it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: IO[str] = path.open("w", encoding="utf-8")

    def write(self, body: Mapping[str, Any]) -> None:
        yaml.dump(
            body,
            self._file,
            Dumper=yaml.CSafeDumper,
            explicit_start=True,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
        )
        self.count += 1

    def restart(self) -> None:
        self._file.seek(0)
        self._file.truncate()
        self.count = 0

    def close(self) -> None:
        self._file.close()


def _write_yaml(path: Path, documents: list[Mapping[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        yaml.dump_all(
            documents,
            file,
            Dumper=yaml.CSafeDumper,
            explicit_start=True,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
        )
