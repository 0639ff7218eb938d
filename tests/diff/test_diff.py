import json
import subprocess
import sys
from pathlib import Path

CLUSTER = str(Path(__file__).parent.parent / "fixtures" / "cluster")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "preflight", *args], capture_output=True, text=True, timeout=120)


def test_diff_lists_new_fixed_and_still_open(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    run("check", CLUSTER, "--allow-invalid-names", "--to", "1.22.0", "--output", str(old), "--no-timestamp")
    document = json.loads(old.read_text())
    gone = document["findings"].pop(0)
    extra = dict(document["findings"][0], id="made-up:Service/x/y", severity="critical")
    document["findings"].append(extra)
    document["findings"][0] = dict(document["findings"][0], status="mitigated")
    new.write_text(json.dumps(document))
    result = run("diff", str(old), str(new), "--format", "json", "--fail-on-new")
    assert result.returncode == 1, result.stderr
    diff = json.loads(result.stdout)
    assert diff["fixed"] == [gone["id"]] and diff["new"] == ["made-up:Service/x/y"]
    assert {"id": document["findings"][0]["id"], "fields": ["status"]} in diff["changed"]
    markdown = run("diff", str(old), str(new)).stdout
    assert "1 new · 1 fixed" in markdown


def test_diff_rejects_a_file_that_is_not_a_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n  \"schema\": \"other\"\n}\n")
    result = run("diff", str(bad), str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr and str(bad) in result.stderr


def test_a_report_of_the_previous_version_still_diffs_against_a_new_one(tmp_path: Path) -> None:
    """Before entry text was written once under ``changes``, every finding repeated it; diff reads both shapes."""
    from preflight.diff.diff import diff_reports, read_report
    from preflight.formats.json_format import render
    from tests.formats.test_golden import fixture_report

    old = Path(__file__).parent / "fixtures" / "report-v1-entry-text-per-finding.json"
    assert all("title" in f and "remediation" in f for f in read_report(str(old))["findings"])  # the old shape
    new = tmp_path / "new.json"
    new.write_text(render(fixture_report()))
    assert not any("title" in f for f in read_report(str(new))["findings"])
    difference = diff_reports(read_report(str(old)), read_report(str(new)))
    assert (difference.new, difference.fixed, difference.changed) == ((), (), ())
    assert len(difference.still_open) == len(read_report(str(old))["findings"]) > 0
    result = run("diff", str(old), str(new), "--format", "json", "--fail-on-new")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["new"] == []


def _demo_reports(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    from preflight.resources import demo_cluster_dir, demo_traffic_file

    old = tmp_path / "old.json"
    run("check", str(demo_cluster_dir()), "--traffic", str(demo_traffic_file()), "--to", "1.22", "--output", str(old),
        "--no-timestamp")
    return old, json.loads(old.read_text())


def test_diff_markdown_shows_new_and_fixed_in_full_and_still_open_as_counts(tmp_path: Path) -> None:
    old, document = _demo_reports(tmp_path)
    findings = document["findings"]
    assert isinstance(findings, list) and len(findings) > 20
    fixed = findings.pop(0)
    added = dict(findings[0], id="made-up:Service/shop/cart", severity="critical", status="affected",
                 message="a *new* | finding")
    findings.append(added)
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document))
    markdown = run("diff", str(old), str(new)).stdout
    assert f"`{fixed['id']}`" in markdown and fixed["message"][:40] in markdown
    assert "`made-up:Service/shop/cart` (critical, affected): a \\*new\\* \\| finding" in markdown
    still_open = [f for f in findings if f is not added]
    assert not any(f"`{f['id']}`" in markdown for f in still_open)
    counts = {s: sum(1 for f in still_open if f["severity"] == s) for s in ("critical", "high", "medium", "low")}
    expected = ", ".join(f"{s} {n}" for s, n in counts.items() if n)
    assert f"Still open, by severity: {expected}" in markdown


def test_diff_markdown_stays_within_a_github_comment_and_says_what_it_cut(tmp_path: Path) -> None:
    old, document = _demo_reports(tmp_path)
    findings = document["findings"]
    assert isinstance(findings, list)
    template = findings[0]
    findings.extend(
        dict(template, id=f"made-up:Service/shop/s{i}", severity="high" if i % 7 else "critical", message="x" * 200)
        for i in range(3000)
    )
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document))
    markdown = run("diff", str(old), str(new)).stdout
    assert len(markdown) <= 65_536
    listed = markdown.count("`made-up:Service/shop/s")
    assert 0 < listed < 3000
    assert f"Cut to fit a comment: {3000 - listed} of 3000 new not listed" in markdown
    critical_listed = [line for line in markdown.splitlines() if "made-up" in line and "(critical," in line]
    assert len(critical_listed) == min(listed, 3000 // 7 + 1)  # the worst are kept first
