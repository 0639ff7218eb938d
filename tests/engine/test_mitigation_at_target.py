"""Every "mitigated" verdict and every "keep the old behaviour" advice holds at --to.

The facts are checked against the raw ``knowledge/settings/lifetimes.yaml`` (read here with
PyYAML, not through ``SettingLifetimes``), for every KB entry whose mitigation names a
setting and every tag the data covers from the entry's release on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

import pytest
import yaml

from preflight.engine import mitigation
from preflight.engine.engine import CheckOptions
from preflight.engine.interface import ChangeOutcome, ChangeStatus, FindingStatus, Report
from preflight.formats.json_format import render as render_json
from preflight.formats.text_format import render as render_text
from preflight.istio.control_plane import ControlPlane, Revision
from preflight.kb.interface import KBEntry
from preflight.kb.loader import load_knowledge_base
from preflight.kb.settings import lifetimes_file
from preflight.pipeline import run_check
from preflight.versions import parse_version
from tests.support import snapshot_from_yaml


@cache
def raw() -> Mapping[str, Any]:
    data: Mapping[str, Any] = yaml.safe_load(lifetimes_file().read_text(encoding="utf-8"))
    return data


def present(ranges: list[list[str]], tag: str) -> bool:
    tags = raw()["tags"]
    return any(tags.index(first) <= tags.index(tag) <= tags.index(last) for first, last in ranges)


def flag_exists(kind: str, name: str, tag: str) -> bool:
    return present(raw()[kind][name]["exists"], tag)


def profile_sets(profile: str, key: str, value: Any, tag: str) -> bool:
    history = raw()["profiles"].get(profile)
    if history is None or not present(history["exists"], tag):
        return False
    for first, last, set_to in history["settings"].get(key, []):
        if present([[first, last]], tag) and (value is None or str(set_to).lower() == str(value).lower()):
            return True
    return False


def profile_restores_by_hand(entry: KBEntry, profile: str, tag: str) -> bool:
    """An independent reading: the profile sets the entry's flag (where it exists) to its old value."""
    m = entry.mitigation
    checks = [
        *((f"pilot.env.{f}", v, ("env", f)) for f, v in m.env.items()),
        *((f"meshConfig.{k}", v, ("mesh_config", k)) for k, v in m.mesh_config.items()),
        *((k.removeprefix("cni."), v, ("install_values", k)) for k, v in m.install_values.items()),
    ]
    if not checks:
        checks = [
            (f"pilot.env.{s}" if s.isupper() else s, None, ("env", s) if s.isupper() else ("install_values", s))
            for s in entry.upstream.settings
        ]
    results = [
        profile_sets(profile, key, value, tag)
        and (setting[1] not in raw()[setting[0]] or flag_exists(setting[0], setting[1], tag))
        for key, value, setting in checks
    ]
    return all(results) if m.all_of else any(results)


def entries_with_settings() -> list[KBEntry]:
    return [e for e in load_knowledge_base().entries if e.mitigation.is_available]


def targets(entry: KBEntry) -> Iterator[str]:
    for tag in raw()["tags"]:
        if parse_version(tag).as_packaging() >= entry.introduced_in.as_packaging():
            yield tag


def revision(**settings: Any) -> ControlPlane:
    return ControlPlane((Revision(name="default", namespace="istio-system", **settings),))


def mesh_of(mesh: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for dotted, value in mesh.items():
        node = nested
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value if value is not None else "set"
    return nested


@pytest.mark.parametrize("entry", entries_with_settings(), ids=lambda e: e.id)
def test_mitigated_only_where_the_setting_exists_at_the_target(entry: KBEntry) -> None:
    m = entry.mitigation
    for tag in targets(entry):
        target = parse_version(tag)
        if m.env and not m.all_of:
            verdict = mitigation.assess(entry, revision(env=dict(m.env)), target)
            expected = all(flag_exists("env", flag, tag) for flag in m.env)
            assert verdict.mitigated is expected, (tag, verdict)
            if not expected:
                assert "it is ignored" in (verdict.note or ""), (tag, verdict)
        if m.mesh_config and not m.all_of:
            verdict = mitigation.assess(entry, revision(mesh_config=mesh_of(m.mesh_config)), target)
            assert verdict.mitigated is all(flag_exists("mesh_config", k, tag) for k in m.mesh_config), tag
        if m.all_of:
            both = revision(env=dict(m.env), mesh_config=mesh_of(m.mesh_config))
            exists = all(flag_exists("env", f, tag) for f in m.env) and all(
                flag_exists("mesh_config", k, tag) for k in m.mesh_config
            )
            assert mitigation.assess(entry, both, target).mitigated is exists, tag
            assert not mitigation.assess(entry, revision(env=dict(m.env)), target).mitigated, tag
        for profile in raw()["profiles"]:
            verdict = mitigation.assess(entry, revision(compatibility_version=profile), target)
            if verdict.mitigated:
                assert profile_restores_by_hand(entry, profile, tag), (tag, profile)


@pytest.mark.parametrize("entry", entries_with_settings(), ids=lambda e: e.id)
def test_the_advice_offers_only_what_the_target_has_and_what_it_offers_works(entry: KBEntry) -> None:
    for tag in targets(entry):
        target = parse_version(tag)
        advised = mitigation.advice_at(entry, target).mitigation
        for flag in advised.env:
            assert flag_exists("env", flag, tag), (tag, flag)
        for key in advised.mesh_config:
            assert flag_exists("mesh_config", key, tag), (tag, key)
        for key in advised.install_values:
            assert flag_exists("install_values", key, tag), (tag, key)
        offered_profiles = set(advised.compatibility_profiles.get(target.minor_text, ()))
        for profile in offered_profiles:
            assert profile_restores_by_hand(entry, profile, tag), (tag, profile)
            assert mitigation.assess(entry, revision(compatibility_version=profile), target).mitigated, (tag, profile)
        if advised.env and not advised.all_of:
            assert mitigation.assess(entry, revision(env=dict(advised.env)), target).mitigated, tag
        if advised != entry.mitigation:
            assert advised.text != entry.mitigation.text, tag  # the entry's own words named something gone
        else:
            # Nothing was dropped: every mechanism as written works at this tag.
            assert all(flag_exists("env", f, tag) for f in entry.mitigation.env), tag


EXTERNALNAME = """
apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: payments}
spec: {type: ExternalName, externalName: billing.example.com}
"""


def istiod(env: str = "", version: str = "1.20.3") -> str:
    return f"""
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: istiod, namespace: istio-system, labels: {{app: istiod}}}}
spec:
  template:
    spec:
      containers:
      - name: discovery
        image: docker.io/istio/pilot:{version}
        env: [{env}]
"""


def operator(values: str) -> str:
    return f"""
---
apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {{name: installed, namespace: istio-system}}
spec: {{values: {values}}}
"""


def check(text: str, source: str, target: str) -> Report:
    options = CheckOptions(target=parse_version(target), source=parse_version(source), timestamp=False)
    return run_check(snapshot_from_yaml(text), load_knowledge_base(), options)


def outcome(report: Report, entry_id: str) -> ChangeOutcome:
    return next(c for c in report.changes if c.entry.id == entry_id)


ALIAS_OFF = '{name: ENABLE_EXTERNAL_NAME_ALIAS, value: "false"}'


def test_a_flag_the_target_removed_does_not_mitigate_and_the_report_says_so() -> None:
    assert outcome(check(EXTERNALNAME + istiod(ALIAS_OFF), "1.20.3", "1.23.6"), "1.21-externalname-alias").status is (
        ChangeStatus.MITIGATED
    )
    report = check(EXTERNALNAME + istiod(ALIAS_OFF), "1.20.3", "1.24.0")
    alias = outcome(report, "1.21-externalname-alias")
    assert alias.status is ChangeStatus.HIT
    assert all(f.status is FindingStatus.AFFECTED for f in report.findings if f.change == alias.entry.id)
    assert alias.mitigation_note == (
        "ENABLE_EXTERNAL_NAME_ALIAS=false on istiod revision 'default' keeps the old behaviour only up to 1.23; "
        "at 1.24.0 it is ignored"
    )
    # The advice names no flag or profile 1.24 lacks as a way out, in every format.
    assert alias.entry.mitigation.env == {} and alias.entry.mitigation.compatibility_version is None
    assert alias.entry.mitigation.text.startswith("Nothing keeps the old behaviour at 1.24.0")
    assert "stop at 1.23, the last version that still keeps it" in alias.entry.mitigation.text
    document = json.loads(render_json(report))
    found = next(f for f in document["findings"] if f["change"] == "1.21-externalname-alias")
    item = next(c for c in document["changes"] if c["id"] == found["change"])  # the entry's advice, once
    assert item["mitigation"]["env"] == {} and item["mitigation"]["compatibility_version"] is None
    assert item["mitigation"]["how"] == alias.entry.mitigation.text
    assert "Set ENABLE_EXTERNAL_NAME_ALIAS=false" not in render_text(report)
    # And the entry about the removed flags fires.
    assert outcome(report, "1.24-removed-1-20-flags").status is ChangeStatus.HIT


def test_advice_keeps_what_the_target_still_has() -> None:
    report = check(EXTERNALNAME + istiod(), "1.20.3", "1.24.0")
    sni = outcome(report, "1.21-auto-sni").entry.mitigation
    assert sni.env == {"ENABLE_AUTO_SNI": "false"}
    assert sni.compatibility_version is None
    assert sni.text.startswith("At 1.24.0: set ENABLE_AUTO_SNI=false on istiod.")


DELTA_XDS_MESH = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web}]}
"""


@pytest.mark.parametrize(
    ("entry_id", "source", "profile", "not_yet", "from_then_on"),
    [
        ("1.22-delta-xds-default", "1.21.0", '"1.21"', "1.22.3", "1.22.4"),
        ("1.22-enhanced-resource-scoping", "1.21.0", '"1.21"', "1.22.1", "1.22.2"),
    ],
)
def test_a_profile_counts_from_the_patch_release_that_fixed_it(
    entry_id: str, source: str, profile: str, not_yet: str, from_then_on: str
) -> None:
    text = DELTA_XDS_MESH + istiod(version="1.21.0") + operator(f"{{compatibilityVersion: {profile}}}")
    text += """
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    discoverySelectors:
    - matchLabels: {mesh: "on"}
"""
    before = check(text, source, not_yet)
    if outcome(before, entry_id).status is ChangeStatus.NOT_PRESENT:
        pytest.fail(f"{entry_id} found nothing in the fixture")
    assert outcome(before, entry_id).status is ChangeStatus.HIT
    assert "does not restore this behaviour" in (outcome(before, entry_id).mitigation_note or "")
    assert outcome(check(text, source, from_then_on), entry_id).status is ChangeStatus.MITIGATED


def test_a_profile_stops_counting_where_the_target_removed_its_flag() -> None:
    spans = "1.28-gateway-upstream-spans"
    entry = load_knowledge_base().get(spans)
    assert entry is not None
    plane = revision(compatibility_version="1.27")
    assert mitigation.assess(entry, plane, parse_version("1.30.0")).mitigated
    assert not mitigation.assess(entry, plane, parse_version("1.31.0")).mitigated
    assert mitigation.advice_at(entry, parse_version("1.31.0")).mitigation.compatibility_version is None


def test_an_unquoted_compatibility_version_is_read_as_the_version_meant() -> None:
    report = check(EXTERNALNAME + istiod() + operator("{compatibilityVersion: 1.20}"), "1.20.3", "1.23.0")
    assert outcome(report, "1.21-externalname-alias").status is ChangeStatus.MITIGATED
    assert any('read as "1.20"' in note for note in report.notes)
    later = check(EXTERNALNAME + istiod() + operator("{compatibilityVersion: 1.20}"), "1.20.3", "1.24.0")
    assert outcome(later, "1.24-compatibility-version-1-20-removed").status is ChangeStatus.HIT
