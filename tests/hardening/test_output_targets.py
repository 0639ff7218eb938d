"""``--output`` targets: all or nothing across several, special files written in place and never replaced."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from preflight.resources import demo_cluster_dir

CHECK = ("check", str(demo_cluster_dir()), "--from", "1.18", "--to", "1.22", "--no-timestamp")


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def device_copy(tmp_path: Path, name: str, major: int, minor: int) -> Path:
    """A character device like /dev/<name> made in tmp_path, so a regression replaces a copy, not the machine's."""
    path = tmp_path / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    except (PermissionError, OSError):
        if os.geteuid() == 0:
            pytest.skip("cannot make a device node here, and as root a regression would replace /dev/" + name)
        return Path("/dev") / name  # not root: /dev is not writable, so nothing can be replaced
    return path


def test_a_directory_among_the_targets_writes_none_and_names_it(tmp_path: Path) -> None:
    (tmp_path / "adir.md").mkdir()
    html, data = tmp_path / "q.html", tmp_path / "q.json"
    result = run(*CHECK, "--output", str(html), "--output", str(data), "--output", str(tmp_path / "adir.md"))

    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"preflight: error: {tmp_path / 'adir.md'}: cannot write report: is a directory"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.md"]


def test_a_directory_target_leaves_an_existing_report_untouched(tmp_path: Path) -> None:
    html = tmp_path / "q.html"
    html.write_text("previous report")
    blocker = tmp_path / "r.json"
    blocker.mkdir()  # a directory where the JSON report should go: found by the check before writing
    result = run(*CHECK, "--output", str(html), "--output", str(blocker))

    assert result.returncode == 2
    assert str(blocker) in result.stderr
    assert html.read_text() == "previous report"
    assert not list(tmp_path.glob("**/.*.tmp")) and not list(tmp_path.glob("**/.*.old"))


def test_a_rename_failing_after_others_succeeded_puts_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Run in-process so the second rename can be made to fail after the first one happened.
    from preflight.errors import InputError
    from preflight.output import write_all_atomic

    first, second, fresh = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "new" / "c.txt"
    first.write_text("old a")
    second.write_text("old b")
    real_replace = os.replace

    def replace_failing_on_second_target(source: str, destination: object) -> None:
        if str(destination) == str(second) and str(source).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        real_replace(source, destination)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace_failing_on_second_target)
    with pytest.raises(InputError) as caught:
        write_all_atomic([(str(first), lambda: ["new a"]), (str(fresh), lambda: ["c"]), (str(second), lambda: ["b"])])
    monkeypatch.undo()
    assert str(second) in str(caught.value) and "No space left" in str(caught.value)
    assert first.read_text() == "old a" and second.read_text() == "old b"
    assert not fresh.exists() and not fresh.parent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_a_character_device_is_written_in_place_not_replaced(tmp_path: Path) -> None:
    null = device_copy(tmp_path, "null", 1, 3)
    result = run(*CHECK, "--format", "json", "--output", str(null))

    assert result.returncode in (0, 1), result.stderr
    assert stat.S_ISCHR(null.stat().st_mode)
    assert not list(null.parent.glob(".null.*"))


def test_a_full_device_is_a_clear_no_space_error_and_stays_a_device(tmp_path: Path) -> None:
    full = device_copy(tmp_path, "full", 1, 7)
    result = run(*CHECK, "--format", "json", "--output", str(full))

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"preflight: error: {full}: cannot write report:")
    assert "no space" in line.lower()
    assert stat.S_ISCHR(full.stat().st_mode)


def _read_fifo(fifo: Path, into: list[bytes]) -> None:
    with fifo.open("rb") as stream:
        into.append(stream.read())


def test_a_fifo_is_written_in_place_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=_read_fifo, args=(fifo, received), daemon=True)
    reader.start()
    result = run(*CHECK, "--format", "json", "--output", str(fifo), timeout=120)
    reader.join(10)

    assert result.returncode in (0, 1), result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["to"] == "1.22"


def test_dash_writes_the_report_to_standard_output(tmp_path: Path) -> None:
    result = run(*CHECK, "--format", "json", "--output", "-")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["to"] == "1.22"
    assert not (Path.cwd() / "-").exists()


def test_the_same_target_twice_is_refused_before_writing(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = run(*CHECK, "--output", str(report), "--output", str(tmp_path / "." / "r.json"))
    assert result.returncode == 2
    assert "given twice" in result.stderr
    assert not report.exists()


@pytest.fixture
def prometheus_answer() -> Iterator[str]:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_traffic_export_writes_through_the_one_writer(tmp_path: Path, prometheus_answer: str) -> None:
    output = tmp_path / "traffic.json"
    previous = os.umask(0o022)
    try:
        result = run("traffic", "export", "--prometheus", prometheus_answer, "--output", str(output), "--timeout", "5")
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr
    assert json.loads(output.read_text())["status"] == "success"
    assert output.stat().st_mode & 0o777 == 0o644  # not the private 0600 of a bare temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["traffic.json"]

    null = device_copy(tmp_path, "null", 1, 3)
    result = run("traffic", "export", "--prometheus", prometheus_answer, "--output", str(null), "--timeout", "5")
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(null.stat().st_mode)


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_snapshot_refuses_to_publish_over_a_special_file_even_with_overwrite(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        target = tmp_path / "snap.json"
        os.mkfifo(target)
    else:
        target = device_copy(tmp_path, "null", 1, 3)
    result = run("snapshot", "--output", str(target), "--overwrite")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"preflight: error: --output {target}: not a regular file or directory (a snapshot is written by renaming)"
    )
    mode = target.stat().st_mode
    assert stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISCHR(mode)
    assert not [p for p in target.parent.iterdir() if ".partial-" in p.name]
