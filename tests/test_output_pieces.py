"""The writer takes text and UTF-8 bytes alike (the JSON report's encoder output, never decoded)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from preflight.output import STDOUT, write_all_atomic

PIECES: list[str | bytes] = ["täxt ", "ä€".encode(), " more\n", b"bytes \xe2\x82\xac", "\n"]
EXPECTED = "täxt ä€ more\nbytes €\n"


def test_text_and_bytes_pieces_land_in_order_in_a_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    write_all_atomic([(str(target), lambda: iter(PIECES))])
    assert target.read_bytes() == EXPECTED.encode()


def test_text_and_bytes_pieces_land_in_order_on_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    binary = io.BytesIO()
    stream = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
    monkeypatch.setattr(sys, "stdout", stream)
    write_all_atomic([(STDOUT, lambda: iter(PIECES))])
    assert binary.getvalue() == EXPECTED.encode()


def test_a_text_only_stdout_gets_the_bytes_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    write_all_atomic([(STDOUT, lambda: iter(PIECES))])
    assert stream.getvalue() == EXPECTED
