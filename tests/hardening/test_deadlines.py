"""Nothing waits forever and nothing half-written stays behind (issue 16 item E).

Hostile fakes: a kubectl that hangs, one that repeats a continue token, one that pages forever
with fresh tokens, a Prometheus that drips a byte every half second, and runs cancelled with
SIGTERM in the middle. Timeouts in these tests are about a second; every subprocess has a
hang guard well above that, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from preflight.resources import demo_cluster_dir
from tests.export.conftest import HERE as EXPORT_TESTS
from tests.export.conftest import RECORDINGS

FAKE_KUBECTL = EXPORT_TESTS / "fake_kubectl.py"
SERVICES = "/api/v1/services?"
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])


def hostile_kubectl(tmp_path: Path, body: str) -> dict[str, str]:
    """A kubectl on PATH running ``body`` (Python; ``args`` is the argument list) before the recorded fake."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "kubectl"
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys, time, uuid\nargs = sys.argv[1:]\n{body}\n"
        f"os.execv(sys.executable, [sys.executable, {str(FAKE_KUBECTL)!r}, *args])\n"
    )
    script.chmod(0o755)
    state = tmp_path / "kubectl-state"
    state.mkdir()
    return os.environ | {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "FAKE_KUBECTL_STATE": str(state),
        "FAKE_KUBECTL_RECORDING": str(RECORDINGS / "cluster.yaml"),
        "PYTHONPATH": PROJECT_ROOT,
    }


def preflight(env: dict[str, str] | None, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *arguments],
        capture_output=True,
        text=True,
        env=env if env is not None else os.environ | {"PYTHONPATH": PROJECT_ROOT},
        check=False,
        timeout=timeout,
    )


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".") or "partial" in p.name)


# preflight snapshot --------------------------------------------------------------------


def test_a_hanging_kubectl_fails_after_request_timeout(tmp_path: Path) -> None:
    env = hostile_kubectl(tmp_path, f"if any({SERVICES!r} in a for a in args):\n    time.sleep(120)")
    output = tmp_path / "snap"
    started = time.monotonic()
    result = preflight(env, "snapshot", "-o", str(output), "--chunk-size", "2", "--request-timeout", "1")

    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "did not answer within 1s (--request-timeout)" in line and SERVICES in line
    assert not output.exists()
    assert leftovers(tmp_path) == []


def test_a_repeated_continue_token_stops_the_export(tmp_path: Path) -> None:
    recording = yaml.safe_load((RECORDINGS / "cluster.yaml").read_text())
    second_page = recording["responses"]["get --raw /api/v1/services?limit=2&continue=svc-2"]
    second_page["json"]["metadata"] = {"continue": "svc-2"}  # the page it was asked for, again and again
    looping = tmp_path / "looping.yaml"
    looping.write_text(yaml.safe_dump(recording))
    env = hostile_kubectl(tmp_path, "") | {"FAKE_KUBECTL_RECORDING": str(looping)}
    output = tmp_path / "snap"
    result = preflight(env, "snapshot", "-o", str(output), "--chunk-size", "2")

    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "same continue token twice" in line and "/api/v1/services" in line
    assert not output.exists() and leftovers(tmp_path) == []


def test_a_server_paging_forever_with_fresh_tokens_is_stopped_by_the_whole_export_timeout(tmp_path: Path) -> None:
    endless = (
        f"if any({SERVICES!r} in a for a in args):\n"
        "    print(json.dumps({'kind': 'ServiceList', 'apiVersion': 'v1',"
        " 'metadata': {'continue': uuid.uuid4().hex}, 'items': []}))\n"
        "    sys.exit(0)"
    )
    env = hostile_kubectl(tmp_path, endless)
    output = tmp_path / "snap"
    started = time.monotonic()
    result = preflight(env, "snapshot", "-o", str(output), "--chunk-size", "2", "--timeout", "3")

    assert time.monotonic() - started < 30
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "did not finish within --timeout 3s" in line
    assert not output.exists() and leftovers(tmp_path) == []


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    ends = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > ends:
            raise AssertionError("the condition never held")
        time.sleep(0.05)


def test_sigterm_mid_export_removes_the_partial_folder_and_stops_kubectl(tmp_path: Path) -> None:
    pid_file = tmp_path / "kubectl.pid"
    hang = (
        f"if any({SERVICES!r} in a for a in args):\n"
        f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(120)"
    )
    env = hostile_kubectl(tmp_path, hang)
    output = tmp_path / "snap"
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight", "snapshot", "-o", str(output), "--chunk-size", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: pid_file.exists() and pid_file.read_text() != "")
        assert [p for p in tmp_path.iterdir() if ".partial-" in p.name], "the export should be under way"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 3, stderr
    assert "terminated" in stderr
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if ".partial-" in p.name] == []
    kubectl_pid = int(pid_file.read_text())
    wait_for(lambda: not _alive(kubectl_pid), seconds=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


# preflight check -----------------------------------------------------------------------


def test_sigterm_while_writing_reports_leaves_no_temporary_file(tmp_path: Path) -> None:
    report = tmp_path / "q.json"
    fifo = tmp_path / "blocked.md"
    os.mkfifo(fifo)  # no reader: writing the Markdown report blocks until the run is cancelled
    process = subprocess.Popen(
        [sys.executable, "-m", "preflight", "check", str(demo_cluster_dir()), "--from", "1.18", "--to", "1.22",
         "--output", str(report), "--output", str(fifo)],
        env=os.environ | {"PYTHONPATH": PROJECT_ROOT}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), seconds=60)
        time.sleep(0.2)  # into the blocking open of the FIFO
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 3, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked.md"]


# preflight traffic export --------------------------------------------------------------


@pytest.fixture
def prometheus() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """Start a raw TCP server whose connection handler is the hostile behaviour; gives its URL."""
    servers: list[socket.socket] = []
    stop = threading.Event()

    def start(handler: Callable[[socket.socket], None]) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def serve() -> None:
            while not stop.is_set():
                try:
                    connection, _ = server.accept()
                except OSError:
                    return
                threading.Thread(target=_handle, args=(handler, connection), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{server.getsockname()[1]}"

    def _handle(handler: Callable[[socket.socket], None], connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                handler(connection)
            except OSError:
                pass  # the client gave up: that is what these servers are for

    yield start
    stop.set()
    for server in servers:
        server.close()


def drip(connection: socket.socket) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(120):  # a byte every half second: each read succeeds, the answer never ends
        connection.sendall(b" ")
        time.sleep(0.5)


def answer(body: bytes) -> Callable[[socket.socket], None]:
    def send(connection: socket.socket) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
        )
    return send


def test_a_prometheus_dripping_bytes_is_cut_off_at_the_whole_request_timeout(
    tmp_path: Path, prometheus: Callable[[Callable[[socket.socket], None]], str]
) -> None:
    url = prometheus(drip)
    output = tmp_path / "traffic.json"
    started = time.monotonic()
    result = preflight(None, "traffic", "export", "--prometheus", url, "--timeout", "1.5", "--output", str(output))

    assert time.monotonic() - started < 15
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "did not answer in full within --timeout 1.5s" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_prometheus_answer_nested_too_deeply_is_bad_input(
    tmp_path: Path, prometheus: Callable[[Callable[[socket.socket], None]], str]
) -> None:
    url = prometheus(answer(b'{"status": "success",\n"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    result = preflight(None, "traffic", "export", "--prometheus", url, "--timeout", "5", "--output", "-")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"preflight: error: {url}:2: JSON from Prometheus is nested too deeply"
    assert result.stdout == ""


# preflight diff ------------------------------------------------------------------------


def test_a_diff_input_nested_too_deeply_is_bad_input_with_its_line(tmp_path: Path) -> None:
    report = tmp_path / "old.json"
    report.write_text('{"schema": "x",\n"findings":\n' + "[" * 100_000 + "]" * 100_000 + "}")
    result = preflight(None, "diff", str(report), str(report))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == f"preflight: error: {report}:3: JSON report is nested too deeply"


def test_a_diff_input_with_duplicate_keys_is_refused(tmp_path: Path) -> None:
    report = tmp_path / "old.json"
    report.write_text(json.dumps({"schema": "x"})[:-1] + ',\n "schema": "y"}')
    result = preflight(None, "diff", str(report), str(report))
    assert result.returncode == 2
    assert result.stderr.strip() == f"preflight: error: {report}:2: duplicate key 'schema'"
