"""Reports are written atomically: an interrupted or failed write leaves the old file (or none), never half of one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from preflight.errors import InputError
from preflight.output import write_atomic


class Interrupted(BaseException):
    """Stands for Ctrl-C or a kill arriving in the middle of a write."""


def test_interrupted_write_keeps_the_previous_report_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous complete report")

    def replace_then_interrupt(source: str, destination: object) -> None:
        assert Path(source).read_text().startswith("new")  # the whole text is in the temporary file
        raise Interrupted

    monkeypatch.setattr(os, "replace", replace_then_interrupt)
    with pytest.raises(Interrupted):
        write_atomic(str(target), "new report " * 100_000)
    assert target.read_text() == "previous complete report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_failed_write_leaves_no_file_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "new" / "report.json"
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle: int, *args: object, **kwargs: object) -> None:
            self.stream = real_fdopen(handle, "w")

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

        def write(self, text: str) -> int:
            self.stream.write(text[:10])
            raise OSError(28, "No space left on device")

        def writelines(self, pieces: list[str]) -> None:
            for piece in pieces:
                self.write(piece)

        def fileno(self) -> int:
            return self.stream.fileno()

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(InputError) as caught:
        write_atomic(str(target), "{}" * 1000)
    assert str(target) in str(caught.value) and "No space left" in str(caught.value)
    assert not target.exists()
    assert not target.parent.exists()  # the directory made for it goes too: the run wrote nothing


def test_report_is_readable_like_any_file_the_user_writes(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_atomic(str(tmp_path / "r.txt"), "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "r.txt").stat().st_mode & 0o777 == 0o644
