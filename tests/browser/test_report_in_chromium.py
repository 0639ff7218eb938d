"""The bundled example's HTML report opened in headless Chromium: key elements present and visible.

Takes a screenshot; with ``PREFLIGHT_UPDATE_SCREENSHOT=1`` it replaces the one the README shows
(docs/images/report.png), so a plain test run never changes tracked files. Needs the distribution's
``chromium`` package (``apt-get install -y chromium``); skipped, saying so, without it.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from preflight.commands import DEMO_TARGET
from preflight.engine.engine import CheckOptions
from preflight.formats.html_format import render
from preflight.istio.cluster import build_cluster
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.plan.sections import with_sections
from preflight.resources import demo_cluster_dir, demo_traffic_file
from preflight.snapshot.loader import load_snapshot
from preflight.traffic.loader import load_traffic
from preflight.versions import parse_version

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).parent.parent.parent / "docs" / "images" / "report.png"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")

# Runs in the page after the inline script: records what a reader would see.
PROBE = """
<script>
window.addEventListener("load", function () {
  function visible(selector) {
    var element = document.querySelector(selector);
    if (!element) { return "missing"; }
    var box = element.getBoundingClientRect();
    var style = getComputedStyle(element);
    var shown = box.width > 0 && box.height > 0 && style.visibility !== "hidden" && style.display !== "none";
    return shown ? "visible" : "hidden";
  }
  var probe = {};
  ["#verdict", "#services-heading", ".team-group", ".finding-row", "#plan-heading", "#footprint-heading",
   "#changes-heading", ".chart svg", "#search", "button.sort", "table.callers"
  ].forEach(function (s) { probe[s] = visible(s); });
  var radio = document.querySelector("input[name=f-severity]:not([value=''])");
  radio.checked = true;
  var value = radio.value;
  probe.filtered = Array.prototype.every.call(document.querySelectorAll(".finding-row"), function (row) {
    return (getComputedStyle(row).display === "none") === (row.dataset.severity !== value);
  }) ? "ok" : "broken";
  document.body.setAttribute("data-probe", JSON.stringify(probe));
});
</script>
"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=180,
    )


def demo_html() -> str:
    """The report `preflight demo` writes: the bundled cluster and its traffic, to the demo's target."""
    kb = load_knowledge_base()
    snapshot = load_snapshot([str(demo_cluster_dir())])
    options = CheckOptions(target=parse_version(DEMO_TARGET), timestamp=False)
    report = run_check(snapshot, kb, options, load_traffic([str(demo_traffic_file())]))
    return render(with_sections(report, build_cluster(snapshot)))


def test_report_renders_in_chromium_with_its_key_elements_visible(tmp_path: Path) -> None:
    html = demo_html()
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"))
    result = chromium("--dump-dom", "--virtual-time-budget=5000", probed.as_uri(), profile=tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-2000:]
    import html as html_module
    import json
    import re

    match = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert match, "the page did not run its probe"
    probe = json.loads(html_module.unescape(match.group(1)))
    hidden = {k: v for k, v in probe.items() if v not in ("visible", "ok")}
    assert not hidden, probe

    page = tmp_path / "report.html"
    page.write_text(html)
    shot = tmp_path / "report.png"
    result = chromium(f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri(), profile=tmp_path / "profile2")
    assert result.returncode == 0 and shot.stat().st_size > 10_000, result.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("PREFLIGHT_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, SCREENSHOT)
