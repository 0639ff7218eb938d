"""Reading a snapshot from hostile places: symlink mazes, ConfigMap mounts, FIFOs, devices, hidden folders, stdin."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from preflight.resources import demo_cluster_dir
from preflight.snapshot.loader import load_snapshot

VERSIONS = ("--from", "1.18", "--to", "1.22", "--no-timestamp")


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def demo_object_count() -> int:
    return len(list(load_snapshot([str(demo_cluster_dir())]).objects))


def configmap_mount(root: Path) -> Path:
    """The layout kubelet makes for a ConfigMap volume: every file a symlink through ``..data``."""
    mount = root / "mount"
    real = mount / "..2026_12_03_10_00_00.123456789"
    real.mkdir(parents=True)
    for file in demo_cluster_dir().iterdir():
        shutil.copy(file, real / file.name)
        (mount / file.name).symlink_to(Path("..data") / file.name)
    (mount / "..data").symlink_to(real.name)
    return mount


def test_a_configmap_mount_reads_every_object_once(tmp_path: Path) -> None:
    mount = configmap_mount(tmp_path)
    snapshot = load_snapshot([str(mount)])
    assert len(list(snapshot.objects)) == demo_object_count()
    assert snapshot.info.notes == ()
    assert all(not Path(source).name.startswith(".") for source in snapshot.info.sources)


def test_links_leaving_the_directory_loops_and_fifos_are_skipped_with_a_note_in_the_report(tmp_path: Path) -> None:
    mount = configmap_mount(tmp_path)
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: from-outside, namespace: default}\n")
    (mount / "escape.yaml").symlink_to(outside)
    (mount / "loop.yaml").symlink_to("loop.yaml")
    (mount / "again").symlink_to(".")
    (mount / "dangling.yaml").symlink_to("nowhere.yaml")
    os.mkfifo(mount / "pipe.yaml")  # read, it would block the check forever
    report = tmp_path / "r.json"
    result = run("check", str(mount), *VERSIONS, "--output", str(report), timeout=60)

    assert result.returncode in (0, 1), result.stderr
    notes = json.loads(report.read_text())["notes"]
    skipped = {note.split(" in the snapshot directory: ")[0]: note for note in notes if note.startswith("Skipped ")}
    assert "symlink loop" in skipped[f"Skipped {mount / 'loop.yaml'}"]
    assert "symlink loop" in skipped[f"Skipped {mount / 'again'}"]
    assert "outside the directory" in skipped[f"Skipped {mount / 'escape.yaml'}"]
    assert "broken symlink" in skipped[f"Skipped {mount / 'dangling.yaml'}"]
    assert "not a regular file" in skipped[f"Skipped {mount / 'pipe.yaml'}"]
    assert "from-outside" not in report.read_text()


def test_a_looping_link_named_explicitly_says_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop.name)
    result = run("check", str(loop), *VERSIONS)
    assert result.returncode == 2
    assert result.stderr.strip() == f"preflight: error: {loop}: symlink loop"


def test_a_fifo_named_explicitly_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "snapshot.yaml"
    os.mkfifo(fifo)
    documents = b"".join(b"---\n" + file.read_bytes() for file in sorted(demo_cluster_dir().iterdir()))

    def feed() -> None:
        with fifo.open("wb") as stream:
            stream.write(documents)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    result = run("check", str(fifo), *VERSIONS, "--format", "json", timeout=60)
    writer.join(10)
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["to"] == "1.22"


def test_hidden_folders_are_not_part_of_a_snapshot(tmp_path: Path) -> None:
    snapshot = tmp_path / "repo"
    shutil.copytree(demo_cluster_dir(), snapshot)
    for hidden in (".git", ".github/workflows", ".cache"):
        (snapshot / hidden).mkdir(parents=True)
        (snapshot / hidden / "broken.yaml").write_text("kind: [\n")  # would be exit 2 if read
    (snapshot / ".hidden.yaml").write_text("kind: [\n")
    assert len(list(load_snapshot([str(snapshot)]).objects)) == demo_object_count()


def test_dev_zero_as_a_snapshot_is_a_quick_clear_error() -> None:
    result = run("check", "/dev/zero", *VERSIONS, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == "preflight: error: /dev/zero:1: holds a NUL byte: not YAML or JSON text"


def test_dev_zero_as_traffic_data_is_a_quick_clear_error() -> None:
    # Traffic data once trusted the file's size, which /dev/zero reports as 0: the read never ended.
    result = run("check", str(demo_cluster_dir()), "--traffic", "/dev/zero", *VERSIONS, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip() == "preflight: error: /dev/zero:1: holds a NUL byte: not YAML or JSON text"


def test_dev_zero_as_a_report_to_diff_is_a_quick_clear_error(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    written = run("check", str(demo_cluster_dir()), *VERSIONS, "--output", str(report))
    assert written.returncode in (0, 1), written.stderr
    result = run("diff", "/dev/zero", str(report), timeout=30)
    assert result.returncode == 2
    assert "/dev/zero:1: holds a NUL byte" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_closed_stdin_is_bad_input_not_a_crash() -> None:
    # `<&-` closes descriptor 0, as a CI step with no input can; Python then has no sys.stdin at all.
    result = subprocess.run(
        ["sh", "-c", f'exec "{sys.executable}" -m preflight check - --from 1.18 --to 1.22 <&-'],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == "preflight: error: <stdin>: standard input is closed: nothing to read"


def test_a_raw_nul_in_yaml_names_its_line(tmp_path: Path) -> None:
    snapshot = tmp_path / "nul.yaml"
    snapshot.write_bytes(b"apiVersion: v1\nkind: Service\nmetadata:\n  name: a\x00b\n")
    result = run("check", str(snapshot), *VERSIONS)
    assert result.returncode == 2
    assert result.stderr.strip() == f"preflight: error: {snapshot}:4: holds a NUL byte: not YAML or JSON text"


def test_documents_that_are_not_objects_are_counted_in_the_report(tmp_path: Path) -> None:
    snapshot = tmp_path / "gitops"
    shutil.copytree(demo_cluster_dir(), snapshot)
    (snapshot / "values.yaml").write_text("replicas: 3\n---\nimage: {tag: x}\n")
    report = tmp_path / "r.json"
    result = run("check", str(snapshot), *VERSIONS, "--output", str(report))
    assert result.returncode in (0, 1), result.stderr
    notes = json.loads(report.read_text())["notes"]
    assert any(note.startswith("Skipped 2 document(s) with neither kind nor apiVersion") for note in notes)
