from datetime import date
from pathlib import Path

import pytest

from preflight.engine.engine import CheckOptions
from preflight.engine.interface import Report
from preflight.errors import InputError
from preflight.kb.loader import load_knowledge_base
from preflight.pipeline import run_check
from preflight.snapshot.loader import LoadOptions, load_snapshot
from preflight.versions import parse_version
from preflight.waivers.loader import parse_waivers, review

CLUSTER = Path(__file__).parent.parent / "fixtures" / "cluster"
KB = Path(__file__).parent.parent / "fixtures" / "kb"


def report() -> Report:
    kb = load_knowledge_base([KB], include_builtin=False)
    # The fixture's names carry markup, which Kubernetes refuses: it is loaded as a hand-edited file.
    snapshot = load_snapshot([str(CLUSTER)], LoadOptions(allow_invalid_names=True))
    return run_check(snapshot, kb, CheckOptions(target=parse_version("1.22.0"), timestamp=False))


def test_a_live_waiver_lets_the_gate_pass_and_an_expired_one_does_not() -> None:
    from dataclasses import replace

    base = report()
    blocking = base.gate_findings(base.fail_on)
    assert blocking
    lines = ["waivers:"]
    for finding in blocking:
        ref = finding.resource
        lines += [f"  - change: {finding.change}", f"    resource: {ref.kind}/{ref.namespace}/{ref.name}",
                  "    reason: accepted", "    ticket: OPS-1", "    expires: 2030-01-31"]
    waivers = parse_waivers("\n".join(lines) + "\n", "w.yaml")
    live = review(waivers, base.findings, date(2030, 1, 31), "w.yaml")
    assert replace(base, waivers=live).gate_findings(base.fail_on) == []
    assert live.unused == () and live.expired == ()
    lapsed = review(waivers, base.findings, date(2030, 2, 1), "w.yaml")
    assert replace(base, waivers=lapsed).gate_findings(base.fail_on) == blocking
    assert len(lapsed.expired) == len(waivers) and lapsed.expired_matches


def test_unused_waivers_are_reported() -> None:
    waivers = parse_waivers(
        "waivers:\n- change: nope\n  resource: a/b\n  reason: r\n  ticket: T\n  expires: 2030-01-01\n", "w.yaml"
    )
    assert review(waivers, report().findings, date(2029, 1, 1), "w.yaml").unused == waivers


def test_namespace_pattern_waives_through_services_only_when_all_match() -> None:
    base = report()
    scoped = next(f for f in base.findings if len({s.namespace for s in f.services}) == 1)
    namespace = scoped.services[0].namespace
    waiver = parse_waivers(
        f"- change: {scoped.change}\n  resource: {namespace}/*\n  reason: r\n  ticket: T\n  expires: 2030-01-01\n",
        "w.yaml",
    )[0]
    assert waiver.matches(scoped)
    assert not parse_waivers(
        f"- change: {scoped.change}\n  resource: elsewhere/*\n  reason: r\n  ticket: T\n  expires: 2030-01-01\n",
        "w.yaml",
    )[0].matches(scoped) or scoped.resource.namespace == "elsewhere"


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("waivers:\n- change: a\n  resource: b/c\n  reason: r\n  ticket: t\n", 2, "missing 'expires'"),
        ("waivers:\n- change: a\n  resource: b/c\n  reason: r\n  ticket: t\n  expires: soon\n", 6, "not a date"),
        ("waivers:\n- change: a\n  resource: abc\n  reason: r\n  ticket: t\n  expires: 2030-01-01\n", 3, "Kind/"),
        ("waivers:\n- change: a\n  colour: red\n", 3, "unknown waiver key"),
        ("waivers: [\n", 2, "not valid YAML"),
    ],
)
def test_bad_waiver_files_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_waivers(text, "w.yaml")
    assert raised.value.location is not None and raised.value.location.line == line
    assert words in str(raised.value) and str(raised.value).startswith("w.yaml:")
