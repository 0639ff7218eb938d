import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from preflight.engine.clusters import cluster_names
from preflight.errors import UsageError

DEMO = Path(__file__).parent.parent.parent / "preflight" / "demo" / "cluster"


def clusters(tmp_path: Path) -> tuple[Path, Path]:
    east, west = tmp_path / "east", tmp_path / "west"
    shutil.copytree(DEMO, east)
    shutil.copytree(DEMO, west)
    istiod = west / "istio-system.yaml"
    istiod.write_text(istiod.read_text().replace("pilot:1.18.7", "pilot:1.20.1"))
    return east, west


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight", "check", *args], capture_output=True, text=True, timeout=120
    )


def test_each_snapshot_is_its_own_cluster_in_one_report(tmp_path: Path) -> None:
    east, west = clusters(tmp_path)
    result = check(
        "--snapshot",
        str(east),
        "--snapshot",
        str(west),
        "--cluster-names",
        "east,west",
        "--to",
        "1.22",
        "--format",
        "json",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert [(c["name"], c["from"]) for c in report["clusters"]] == [("east", "1.18.7"), ("west", "1.20.1")]
    assert report["from"] == "1.18.7"  # the oldest cluster sets the path
    by_cluster = {f["cluster"] for f in report["findings"]}
    assert by_cluster == {"east", "west"}
    # 1.19 applies to east only: west already runs 1.20.
    field_report = {f["cluster"] for f in report["findings"] if f["change"].startswith("1.19-")}
    assert field_report == {"east"}
    assert len({f["id"] for f in report["findings"]}) == len(report["findings"])


def test_cluster_names_must_match_the_snapshots() -> None:
    with pytest.raises(UsageError, match="one name per snapshot"):
        cluster_names("a", ["x/", "y/"])
    with pytest.raises(UsageError, match="twice"):
        cluster_names("a,a", ["x/", "y/"])
    assert cluster_names(None, ["x/"]) is None


def test_helm_values_mitigate_before_anything_is_deployed(tmp_path: Path) -> None:
    values = tmp_path / "istiod-values.yaml"
    values.write_text('pilot:\n  env:\n    ENABLE_EXTERNAL_NAME_ALIAS: "false"\n')
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: legacy, namespace: payments}\n"
        "spec: {type: ExternalName, externalName: billing.example.com}\n"
    )
    without = json.loads(check(str(cluster), "--from", "1.20.0", "--to", "1.21", "--format", "json").stdout)
    with_values = json.loads(
        check(str(cluster), "--from", "1.20.0", "--to", "1.21", "--values", str(values), "--format", "json").stdout
    )
    status = {f["change"]: f["status"] for f in without["findings"]}
    assert status["1.21-externalname-alias"] == "affected"
    status = {f["change"]: f["status"] for f in with_values["findings"]}
    assert status["1.21-externalname-alias"] == "mitigated"
